"""The one door to the bytes: who may download, the record of each download, signed links.

Pages, the API and the SDK all start downloads here, and only here is a storage URL signed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from steward.accounts.models import User
from steward.audit.services import record
from steward.catalog.models import Dataset, DatasetFile, DatasetVersion, Visibility
from steward.catalog.queries import archive_filename
from steward.lib.countries import country_name
from steward.lib.errors import Conflict, DomainError, Forbidden, Gone, NotFound, PaymentRequired
from steward.lib.geoip import country_of
from steward.lib.ids import new_public_id
from steward.lib.mail import absolute_url, send_after_commit
from steward.licensing.engine import OrganizationType, Outcome, Purpose, Requester, decide
from steward.licensing.models import PolicyVersion
from steward.licensing.regions import COUNTRIES
from steward.licensing.services import decision_text
from steward.organizations.models import Membership
from steward.organizations.permissions import (
    CAPABILITIES,
    DECIDE_ACCESS,
    MANAGE_TERMS,
    can,
    role_of,
)
from steward.storage.objectstore import get_store

from .models import AccessRequest, DeletionRequest, DownloadEvent, Grant, Vote
from .permissions import decides_for

TOKEN_SALT = "steward.download"
# Every archive and sample is a .tar.gz or .tgz (catalog services refuse anything else).
CONTENT_TYPE = "application/gzip"
# The client follows a redirect to S3 at once, and S3 checks its signature only when a
# request starts, so a running download outlives this.
REDIRECT_SECONDS = 300


class AccessError(Forbidden):
    """Codes: login_required, private, access_not_requested, request_pending, request_denied,
    grant_expired, grant_revoked, country_not_allowed (and the policy engine's other denial
    codes), bad_link, link_expired (all 403)."""


@dataclass(frozen=True)
class Decision:
    """Whether one user may download one file of one dataset now, and if not, why: `status`
    is the HTTP answer (403, or 402 for a price not yet paid)."""

    allowed: bool
    reason: str = ""
    code: str = ""
    status: int = 200
    grant: Grant | None = None
    policy_version: PolicyVersion | None = None

    def raise_if_refused(self) -> None:
        if self.allowed:
            return
        if self.status == 402:
            raise PaymentRequired(self.reason, code=self.code)
        raise AccessError(self.reason, code=self.code)


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
class LinkTarget:
    """What a valid signed link lets its holder fetch."""

    event_pk: int
    key: str
    size_bytes: int
    sha256: str
    filename: str
    content_type: str
    # Set when the bytes live in S3: the client is sent there.
    redirect_url: str | None


def _refused(reason: str, code: str, status: int = 403) -> Decision:
    return Decision(False, reason, code, status)


def current_policy(dataset: Dataset) -> PolicyVersion | None:
    policy = dataset.usage_policy
    return policy.current if policy is not None else None


def latest_grant(user, dataset: Dataset) -> Grant | None:
    return (
        Grant.objects.select_related("policy_version")
        .filter(user=user, dataset=dataset)
        .order_by("-created_at", "-id")
        .first()
    )


def _without_grant(user, dataset: Dataset) -> Decision:
    """Why a user without a valid grant cannot download: what they must do next."""
    grant = latest_grant(user, dataset)
    request = AccessRequest.objects.filter(user=user, dataset=dataset).order_by("-id").first()
    if request is not None and request.status == AccessRequest.Status.PENDING:
        return _refused(
            _("Your access request is waiting for the organization's decision."),
            "request_pending",
        )
    if grant is not None and grant.revoked_at is not None:
        return _refused(
            _("Your access was revoked: %(reason)s") % {"reason": grant.revocation_reason},
            "grant_revoked",
        )
    if grant is not None and not grant.is_active():
        return _refused(
            _("Your access expired on %(date)s. Renew it to download again (%(url)s).")
            % {
                "date": date_format(grant.expires_at, "DATE_FORMAT"),
                "url": absolute_url(reverse("access:my-access")),
            },
            "grant_expired",
        )
    if request is not None and request.status == AccessRequest.Status.DENIED:
        return _refused(
            _(
                "Your access request was denied: %(reason)s You may ask again with more"
                " information (%(url)s)."
            )
            % {
                "reason": request.reason,
                "url": absolute_url(reverse("access:request-access", args=[dataset.public_id])),
            },
            "request_denied",
        )
    return _refused(
        _("Request access to this dataset first: the organization's terms apply (%(url)s).")
        % {"url": absolute_url(reverse("access:request-access", args=[dataset.public_id]))},
        "access_not_requested",
    )


def decide_download(
    user, dataset: Dataset, role: str = DatasetFile.Role.ARCHIVE, *, ip: str | None = None
) -> Decision:
    """Whether `user` may download `role` of `dataset` now, from address `ip`.

    Members of the owning organization always may. Others: never for a private dataset; for
    open terms (licensing.engine.Policy.is_open), anyone signed in; otherwise only with a
    valid grant, checked against the terms it accepted (and paid for, where there is a price:
    a sample needs the terms, not the payment). Where a GeoIP database is configured and the
    terms limit where the data may be used, the address must be in an allowed country."""
    if user is None or not user.is_authenticated:
        return _refused(_("Log in to download this dataset."), "login_required")
    version = current_policy(dataset)
    if role_of(user, dataset.organization) is not None:
        return Decision(True, policy_version=version)
    if dataset.visibility == Visibility.PRIVATE or version is None:
        return _refused(_("This dataset is private to its organization."), "private")
    terms = version.terms
    grant = None
    if not terms.is_open:
        grant = latest_grant(user, dataset)
        if grant is None or not grant.is_active():
            return _without_grant(user, dataset)
        version = grant.policy_version
        result = decide(
            version.terms,
            Requester(
                country=grant.country,
                purpose=Purpose(grant.purpose),
                organization_type=OrganizationType(grant.organization_type),
                organization_verified=grant.organization_verified,
                has_grant=True,
                has_paid=grant.is_paid or role == DatasetFile.Role.SAMPLE,
            ),
            fee_rate=Decimal(settings.STEWARD_PLATFORM_FEE_RATE),
        )
        if result.outcome == Outcome.NEEDS_PAYMENT:
            return _refused(decision_text(result), result.code, 402)
        if not result.allowed:
            return _refused(decision_text(result), result.code)
    ip_country = country_of(ip) if ip else None
    if ip_country and not version.terms.geography.admits(ip_country):
        return _refused(
            _("This dataset is not available in the country you are connecting from (%(c)s).")
            % {"c": country_name(ip_country)},
            "country_not_allowed",
        )
    return Decision(True, grant=grant, policy_version=version)


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
    ip: str | None = None,
) -> DownloadSession:
    """Record a download of the current version's `role` file and sign a link to it.

    `base_url` is the scheme and host the client reached (the link must be absolute);
    `actor` is the API key when there is one; `ip` the client's address. Raises Gone,
    Forbidden (AccessError), PaymentRequired or NotFound."""
    _require_available(dataset)
    decision = decide_download(user, dataset, role, ip=ip)
    decision.raise_if_refused()
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

    if file.version.is_withdrawn:
        raise Gone(file.version.withdrawal_reason, code="withdrawn")
    blob = file.blob
    grant = decision.grant
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
            grant=grant,
            policy_version=decision.policy_version,
            purpose=grant.purpose if grant else "",
            country=grant.country if grant else "",
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
                "grant": grant.public_id if grant else None,
                "terms": decision.policy_version.pk if decision.policy_version else None,
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


def _require_available(dataset: Dataset) -> None:
    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")


def open_download(token: str, *, ip: str | None = None) -> LinkTarget:
    """Check a signed link, and the access decision again (a grant may have been revoked
    since the link was made); what it lets its holder fetch, or AccessError (forged, altered
    or expired link, access no longer allowed), PaymentRequired or Gone (the dataset was
    taken down or the version withdrawn since)."""
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
            DownloadEvent.objects.select_related(
                "user",
                "dataset__organization",
                "dataset__usage_policy__current",
                "file__blob",
                "version",
            )
            .filter(pk=int(payload["e"]), user_id=int(payload["u"]), version_id=int(payload["v"]))
            .first()
        )
        key = str(payload["k"])
    except (KeyError, TypeError, ValueError):
        event = None
    if event is None or event.file.blob.key != key:
        raise AccessError(_("This download link is not valid."), code="bad_link")
    dataset = event.dataset
    _require_available(dataset)
    if event.version.is_withdrawn:
        raise Gone(event.version.withdrawal_reason, code="withdrawn")
    decide_download(event.user, dataset, event.file.role, ip=ip).raise_if_refused()

    blob = event.file.blob
    filename = _filename(dataset, event.file, event.channel)
    redirect_url = get_store().download_url(blob.key, filename, REDIRECT_SECONDS)
    return LinkTarget(
        event_pk=event.pk,
        key=blob.key,
        size_bytes=blob.size_bytes,
        sha256=blob.sha256,
        filename=filename,
        content_type=CONTENT_TYPE,
        redirect_url=redirect_url,
    )


def record_bytes_served(grant: LinkTarget, count: int) -> None:
    """Add `count` bytes to the download's total; resumed downloads add up."""
    if count > 0:
        DownloadEvent.objects.filter(pk=grant.event_pk).update(
            bytes_served=F("bytes_served") + count
        )


