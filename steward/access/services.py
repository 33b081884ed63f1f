"""The one door to the bytes: who may download, the record of each download, signed links.

Pages, the API and the SDK all start downloads here, and only here is a storage URL signed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.catalog.models import Dataset, DatasetFile, Visibility
from steward.catalog.queries import archive_filename
from steward.lib.errors import Forbidden, Gone, NotFound
from steward.lib.ids import new_public_id
from steward.organizations.permissions import role_of
from steward.storage.objectstore import get_store

from .models import DownloadEvent

TOKEN_SALT = "steward.download"
# Every archive and sample is a .tar.gz or .tgz (catalog services refuse anything else).
CONTENT_TYPE = "application/gzip"
# The client follows a redirect to S3 at once, and S3 checks its signature only when a
# request starts, so a running download outlives this.
REDIRECT_SECONDS = 300


class AccessError(Forbidden):
    """Codes: login_required, access_not_granted, bad_link, link_expired (all 403)."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    code: str = ""


@dataclass(frozen=True)
class DownloadSession:
    url: str
    token: str
    expires_at: datetime
    size_bytes: int
    filename: str
    checksum: str
    content_type: str
    event_id: str  # the event's public id


@dataclass(frozen=True)
class DownloadGrant:
    """What a valid signed link lets its holder fetch."""

    event_pk: int
    key: str
    size_bytes: int
    sha256: str
    filename: str
    content_type: str
    # Set when the bytes live in S3: the client is sent there.
    redirect_url: str | None


def decide_download(user, dataset: Dataset, role: str = DatasetFile.Role.ARCHIVE) -> Decision:
    """Whether `user` may download `role` of `dataset`, and if not, why.

    Anyone signed in may download a public dataset; restricted and private ones only the
    members of their organization, until access requests and licence policies decide."""
    if user is None or not user.is_authenticated:
        return Decision(False, _("Log in to download this dataset."), "login_required")
    if dataset.visibility == Visibility.PUBLIC:
        return Decision(True)
    if role_of(user, dataset.organization) is not None:
        return Decision(True)
    return Decision(
        False, _("Access must be requested from the organization."), "access_not_granted"
    )


def _filename(dataset: Dataset, file: DatasetFile, channel: str) -> str:
    # API clients save the archive under the name the details report, which hides a private
    # dataset's own name; the web page is only shown to those allowed to see it.
    if file.role == DatasetFile.Role.ARCHIVE and channel == DownloadEvent.Channel.API:
        return archive_filename(dataset) or file.filename
    return file.filename


def _sign(event: DownloadEvent, key: str) -> str:
    payload = {"e": event.pk, "u": event.user_id, "k": key, "v": event.version_id}
    return signing.dumps(payload, salt=TOKEN_SALT)


def start_download(
    user,
    dataset: Dataset,
    *,
    role: str = DatasetFile.Role.ARCHIVE,
    channel: str,
    client: str = "",
    base_url: str,
    actor=None,
) -> DownloadSession:
    """Record a download of the current version's `role` file and sign a link to it.

    `base_url` is the scheme and host the client reached (the link must be absolute);
    `actor` is the API key when there is one. Raises Gone, Forbidden (AccessError) or
    NotFound."""
    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")
    decision = decide_download(user, dataset, role)
    if not decision.allowed:
        raise AccessError(decision.reason, code=decision.code)
    file = (
        DatasetFile.objects.select_related("blob", "version")
        .filter(
            version_id=dataset.current_version_id, role=role, version__published_at__isnull=False
        )
        .first()
    )
    if file is None:
        if role == DatasetFile.Role.SAMPLE:
            raise NotFound(_("This dataset has no sample."), code="no_sample")
        raise NotFound(_("This dataset has no downloadable archive."), code="no_archive")

    blob = file.blob
    now = timezone.now()
    with transaction.atomic():
        event = DownloadEvent.objects.create(
            public_id=new_public_id(),
            user=user,
            dataset=dataset,
            version=file.version,
            file=file,
            organization_id=dataset.organization_id,
            channel=channel,
            client=client[:300],
            expires_at=now + timedelta(seconds=settings.STEWARD_DOWNLOAD_URL_SECONDS),
        )
        record(
            actor=actor or user,
            action="access.download.started",
            target=dataset,
            organization_id=dataset.organization_id,
            data={
                "download": event.public_id,
                "file": role,
                "version": file.version.number,
                "sha256": blob.sha256,
                "channel": channel,
            },
        )
    token = _sign(event, blob.key)
    return DownloadSession(
        url=base_url.rstrip("/") + reverse("access:download", args=[token]),
        token=token,
        expires_at=event.expires_at,
        size_bytes=blob.size_bytes,
        filename=_filename(dataset, file, channel),
        checksum=blob.sha256,
        content_type=CONTENT_TYPE,
        event_id=event.public_id,
    )


