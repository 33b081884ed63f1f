"""Writes to storage: stored blobs, and the resumable multipart uploads that end in one.

An upload follows the MDC protocol in two phases: start, then parts sent straight to
storage (an S3 presigned URL, or Steward's own signed part URL on local disk), then
completion with the part list and the file's SHA-256. Storage I/O never runs inside a
database transaction: a large transfer must not hold one open.
"""

import re
from datetime import timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.lib.errors import DomainError, Forbidden, Gone
from steward.lib.ids import new_public_id

from . import objectstore
from .models import Blob, Upload
from .objectstore import Part, StorageError, hash_object

MAX_UPLOAD_BYTES = 1_099_511_627_776  # 1 TiB, the limit of MDC's schema
MAX_PARTS = 10_000
MIN_PART_BYTES = 5 * 1024 * 1024  # every part but the last, as S3 requires
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024
PART_TOKEN_SALT = "steward.upload.part"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
MIME_TYPE_RE = re.compile(r"^application/(x-)?(gzip|tar)$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
PURPOSES = ("archive", "sample")


class UploadError(DomainError):
    """Codes: invalid_filename, invalid_size, invalid_mime_type, invalid_part_number,
    invalid_parts, invalid_checksum, wrong_upload_id, part_missing, etag_mismatch,
    part_too_small, part_too_large, part_incomplete, size_mismatch, checksum_mismatch,
    join_failed."""


class UploadUnavailable(UploadError):
    """The completion was accepted but its verification could not be queued; sending the
    same completion again resumes it. Code: verification_not_queued."""

    status = 503


class UploadConflict(UploadError):
    """The upload is not in a state for this request. Codes: upload_completed, parts_changed,
    completing."""

    status = 409


def store_blob(source: BinaryIO, *, prefix: str, filename: str, content_type: str) -> Blob:
    """Stream `source` into storage and record it; the bytes are written before the row."""
    key = f"{prefix}/{new_public_id()}/{filename}"
    # Storage I/O stays outside any transaction: a rolled-back row must not
    # leave a transaction open for the length of a large upload.
    size, sha256 = objectstore.put(key, source)
    try:
        with transaction.atomic():
            return Blob.objects.create(
                key=key, size_bytes=size, sha256=sha256, content_type=content_type
            )
    except IntegrityError:
        objectstore.delete(key)
        raise


# Uploads.


def _clean_filename(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 255:
        raise UploadError(
            _("%(field)s: a file name of 1 to 255 characters is required") % {"field": "filename"},
            code="invalid_filename",
            field="filename",
        )
    bare = (
        "/" not in value
        and "\\" not in value
        and not value.startswith(".")
        and value == value.strip()
        and value.isprintable()
    )
    if not bare or not value.lower().endswith(ARCHIVE_SUFFIXES):
        raise UploadError(
            _("%(field)s: %(value)r must be a bare file name ending in .tar.gz or .tgz")
            % {"field": "filename", "value": value},
            code="invalid_filename",
            field="filename",
        )
    return value


def _clean_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_UPLOAD_BYTES:
        raise UploadError(
            _("%(field)s: must be a whole number of bytes from 1 to %(max_upload_bytes)s")
            % {"field": "fileSize", "max_upload_bytes": MAX_UPLOAD_BYTES},
            code="invalid_size",
            field="fileSize",
        )
    return value


def _clean_mime_type(value: Any) -> str:
    if not isinstance(value, str) or not MIME_TYPE_RE.match(value.strip().lower()):
        raise UploadError(
            _("%(field)s: must be application/gzip (or application/x-gzip, application/x-tar)")
            % {"field": "mimeType"},
            code="invalid_mime_type",
            field="mimeType",
        )
    return value.strip().lower()


def _clean_part_number(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARTS:
        raise UploadError(
            _("%(field)s: must be a whole number from 1 to %(max_parts)s")
            % {"field": "partNumber", "max_parts": MAX_PARTS},
            code="invalid_part_number",
            field="partNumber",
        )
    return value


def _clean_etag(value: str) -> str:
    # Clients strip the quotes S3 puts around ETags (the MDC SDK does); compare without them.
    return value.strip().strip('"').strip().lower()


def _clean_parts(value: Any) -> list[tuple[int, str]]:
    """The claimed parts as sorted (number, ETag) pairs, numbered 1..N without gaps."""
    if not isinstance(value, list) or not value:
        raise UploadError(
            _("%(field)s: list every part as {partNumber, etag}") % {"field": "parts"},
            code="invalid_parts",
            field="parts",
        )
    parts = []
    for item in value:
        if not isinstance(item, dict):
            raise UploadError(
                _("%(field)s: each part is an object {partNumber, etag}") % {"field": "parts"},
                code="invalid_parts",
                field="parts",
            )
        number = _clean_part_number(item.get("partNumber"))
        etag = item.get("etag")
        if not isinstance(etag, str) or not _clean_etag(etag):
            raise UploadError(
                _("%(field)s: part %(number)s has no etag") % {"field": "parts", "number": number},
                code="invalid_parts",
                field="parts",
            )
        parts.append((number, _clean_etag(etag)))
    parts.sort()
    if [number for number, _ in parts] != list(range(1, len(parts) + 1)):
        raise UploadError(
            _("%(field)s: part numbers must run from 1 upwards without gaps or repeats")
            % {"field": "parts"},
            code="invalid_parts",
            field="parts",
        )
    return parts


def _clean_checksum(value: Any) -> str:
    checksum = value.strip().lower() if isinstance(value, str) else ""
    if not SHA256_RE.match(checksum):
        raise UploadError(
            _("%(field)s: the SHA-256 of the whole file, as 64 hexadecimal digits")
            % {"field": "checksum"},
            code="invalid_checksum",
            field="checksum",
        )
    return checksum


def _require_open(upload: Upload) -> None:
    """Refuse an upload that no longer takes parts: 409 once completed, 410 once dead."""
    if upload.status in (Upload.Status.VERIFYING, Upload.Status.COMPLETED):
        raise UploadConflict(_("This upload is already complete."), code="upload_completed")
    if upload.status == Upload.Status.ABORTED:
        raise Gone(_("This upload was cancelled; start a new one."), code="upload_aborted")
    if upload.status == Upload.Status.FAILED:
        raise Gone(
            _("This upload failed: %(failure)s Start a new one.") % {"failure": upload.failure},
            code="upload_failed",
        )
    if upload.expires_at <= timezone.now():
        raise Gone(_("This upload has expired; start a new one."), code="upload_expired")


def start_upload(
    owner,
    *,
    reference: str,
    purpose: str,
    filename: Any,
    size_bytes: Any,
    mime_type: Any,
    actor=None,
    organization_id: int | None = None,
) -> Upload:
    """Open a multipart upload of one .tar.gz file; nothing is stored until parts arrive."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown upload purpose {purpose!r}")
    filename = _clean_filename(filename)
    size_bytes = _clean_size(size_bytes)
    mime_type = _clean_mime_type(mime_type)
    public_id = new_public_id()
    key = f"uploads/{public_id}/{filename}"
    store = objectstore.get_store()
    store_upload_id = store.create_multipart(key)
    try:
        with transaction.atomic():
            upload = Upload.objects.create(
                public_id=public_id,
                owner=owner,
                reference=reference,
                purpose=purpose,
                filename=filename,
                mime_type=mime_type,
                size_bytes=size_bytes,
                key=key,
                store_upload_id=store_upload_id,
                expires_at=timezone.now() + timedelta(days=settings.STEWARD_UPLOAD_EXPIRY_DAYS),
            )
            record(
                actor=actor if actor is not None else owner,
                action="storage.upload.started",
                target=upload,
                organization_id=organization_id,
                data={
                    "purpose": purpose,
                    "reference": reference,
                    "filename": filename,
                    "size_bytes": size_bytes,
                },
            )
    except BaseException:
        store.abort_multipart(key, store_upload_id)
        raise
    return upload


def part_url(upload: Upload, number: Any, *, base_url: str | None = None) -> str:
    """An absolute URL that takes one part by PUT, without credentials, for a limited time.

    On S3 it is the store's presigned URL; on local disk it is Steward's own part URL,
    under `base_url` (the address the client reached; STEWARD_BASE_URL by default)."""
    number = _clean_part_number(number)
    upload.refresh_from_db(fields=["status", "expires_at", "failure"])
    _require_open(upload)
    # Activity keeps an upload alive, so a long transfer resumed after days still finds it.
    # Pushed back at most once an hour: a database write for every part would make the
    # part URLs of a fast upload wait on each other (SQLite takes one writer at a time).
    expires_at = timezone.now() + timedelta(days=settings.STEWARD_UPLOAD_EXPIRY_DAYS)
    if upload.expires_at < expires_at - timedelta(hours=1):
        Upload.objects.filter(pk=upload.pk, status=Upload.Status.UPLOADING).update(
            expires_at=expires_at
        )
    seconds = settings.STEWARD_UPLOAD_PART_URL_SECONDS
    url = objectstore.get_store().part_upload_url(
        upload.key, upload.store_upload_id, number, seconds
    )
    if url is None:
        token = signing.dumps({"u": upload.public_id, "n": number}, salt=PART_TOKEN_SALT)
        base = (base_url or settings.STEWARD_BASE_URL).rstrip("/")
        url = base + reverse("storage:part-upload", args=[token])
    return url


def upload_for_part_token(token: str) -> tuple[Upload, int]:
    """The upload and part number a local part URL was signed for (403 when the token is
    forged, altered or older than STEWARD_UPLOAD_PART_URL_SECONDS; 410 for a lost upload)."""
    try:
        data = signing.loads(
            token, salt=PART_TOKEN_SALT, max_age=settings.STEWARD_UPLOAD_PART_URL_SECONDS
        )
    except signing.SignatureExpired:
        raise Forbidden(
            _("This part URL has expired; ask for a new one."), code="part_url_expired"
        ) from None
    except signing.BadSignature:
        raise Forbidden(_("This part URL is not valid."), code="part_url_invalid") from None
    upload = Upload.objects.filter(public_id=data.get("u")).first()
    if upload is None:
        raise Gone(_("This upload no longer exists."), code="upload_gone")
    return upload, _clean_part_number(data.get("n"))


def write_part(upload: Upload, number: Any, source: BinaryIO, length: int) -> Part:
    """Store one part streamed from `source` (local storage); a part sent again replaces
    the earlier copy. Refused with 410 once the upload no longer takes parts."""
    number = _clean_part_number(number)
    if length > MAX_PART_BYTES:
        raise UploadError(_("A part may hold at most 5 GiB."), code="part_too_large")
    upload.refresh_from_db(fields=["status", "expires_at", "failure"])
    if upload.status != Upload.Status.UPLOADING or upload.expires_at <= timezone.now():
        raise Gone(_("This upload no longer takes parts."), code="upload_closed")
    try:
        return objectstore.get_store().write_part(upload.store_upload_id, number, source, length)
    except (StorageError, FileNotFoundError) as exc:
        # The parts folder goes away when the upload is completed or cancelled meanwhile.
        upload.refresh_from_db(fields=["status"])
        if upload.status != Upload.Status.UPLOADING:
            raise Gone(_("This upload no longer takes parts."), code="upload_closed") from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise UploadError(
            _("The part was not stored: %(detail)s") % {"detail": exc}, code="part_incomplete"
        ) from None


def list_parts(upload: Upload) -> list[Part]:
    """The parts storage holds for an open upload (so a client can resume), or the parts
    a completed upload was accepted with."""
    upload.refresh_from_db(fields=["status", "expires_at", "failure", "parts"])
    if upload.status in (Upload.Status.VERIFYING, Upload.Status.COMPLETED):
        return [Part(p["partNumber"], p["etag"], p["size"]) for p in upload.parts]
    _require_open(upload)
    try:
        return objectstore.get_store().list_parts(upload.key, upload.store_upload_id)
    except StorageError:
        raise Gone(_("This upload is no longer in storage."), code="upload_gone") from None


def _repeated_completion(
    upload: Upload,
    parts: list[tuple[int, str]],
    checksum: str,
    resume: dict | None = None,
) -> Upload:
    """The answer to a completion sent again. Given `resume` (complete_upload's actor,
    organization_id and verify_with), a verification left unfinished is resumed first."""
    accepted = [(p["partNumber"], p["etag"].lower()) for p in upload.parts]
    if accepted != parts or upload.claimed_sha256 != checksum:
        raise UploadConflict(
            _("This upload was already completed with other parts or another checksum."),
            code="parts_changed",
        )
    if resume is not None and upload.status == Upload.Status.VERIFYING:
        # The first completion may have died before its verification was queued or ran:
        # resume it, so that retrying is how a client gets a stuck upload moving again.
        return _resume_verification(upload, **resume)
    return upload


def _verification_queued(upload: Upload, task) -> bool:
    """Whether a verification task for `upload` is waiting or running in the task queue."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        args_kwargs__kwargs__upload_id=upload.pk,
    ).exists()


def _resume_verification(upload: Upload, *, actor, organization_id, verify_with) -> Upload:
    if upload.size_bytes <= settings.STEWARD_INLINE_VERIFY_BYTES:
        # As the first completion would have: verify_upload is safe to run twice at once.
        return _verify_inline(upload, actor=actor, organization_id=organization_id)
    verify_with = verify_with or _default_verify_task()
    with transaction.atomic():
        # The row lock makes concurrent retries take turns, so only one of them queues.
        Upload.objects.select_for_update().filter(pk=upload.pk).first()
        if not _verification_queued(upload, verify_with):
            _enqueue_verification(upload, verify_with)
    upload.refresh_from_db()
    return upload


def _default_verify_task():
    from .tasks import verify_upload

    return verify_upload


def _enqueue_verification(upload: Upload, verify_with) -> None:
    """Queue `verify_with` for `upload` once the transaction commits. A queue that cannot
    take it (the database restarting, say) is a 503 asking for the same completion again,
    which resumes the verification (see _repeated_completion)."""
    upload_id = upload.pk

    def enqueue() -> None:
        try:
            verify_with.enqueue(upload_id=upload_id)
        except Exception as exc:
            raise UploadUnavailable(
                _(
                    "The upload was received but its verification could not be queued "
                    "(%(detail)s); send the same completion again."
                )
                % {"detail": type(exc).__name__},
                code="verification_not_queued",
            ) from exc

    transaction.on_commit(enqueue)


def _verify_inline(upload: Upload, *, actor, organization_id) -> Upload:
    upload = verify_upload(upload, actor=actor, organization_id=organization_id)
    if upload.status == Upload.Status.FAILED:
        raise UploadError(upload.failure, code="checksum_mismatch", field="checksum")
    return upload


def _check_parts(upload: Upload, parts: list[tuple[int, str]], stored: dict[int, Part]) -> None:
    for number, etag in parts:
        part = stored.get(number)
        if part is None:
            raise UploadError(
                _("%(field)s: part %(number)s was never uploaded")
                % {"field": "parts", "number": number},
                code="part_missing",
                field="parts",
            )
        if _clean_etag(part.etag) != etag:
            raise UploadError(
                _(
                    "%(field)s: the etag of part %(number)s does not match the part in storage "
                    "(upload that part again)"
                )
                % {"field": "parts", "number": number},
                code="etag_mismatch",
                field="parts",
            )
    for number, _etag in parts[:-1]:
        if stored[number].size < MIN_PART_BYTES:
            raise UploadError(
                _(
                    "%(field)s: part %(number)s holds %(size)s bytes; every part but the last must "
                    "hold at least %(min_part_bytes)s"
                )
                % {
                    "field": "parts",
                    "number": number,
                    "size": stored[number].size,
                    "min_part_bytes": MIN_PART_BYTES,
                },
                code="part_too_small",
                field="parts",
            )
    total = sum(stored[number].size for number, _ in parts)
    if total != upload.size_bytes:
        raise UploadError(
            _("The parts hold %(total)s bytes, but the upload was started for %(size_bytes)s.")
            % {"total": total, "size_bytes": upload.size_bytes},
            code="size_mismatch",
            field="parts",
        )


def complete_upload(
    upload: Upload,
    *,
    parts: Any,
    checksum: Any,
    store_upload_id: Any = None,
    actor=None,
    organization_id: int | None = None,
    verify_with=None,
) -> Upload:
    """Join the parts into one file and verify it against `checksum`; idempotent.

    Part numbers, ETags and the total size are checked at once (400, and the upload stays
    open for another try). A file up to STEWARD_INLINE_VERIFY_BYTES is hashed here: a
    match makes the Blob (COMPLETED), a mismatch deletes the file (FAILED, 400). A larger
    one is left VERIFYING and `verify_with` (a task taking `upload_id`; by default
    storage's `verify_upload`) is enqueued, so completion stays within clients' timeouts.
    The same completion sent again answers with the upload as it is, first resuming a
    verification that never ran or was never queued; different parts or checksum after
    success are a 409."""
    claimed = _clean_parts(parts)
    checksum = _clean_checksum(checksum)
    upload = Upload.objects.get(pk=upload.pk)
    resume = {"actor": actor, "organization_id": organization_id, "verify_with": verify_with}
    if store_upload_id is not None and store_upload_id != upload.store_upload_id:
        raise UploadError(
            _("%(field)s: this is not the uploadId of this upload") % {"field": "uploadId"},
            code="wrong_upload_id",
            field="uploadId",
        )
    if upload.status in (Upload.Status.VERIFYING, Upload.Status.COMPLETED):
        return _repeated_completion(upload, claimed, checksum, resume)
    _require_open(upload)

    # Below, a repetition is a completion running at this moment: it is not resumed.
    store = objectstore.get_store()
    try:
        stored = {p.number: p for p in store.list_parts(upload.key, upload.store_upload_id)}
    except StorageError:
        upload.refresh_from_db()
        if upload.status in (Upload.Status.VERIFYING, Upload.Status.COMPLETED):
            return _repeated_completion(upload, claimed, checksum)
        _require_open(upload)
        raise Gone(_("This upload is no longer in storage."), code="upload_gone") from None
    _check_parts(upload, claimed, stored)

    accepted = [
        {"partNumber": n, "etag": _clean_etag(stored[n].etag), "size": stored[n].size}
        for n, _ in claimed
    ]
    # Claim the upload with a conditional update: of two completions sent at once, only
    # one joins the parts; the other sees VERIFYING and answers as a repetition.
    won = Upload.objects.filter(pk=upload.pk, status=Upload.Status.UPLOADING).update(
        status=Upload.Status.VERIFYING, parts=accepted, claimed_sha256=checksum
    )
    upload.refresh_from_db()
    if not won:
        if upload.status in (Upload.Status.VERIFYING, Upload.Status.COMPLETED):
            return _repeated_completion(upload, claimed, checksum)
        _require_open(upload)
        raise UploadConflict(
            _("Another completion of this upload is under way; try again."), code="completing"
        )
    inline = upload.size_bytes <= settings.STEWARD_INLINE_VERIFY_BYTES
    # Joining local parts copies every byte, so for a large upload the worker joins them
    # before hashing, keeping completion within clients' timeouts. S3 joins in place.
    if inline or store.kind != "local":
        try:
            _join(store, upload, [n for n, _ in claimed])
        except StorageError as exc:
            Upload.objects.filter(pk=upload.pk).update(
                status=Upload.Status.UPLOADING, parts=[], claimed_sha256=""
            )
            raise UploadError(
                _("Storage could not join the parts (%(detail)s); send the completion again.")
                % {"detail": exc},
                code="join_failed",
            ) from None

    if inline:
        return _verify_inline(upload, actor=actor, organization_id=organization_id)
    _enqueue_verification(upload, verify_with or _default_verify_task())
    return upload


def _join(store, upload: Upload, numbers: list[int]) -> None:
    """Join the parts into the upload's file. A completion being resumed may join at the
    same time as the first one: the join is atomic, so whichever loses finds the file there."""
    try:
        store.complete_multipart(upload.key, upload.store_upload_id, numbers)
    except StorageError:
        if not store.exists(upload.key):
            raise


def verify_upload(upload: Upload, *, actor=None, organization_id: int | None = None) -> Upload:
    """Hash a joined upload: a match records its Blob (COMPLETED); a mismatch deletes the
    file (FAILED). An upload not waiting for verification is returned unchanged."""
    upload = Upload.objects.get(pk=upload.pk)
    if upload.status != Upload.Status.VERIFYING:
        return upload
    store = objectstore.get_store()
    try:
        if not store.exists(upload.key):
            # Completion left the local parts for the worker to join (see complete_upload).
            _join(store, upload, [part["partNumber"] for part in upload.parts])
        size, sha256 = hash_object(store, upload.key)
    except StorageError:
        size, sha256 = -1, ""
    if size == upload.size_bytes and sha256 == upload.claimed_sha256:
        failure = ""
    elif size < 0:
        failure = "The joined file is missing from storage."
    else:
        failure = (
            f"The file's SHA-256 is {sha256}, not {upload.claimed_sha256} as the client"
            " computed: the upload was damaged."
        )
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if upload.status != Upload.Status.VERIFYING:
            return upload
        upload.completed_at = timezone.now()
        if not failure:
            upload.blob = Blob.objects.create(
                key=upload.key, size_bytes=size, sha256=sha256, content_type=upload.mime_type
            )
            upload.status = Upload.Status.COMPLETED
        else:
            upload.status = Upload.Status.FAILED
            upload.failure = failure
        upload.save(update_fields=["status", "blob", "failure", "completed_at"])
        record(
            actor=actor,
            action="storage.upload.failed" if failure else "storage.upload.completed",
            target=upload,
            organization_id=organization_id,
            data={
                "purpose": upload.purpose,
                "reference": upload.reference,
                "size_bytes": upload.size_bytes,
                "sha256": sha256,
                "claimed_sha256": upload.claimed_sha256,
            },
        )
    if failure:
        # After the commit: the failed row is what tells the client; the bytes are junk.
        objectstore.delete(upload.key)
    return upload


def abort_upload(upload: Upload, *, actor=None, organization_id: int | None = None) -> Upload:
    """Cancel an unfinished upload and drop its parts; its URLs then answer 410.
    Cancelling twice changes nothing; a completed upload cannot be cancelled (409)."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if upload.status in (Upload.Status.ABORTED, Upload.Status.FAILED):
            return upload
        if upload.status != Upload.Status.UPLOADING:
            raise UploadConflict(
                _("This upload is complete and can no longer be cancelled."),
                code="upload_completed",
            )
        upload.status = Upload.Status.ABORTED
        upload.save(update_fields=["status"])
        record(
            actor=actor,
            action="storage.upload.aborted",
            target=upload,
            organization_id=organization_id,
            data={"purpose": upload.purpose, "reference": upload.reference},
        )
    objectstore.get_store().abort_multipart(upload.key, upload.store_upload_id)
    return upload


def expire_uploads(*, now=None) -> int:
    """Cancel every unfinished upload past its expiry and free its parts; returns how many."""
    now = now or timezone.now()
    expired = Upload.objects.filter(status=Upload.Status.UPLOADING, expires_at__lte=now)
    count = 0
    for upload in expired.iterator():
        with transaction.atomic():
            won = Upload.objects.filter(
                pk=upload.pk, status=Upload.Status.UPLOADING, expires_at__lte=now
            ).update(status=Upload.Status.ABORTED, failure="Expired before completion.")
            if won:
                record(
                    actor=None,
                    action="storage.upload.expired",
                    target=upload,
                    data={"purpose": upload.purpose, "reference": upload.reference},
                )
        if won:
            objectstore.get_store().abort_multipart(upload.key, upload.store_upload_id)
            count += 1
    return count