def record_redirect(grant: LinkTarget) -> None:
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

    _require_available(dataset)
    decide_download(user, dataset, DatasetFile.Role.SAMPLE).raise_if_refused()
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


# Access requests and grants: asked for by users, answered by the policy or the organization.

REQUEST_TEXT_LIMIT = 7500
ANSWER_LIMIT = 2000


class RequestError(DomainError):
    """A request that cannot be made as sent. Codes: invalid, required, terms_not_accepted,
    unknown_question, country_mismatch, no_request_needed."""


def _fee_rate() -> Decimal:
    return Decimal(settings.STEWARD_PLATFORM_FEE_RATE)


def _clean_choice(value: Any, choices: type, field: str) -> Any:
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(c.value for c in choices)
        raise RequestError(
            _("%(field)s: %(value)r is not one of %(allowed)s")
            % {"field": field, "value": value, "allowed": allowed},
            code="invalid",
            field=field,
        ) from None


def _clean_text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RequestError(
            _("%(field)s: must be text") % {"field": field}, code="invalid", field=field
        )
    value = value.strip()
    if required and not value:
        raise RequestError(
            _("%(field)s: this field is required") % {"field": field}, code="required", field=field
        )
    if len(value) > limit:
        raise RequestError(
            _("%(field)s: at most %(limit)s characters") % {"field": field, "limit": limit},
            code="too_long",
            field=field,
        )
    return value