def open_download(token: str) -> DownloadGrant:
    """Check a signed link; what it lets its holder fetch, or AccessError (forged, altered or
    expired link) or Gone (the dataset was taken down since)."""
    try:
        payload = signing.loads(
            token, salt=TOKEN_SALT, max_age=settings.STEWARD_DOWNLOAD_URL_SECONDS
        )
    except signing.SignatureExpired:
        raise AccessError(
            _("This download link has expired. Start the download again for a new link."),
            code="link_expired",
        ) from None
    except signing.BadSignature:
        raise AccessError(_("This download link is not valid."), code="bad_link") from None
    try:
        event = (
            DownloadEvent.objects.select_related("dataset", "file__blob")
            .filter(pk=int(payload["e"]), user_id=int(payload["u"]), version_id=int(payload["v"]))
            .first()
        )
        key = str(payload["k"])
    except (KeyError, TypeError, ValueError):
        event = None
    if event is None or event.file.blob.key != key:
        raise AccessError(_("This download link is not valid."), code="bad_link")
    dataset = event.dataset
    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")

    blob = event.file.blob
    filename = _filename(dataset, event.file, event.channel)
    redirect_url = get_store().download_url(blob.key, filename, REDIRECT_SECONDS)
    return DownloadGrant(
        event_pk=event.pk,
        key=blob.key,
        size_bytes=blob.size_bytes,
        sha256=blob.sha256,
        filename=filename,
        content_type=CONTENT_TYPE,
        redirect_url=redirect_url,
    )


def record_bytes_served(grant: DownloadGrant, count: int) -> None:
    """Add `count` bytes to the download's total; resumed downloads add up."""
    if count > 0:
        DownloadEvent.objects.filter(pk=grant.event_pk).update(
            bytes_served=F("bytes_served") + count
        )


def record_redirect(grant: DownloadGrant) -> None:
    """Count a download sent to S3 once, as the whole file: what S3 serves is not seen here."""
    DownloadEvent.objects.filter(pk=grant.event_pk, bytes_served=0).update(
        bytes_served=grant.size_bytes
    )


# Listening before downloading: a few short clips of the sample, through the same decision.

PREVIEW_CLIPS = 3
PREVIEW_MAX_BYTES = 2 * 1024 * 1024
AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}


def _sample_file(dataset: Dataset) -> DatasetFile | None:
    return (
        DatasetFile.objects.select_related("blob", "version")
        .filter(version_id=dataset.current_version_id, role=DatasetFile.Role.SAMPLE)
        .first()
    )


def preview_clip_count(user, dataset: Dataset) -> int:
    """How many clips the page may offer `user` to listen to (0: none, or not allowed)."""
    from steward.catalog.services import inspection_for

    if (
        not dataset.has_sample
        or not decide_download(user, dataset, DatasetFile.Role.SAMPLE).allowed
    ):
        return 0
    file = _sample_file(dataset)
    inspection = inspection_for(file.blob) if file else None
    if inspection is None or inspection.status not in ("passed", "warnings"):
        return 0
    audio = inspection.report.get("totals", {}).get("by_kind", {}).get("audio", {})
    return min(PREVIEW_CLIPS, audio.get("files", 0))


def preview_clip(user, dataset: Dataset, number: int) -> tuple[bytes, str]:
    """The `number`-th short audio clip (0-based) of the dataset's sample, for the page's
    player. It passes the same decision as a sample download and is recorded as one.

    Only samples that passed inspection are opened, so the archive is known to be safe; a
    clip is read into memory only when it is small (PREVIEW_MAX_BYTES)."""
    import tarfile
    from pathlib import PurePosixPath

    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")
    decision = decide_download(user, dataset, DatasetFile.Role.SAMPLE)
    if not decision.allowed:
        raise AccessError(decision.reason, code=decision.code)
    if not 0 <= number < preview_clip_count(user, dataset):
        raise NotFound(_("There is no such clip to listen to."), code="no_clip")
    file = _sample_file(dataset)
    data, content_type, seen = b"", "", 0
    with get_store().open(file.blob.key) as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            suffix = PurePosixPath(member.name).suffix.lower()
            if not member.isfile() or suffix not in AUDIO_TYPES or member.size > PREVIEW_MAX_BYTES:
                continue
            if seen == number:
                data, content_type = tar.extractfile(member).read(), AUDIO_TYPES[suffix]
                break
            seen += 1
    if not data:
        raise NotFound(_("There is no such clip to listen to."), code="no_clip")
    with transaction.atomic():
        event = DownloadEvent.objects.create(
            public_id=new_public_id(),
            user=user,
            dataset=dataset,
            version=file.version,
            file=file,
            organization_id=dataset.organization_id,
            channel=DownloadEvent.Channel.WEB,
            client="preview",
            bytes_served=len(data),
            expires_at=timezone.now(),
        )
        record(
            actor=user,
            action="access.preview.served",
            target=dataset,
            organization_id=dataset.organization_id,
            data={"download": event.public_id, "clip": number, "bytes": len(data)},
        )
    return data, content_type