def _clean_country(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in COUNTRIES:
        raise RequestError(
            _("%(field)s: %(value)r is not an ISO 3166-1 alpha-2 country code (e.g. KE, FR)")
            % {"field": "country", "value": value},
            code="invalid",
            field="country",
        )
    return value.strip().upper()


def _clean_website(value: Any) -> str:
    website = _clean_text(value, "organizationWebsite", 500)
    if not website:
        return ""
    if "://" not in website:
        website = "https://" + website
    try:
        URLValidator(schemes=["http", "https"])(website)
    except ValidationError:
        raise RequestError(
            _("%(field)s: %(value)r is not a web address")
            % {"field": "organizationWebsite", "value": value},
            code="invalid",
            field="organizationWebsite",
        ) from None
    return website


def _clean_answers(value: Any, questions) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise RequestError(
            _("%(field)s: must be an object of question id to answer") % {"field": "answers"},
            code="invalid",
            field="answers",
        )
    known = {q.id: q for q in questions}
    answers = {}
    for key, answer in value.items():
        if key not in known:
            raise RequestError(
                _("answers.%(key)s: this dataset asks no such question") % {"key": key},
                code="unknown_question",
                field=f"answers.{key}",
            )
        answers[key] = _clean_text(answer, f"answers.{key}", ANSWER_LIMIT)
    for question in questions:
        if question.required and not answers.get(question.id):
            raise RequestError(
                _("answers.%(id)s: this question must be answered (%(text)s)")
                % {"id": question.id, "text": question.text},
                code="required",
                field=f"answers.{question.id}",
            )
    return answers


def organization_verified(user, website: str) -> bool:
    """Whether `user` has a confirmed email address on a domain the organization's website
    uses: the website's host or a parent of it (www.example.org and example.org are one)."""
    host = (urlsplit(website).hostname or "").lower().removeprefix("www.") if website else ""
    if not host or "." not in host:
        return False
    for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
        "email", flat=True
    ):
        domain = address.rsplit("@", 1)[-1].lower()
        if host == domain or host.endswith("." + domain) or domain.endswith("." + host):
            return True
    return False


def _approver_emails(dataset: Dataset, policy) -> list[str]:
    members = dataset.organization.memberships.select_related("user")
    if policy.guardians_required > 1:
        members = members.filter(is_guardian=True)
    else:
        members = members.filter(
            Q(is_guardian=True)
            | Q(role__in=[r for r, caps in CAPABILITIES.items() if DECIDE_ACCESS in caps])
        )
    return [m.user.email for m in members]


def _request_context(request: AccessRequest) -> dict[str, Any]:
    return {
        "request": request,
        "dataset": request.dataset,
        "dataset_url": absolute_url(
            reverse("catalog:dataset-detail", args=[request.dataset.public_id])
        ),
        "queue_url": absolute_url(
            reverse("access:request-queue", args=[request.dataset.organization.slug])
        ),
    }


def _notify_requester(request: AccessRequest) -> None:
    subject = {
        AccessRequest.Status.APPROVED: _("Access granted: %(name)s"),
        AccessRequest.Status.DENIED: _("Access denied: %(name)s"),
    }[request.status] % {"name": request.dataset.name}
    send_after_commit(
        [request.user.email], subject, "access/email/request_decided.txt", _request_context(request)
    )


def _grant(request: AccessRequest, *, now) -> Grant:
    days = request.policy_version.terms.grant_days
    return Grant.objects.create(
        public_id=new_public_id(),
        request=request,
        dataset=request.dataset,
        user=request.user,
        policy_version=request.policy_version,
        purpose=request.purpose,
        country=request.country,
        organization_type=request.organization_type,
        organization_verified=request.organization_verified,
        price_cents=request.price_cents,
        currency=request.currency,
        expires_at=now + timedelta(days=days) if days else None,
    )


def request_access(
    dataset: Dataset,
    *,
    user,
    data: dict[str, Any],
    ip: str | None = None,
    actor=None,
) -> AccessRequest:
    """Ask for access to `dataset` under its current terms. `data` holds the API's fields:
    purpose, country, organizationName, organizationType, organizationWebsite, intendedUse,
    answers, acceptTerms. Automatic decisions (a grant, or a denial with its reasons) are
    taken at once; otherwise the request waits for the organization."""
    if data.get("acceptTerms") is not True:
        raise RequestError(
            _("%(field)s: you must accept the dataset's terms (true)") % {"field": "acceptTerms"},
            code="terms_not_accepted",
            field="acceptTerms",
        )
    _require_available(dataset)
    if dataset.visibility == Visibility.PRIVATE:
        raise NotFound(_("Dataset not found"))
    if role_of(user, dataset.organization) is not None:
        raise RequestError(
            _(
                "You are a member of the organization that publishes this dataset: you need no"
                " access request."
            ),
            code="no_request_needed",
        )
    version = current_policy(dataset)
    if version is None:
        raise NotFound(_("Dataset not found"))
    terms = version.terms
    purpose = _clean_choice(data.get("purpose"), Purpose, "purpose")
    country = _clean_country(data.get("country"))
    organization_type = _clean_choice(
        data.get("organizationType"), OrganizationType, "organizationType"
    )
    organization_name = _clean_text(data.get("organizationName"), "organizationName", 300)
    website = _clean_website(data.get("organizationWebsite"))
    intended_use = _clean_text(data.get("intendedUse"), "intendedUse", REQUEST_TEXT_LIMIT)
    answers = _clean_answers(data.get("answers"), terms.questions)
    ip_country = country_of(ip) if ip else None
    if ip_country and ip_country != country:
        raise RequestError(
            _(
                "%(field)s: you declared %(declared)s, but you are connecting from %(seen)s. "
                "Declare the country where you will use the data, from there."
            )
            % {
                "field": "country",
                "declared": country_name(country),
                "seen": country_name(ip_country),
            },
            code="country_mismatch",
            field="country",
        )
    verified = organization_verified(user, website)
    result = decide(
        terms,
        Requester(
            country=country,
            purpose=purpose,
            organization_type=organization_type,
            organization_verified=verified,
        ),
        fee_rate=_fee_rate(),
    )
    now = timezone.now()
    with transaction.atomic():
        if AccessRequest.objects.filter(
            user=user, dataset=dataset, status=AccessRequest.Status.PENDING
        ).exists():
            raise Conflict(
                _("You already have a request waiting for this dataset."), code="request_pending"
            )
        active = Grant.objects.active(now).filter(user=user, dataset=dataset).first()
        if active is not None:
            raise Conflict(
                _("You already have access to this dataset (grant %(id)s).")
                % {"id": active.public_id},
                code="already_granted",
            )
        previous = AccessRequest.objects.filter(user=user, dataset=dataset).order_by("-id").first()
        request = AccessRequest(
            public_id=new_public_id(),
            dataset=dataset,
            user=user,
            policy_version=version,
            purpose=purpose,
            country=country,
            ip_country=ip_country or "",
            organization_name=organization_name,
            organization_type=organization_type,
            organization_website=website,
            organization_verified=verified,
            intended_use=intended_use,
            answers=answers,
            terms_accepted_at=now,
            price_cents=result.price_cents,
            currency=terms.currency if result.price_cents else "",
            previous=previous,
        )
        if result.outcome == Outcome.DENIED:
            request.status, request.reason, request.decided_at = (
                AccessRequest.Status.DENIED,
                decision_text(result),
                now,
            )
        elif result.outcome in (Outcome.ALLOWED, Outcome.NEEDS_PAYMENT):
            request.status, request.decided_at = AccessRequest.Status.APPROVED, now
            request.reason = _("Approved automatically under the dataset's terms.")
        else:
            request.reason = decision_text(result)
        request.save()
        if request.status == AccessRequest.Status.APPROVED:
            _grant(request, now=now)
        record(
            actor=actor or user,
            action="access.request.created",
            target=dataset,
            organization_id=dataset.organization_id,
            data={
                "request": request.public_id,
                "status": request.status,
                "purpose": purpose.value,
                "country": country,
                "terms": version.pk,
                "reasons": [r.code for r in result.reasons],
            },
        )
        if request.status == AccessRequest.Status.PENDING:
            send_after_commit(
                _approver_emails(dataset, terms),
                _("New access request: %(name)s") % {"name": dataset.name},
                "access/email/request_received.txt",
                _request_context(request),
            )
        else:
            _notify_requester(request)
    return request


def _lock_request(request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset__organization", "user", "policy_version")
        .get(pk=request.pk)
    )


def may_decide(user, request: AccessRequest) -> bool:
    """Whether `user` may approve or deny `request`: where its terms ask for several guardians,
    only guardians; otherwise the organization's owners and admins, and its guardians."""
    if request.policy_version.terms.guardians_required > 1:
        return (
            user is not None
            and user.is_authenticated
            and Membership.objects.filter(
                organization_id=request.dataset.organization_id, user=user, is_guardian=True
            ).exists()
        )
    return decides_for(user, request.dataset)


def _require_pending(request: AccessRequest) -> None:
    if request.status != AccessRequest.Status.PENDING:
        raise Conflict(
            _("This request was already %(status)s.")
            % {"status": request.get_status_display().lower()},
            code="already_decided",
        )


def approve_request(request: AccessRequest, *, actor, reason: str = "") -> AccessRequest:
    """Approve a pending request (one guardian's vote where several must approve); the
    requester gets a grant once enough have approved."""
    user = getattr(actor, "user", actor)
    reason = _clean_text(reason, "reason", REQUEST_TEXT_LIMIT)
    now = timezone.now()
    with transaction.atomic():
        request = _lock_request(request)
        if not may_decide(user, request):
            raise Forbidden(_("You may not decide this request."), code="not_allowed")
        _require_pending(request)
        needed = request.policy_version.terms.guardians_required
        if needed > 1:
            if Vote.objects.filter(request=request, guardian=user).exists():
                raise Conflict(_("You have already voted on this request."), code="already_voted")
            Vote.objects.create(
                request=request, guardian=user, decision=Vote.Decision.APPROVE, reason=reason
            )
        approvals = request.votes.filter(decision=Vote.Decision.APPROVE).count()
        done = needed <= 1 or approvals >= needed
        if done:
            request.status = AccessRequest.Status.APPROVED
            request.reason = reason
            request.decided_by, request.decided_at = user, now
            request.save(update_fields=["status", "reason", "decided_by", "decided_at"])
            _grant(request, now=now)
            _notify_requester(request)
        record(
            actor=actor,
            action="access.request.approved" if done else "access.request.vote",
            target=request.dataset,
            organization_id=request.dataset.organization_id,
            data={"request": request.public_id, "approvals": approvals, "needed": needed},
        )
    return request


def deny_request(request: AccessRequest, *, actor, reason: Any) -> AccessRequest:
    """Deny a pending request with a reason the requester is sent. Where guardians decide
    together, one guardian's denial is enough: access needs the consent of all who must give it."""
    user = getattr(actor, "user", actor)
    reason = _clean_text(reason, "reason", REQUEST_TEXT_LIMIT, required=True)
    with transaction.atomic():
        request = _lock_request(request)
        if not may_decide(user, request):
            raise Forbidden(_("You may not decide this request."), code="not_allowed")
        _require_pending(request)
        if request.policy_version.terms.guardians_required > 1:
            if Vote.objects.filter(request=request, guardian=user).exists():
                raise Conflict(_("You have already voted on this request."), code="already_voted")
            Vote.objects.create(
                request=request, guardian=user, decision=Vote.Decision.DENY, reason=reason
            )
        request.status = AccessRequest.Status.DENIED
        request.reason = reason
        request.decided_by, request.decided_at = user, timezone.now()
        request.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        record(
            actor=actor,
            action="access.request.denied",
            target=request.dataset,
            organization_id=request.dataset.organization_id,
            data={"request": request.public_id, "reason": reason},
        )
        _notify_requester(request)
    return request


def _lock_grant(grant: Grant) -> Grant:
    return (
        Grant.objects.select_for_update(of=("self",))
        .select_related("dataset__organization", "user", "policy_version")
        .get(pk=grant.pk)
    )


def revoke_grant(grant: Grant, *, actor, reason: Any) -> Grant:
    """End a grant now; its holder is told why. Downloads in progress stop at their next
    request, since every signed link checks the decision again."""
    user = getattr(actor, "user", actor)
    reason = _clean_text(reason, "reason", REQUEST_TEXT_LIMIT, required=True)
    with transaction.atomic():
        grant = _lock_grant(grant)
        if not can(user, grant.dataset.organization, DECIDE_ACCESS):
            raise Forbidden(_("You may not revoke this grant."), code="not_allowed")
        if grant.revoked_at is not None:
            raise Conflict(_("This grant was already revoked."), code="already_revoked")
        grant.revoked_at, grant.revoked_by, grant.revocation_reason = timezone.now(), user, reason
        grant.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
        record(
            actor=actor,
            action="access.grant.revoked",
            target=grant.dataset,
            organization_id=grant.dataset.organization_id,
            data={"grant": grant.public_id, "user": grant.user_id, "reason": reason},
        )
        send_after_commit(
            [grant.user.email],
            _("Access revoked: %(name)s") % {"name": grant.dataset.name},
            "access/email/grant_revoked.txt",
            {"grant": grant, "dataset": grant.dataset},
        )
    return grant


def record_payment(grant: Grant, *, paid_at) -> Grant:
    """The grant's price has been paid (called by payments): downloads may start."""
    Grant.objects.filter(pk=grant.pk, paid_at__isnull=True).update(paid_at=paid_at)
    grant.refresh_from_db(fields=["paid_at"])
    return grant


def end_grant(grant: Grant, *, reason: str) -> Grant:
    """End a grant on the platform's behalf (its payment was refunded), telling its holder."""
    with transaction.atomic():
        grant = _lock_grant(grant)
        if grant.revoked_at is not None:
            return grant
        grant.revoked_at, grant.revocation_reason = timezone.now(), reason
        grant.save(update_fields=["revoked_at", "revocation_reason"])
        record(
            actor=None,
            action="access.grant.ended",
            target=grant.dataset,
            organization_id=grant.dataset.organization_id,
            data={"grant": grant.public_id, "user": grant.user_id, "reason": reason},
        )
    return grant


RENEWAL_WINDOW_DAYS = 30


def renew_grant(
    grant: Grant, *, actor, accept_terms: Any, usage_report: Any = "", ip: str | None = None
) -> Grant:
    """Extend a time-boxed grant by its holder, from RENEWAL_WINDOW_DAYS before it ends (or
    after it has ended), under the dataset's current terms, which must still allow them; the
    terms may ask what was built with the data, which the organization then sees."""
    user = getattr(actor, "user", actor)
    if accept_terms is not True:
        raise RequestError(
            _("%(field)s: you must accept the dataset's terms (true)") % {"field": "acceptTerms"},
            code="terms_not_accepted",
            field="acceptTerms",
        )
    report = _clean_text(usage_report, "usageReport", REQUEST_TEXT_LIMIT)
    now = timezone.now()
    with transaction.atomic():
        grant = _lock_grant(grant)
        if grant.user_id != user.pk:
            raise NotFound(_("Grant not found"))
        if grant.revoked_at is not None:
            raise Forbidden(_("A revoked grant cannot be renewed."), code="grant_revoked")
        if grant.expires_at is None:
            raise Conflict(_("This grant does not expire."), code="no_expiry")
        if grant.expires_at - now > timedelta(days=RENEWAL_WINDOW_DAYS):
            raise Conflict(
                _("This grant can be renewed from %(date)s.")
                % {"date": date_format(grant.expires_at - timedelta(days=RENEWAL_WINDOW_DAYS))},
                code="too_early",
            )
        version = current_policy(grant.dataset)
        terms = version.terms
        if terms.renewal_report_required and not report:
            raise RequestError(
                _("%(field)s: tell the community what you built with the data")
                % {"field": "usageReport"},
                code="required",
                field="usageReport",
            )
        ip_country = country_of(ip) if ip else None
        result = decide(
            terms,
            Requester(
                country=grant.country,
                purpose=Purpose(grant.purpose),
                organization_type=OrganizationType(grant.organization_type),
                organization_verified=grant.organization_verified,
                has_grant=True,
                has_paid=True,
            ),
            fee_rate=_fee_rate(),
        )
        if result.outcome == Outcome.DENIED or (ip_country and ip_country != grant.country):
            raise AccessError(
                decision_text(result) or _("Renew from the country your access was granted for."),
                code=result.code if result.outcome == Outcome.DENIED else "country_mismatch",
            )
        days = terms.grant_days
        grant.policy_version = version
        grant.expires_at = max(now, grant.expires_at) + timedelta(days=days) if days else None
        grant.renewed_at, grant.reminded_at = now, None
        if report:
            grant.usage_report = report
        grant.save()
        record(
            actor=actor,
            action="access.grant.renewed",
            target=grant.dataset,
            organization_id=grant.dataset.organization_id,
            data={"grant": grant.public_id, "terms": version.pk, "report": bool(report)},
        )
    return grant


REMINDER_DAYS = 14


def remind_expiring_grants(*, now=None) -> int:
    """Email the holders of grants that end within REMINDER_DAYS, once per term."""
    now = now or timezone.now()
    due = (
        Grant.objects.active(now)
        .filter(expires_at__lte=now + timedelta(days=REMINDER_DAYS), reminded_at__isnull=True)
        .select_related("user", "dataset")
    )
    count = 0
    for grant in due:
        with transaction.atomic():
            if not Grant.objects.filter(pk=grant.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            send_after_commit(
                [grant.user.email],
                _("Your access to %(name)s ends soon") % {"name": grant.dataset.name},
                "access/email/grant_expiring.txt",
                {
                    "grant": grant,
                    "dataset": grant.dataset,
                    "renew_url": absolute_url(reverse("access:my-access")),
                },
            )
            count += 1
    return count


# Consent withdrawal: a version leaves circulation, and those who hold a copy are asked to
# delete it.

DELETION_DEADLINE_DAYS = 30


def withdraw_version(
    version: DatasetVersion, *, actor, reason: Any, deadline_days: int = DELETION_DEADLINE_DAYS
) -> DatasetVersion:
    """Withdraw a published version (e.g. its contributors withdrew their consent): new
    downloads of it stop with 410 and the reason, and everyone outside the organization who
    downloaded it is emailed the reason and asked to delete their copy and confirm by the
    deadline. A replacement version can then be published the usual way."""
    user = getattr(actor, "user", actor)
    reason = _clean_text(reason, "reason", REQUEST_TEXT_LIMIT, required=True)
    if not 1 <= deadline_days <= 365:
        raise RequestError(
            _("%(field)s: must be from 1 to 365") % {"field": "deadlineDays"},
            code="invalid",
            field="deadlineDays",
        )
    now = timezone.now()
    deadline = now + timedelta(days=deadline_days)
    with transaction.atomic():
        version = (
            DatasetVersion.objects.select_for_update(of=("self",))
            .select_related("dataset__organization")
            .get(pk=version.pk)
        )
        dataset = version.dataset
        if not can(user, dataset.organization, MANAGE_TERMS):
            raise Forbidden(_("You may not withdraw this version."), code="not_allowed")
        if not version.is_published:
            raise Conflict(_("Only a published version can be withdrawn."), code="not_published")
        if version.is_withdrawn:
            raise Conflict(_("This version was already withdrawn."), code="already_withdrawn")
        version.withdrawn_at, version.withdrawal_reason = now, reason
        version.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        members = Membership.objects.filter(organization=dataset.organization).values("user_id")
        holders = (
            User.objects.filter(
                pk__in=DownloadEvent.objects.filter(version=version).values("user_id")
            )
            .exclude(pk__in=members)
            .order_by("pk")
        )
        notices = DeletionRequest.objects.bulk_create(
            [
                DeletionRequest(
                    version=version, user=holder, token=new_public_id(), deadline=deadline
                )
                for holder in holders
            ]
        )
        record(
            actor=actor,
            action="access.version.withdrawn",
            target=dataset,
            organization_id=dataset.organization_id,
            data={"version": version.number, "reason": reason, "holders": len(notices)},
        )
        for notice in notices:
            send_after_commit(
                [notice.user.email],
                _("Please delete your copy of %(name)s") % {"name": dataset.name},
                "access/email/deletion_requested.txt",
                {
                    "dataset": dataset,
                    "version": version,
                    "notice": notice,
                    "confirm_url": absolute_url(
                        reverse("access:confirm-deletion", args=[notice.token])
                    ),
                },
            )
    return version


def confirm_deletion(notice: DeletionRequest, *, actor) -> DeletionRequest:
    """The holder confirms they deleted their copy of a withdrawn version (once)."""
    user = getattr(actor, "user", actor)
    with transaction.atomic():
        notice = (
            DeletionRequest.objects.select_for_update(of=("self",))
            .select_related("version__dataset")
            .get(pk=notice.pk)
        )
        if notice.user_id != user.pk:
            raise NotFound(_("Not found"))
        if notice.confirmed_at is not None:
            return notice
        notice.confirmed_at = timezone.now()
        notice.save(update_fields=["confirmed_at"])
        dataset = notice.version.dataset
        record(
            actor=actor,
            action="access.deletion.confirmed",
            target=dataset,
            organization_id=dataset.organization_id,
            data={
                "version": notice.version.number,
                "user": user.pk,
                "late": notice.lapsed_at is not None,
            },
        )
    return notice


def lapse_deletion_requests(*, now=None) -> int:
    """Record in the audit log each deletion request whose deadline passed unconfirmed."""
    now = now or timezone.now()
    count = 0
    due = DeletionRequest.objects.filter(
        deadline__lte=now, confirmed_at__isnull=True, lapsed_at__isnull=True
    ).select_related("version__dataset")
    for notice in due:
        with transaction.atomic():
            if not DeletionRequest.objects.filter(pk=notice.pk, lapsed_at__isnull=True).update(
                lapsed_at=now
            ):
                continue
            dataset = notice.version.dataset
            record(
                actor=None,
                action="access.deletion.unconfirmed",
                target=dataset,
                organization_id=dataset.organization_id,
                data={"version": notice.version.number, "user": notice.user_id},
            )
            count += 1
    return count
