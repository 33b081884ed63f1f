"""Resumable multipart uploads: start, parts, completion with verification, on both backends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.lib.errors import Gone
from steward.storage import objectstore, services
from steward.storage.models import Blob, Upload
from steward.storage.services import UploadConflict, UploadError

from .uploads import MiB, payload, send_part, send_parts, sha256

pytestmark = pytest.mark.django_db


def start(owner, size: int, **overrides) -> Upload:
    fields = {
        "reference": "csubmission",
        "purpose": "archive",
        "filename": "speech.tar.gz",
        "size_bytes": size,
        "mime_type": "application/gzip",
    }
    return services.start_upload(owner, **{**fields, **overrides})


def test_parts_sent_out_of_order_become_one_verified_blob(client, owner, storage_backend):
    data = payload(11 * MiB)
    upload = start(owner, len(data))
    assert upload.status == Upload.Status.UPLOADING
    assert upload.key == f"uploads/{upload.public_id}/speech.tar.gz"
    chunks = [data[: 5 * MiB], data[5 * MiB : 10 * MiB], data[10 * MiB :]]
    etags = {n: send_part(client, upload, n, chunks[n - 1]) for n in (3, 1, 2)}
    assert [(p.number, p.size) for p in services.list_parts(upload)] == [
        (1, 5 * MiB),
        (2, 5 * MiB),
        (3, MiB),
    ]

    upload = services.complete_upload(
        upload,
        parts=[{"partNumber": n, "etag": etags[n]} for n in (1, 2, 3)],
        checksum=sha256(data),
        store_upload_id=upload.store_upload_id,
    )

    assert upload.status == Upload.Status.COMPLETED and upload.completed_at is not None
    assert upload.blob.sha256 == sha256(data) and upload.blob.size_bytes == len(data)
    with objectstore.open_for_reading(upload.blob.key) as f:
        assert f.read() == data
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("seq"))
    assert actions == ["storage.upload.started", "storage.upload.completed"]


def test_quoted_and_upper_case_etags_are_accepted(client, owner, storage_backend):
    data = payload(1000)
    upload = start(owner, len(data))
    etag = send_part(client, upload, 1, data)
    upload = services.complete_upload(
        upload, parts=[{"partNumber": 1, "etag": f' "{etag.upper()}" '}], checksum=sha256(data)
    )
    assert upload.status == Upload.Status.COMPLETED


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("filename", "speech.zip", "invalid_filename"),
        ("filename", "speech.tar", "invalid_filename"),
        ("filename", "../speech.tar.gz", "invalid_filename"),
        ("filename", "data/speech.tar.gz", "invalid_filename"),
        ("filename", ".tar.gz", "invalid_filename"),
        ("filename", "", "invalid_filename"),
        ("filename", "a" * 250 + ".tar.gz", "invalid_filename"),
        ("filename", None, "invalid_filename"),
        ("size_bytes", 0, "invalid_size"),
        ("size_bytes", -5, "invalid_size"),
        ("size_bytes", 1_099_511_627_777, "invalid_size"),
        ("size_bytes", "1000", "invalid_size"),
        ("size_bytes", 10.5, "invalid_size"),
        ("size_bytes", True, "invalid_size"),
        ("mime_type", "application/zip", "invalid_mime_type"),
        ("mime_type", "text/plain", "invalid_mime_type"),
        ("mime_type", "application/gzipx", "invalid_mime_type"),
        ("mime_type", None, "invalid_mime_type"),
    ],
)
def test_bad_start_is_refused_and_stores_nothing(owner, field, value, code):
    with pytest.raises(UploadError) as error:
        start(owner, 1000, **{field: value})
    assert error.value.code == code and error.value.status == 400
    assert not Upload.objects.exists()
    assert not (objectstore.get_store().root / ".multipart").exists()


@pytest.mark.parametrize(
    ("filename", "mime_type"),
    [
        ("speech.tgz", "application/x-gzip"),
        ("Speech.TAR.GZ", "application/x-tar"),
        ("speech v1.tar.gz", "Application/GZIP"),
    ],
)
def test_accepted_names_and_types(owner, filename, mime_type):
    upload = start(owner, 1000, filename=filename, mime_type=mime_type)
    assert upload.filename == filename and upload.mime_type == mime_type.lower()


@pytest.mark.parametrize("number", [0, 10001, "x", "-1", "1.5", None, True])
def test_a_bad_part_number_is_refused(owner, number):
    upload = start(owner, 1000)
    with pytest.raises(UploadError) as error:
        services.part_url(upload, number)
    assert error.value.code == "invalid_part_number"


def test_part_numbers_up_to_ten_thousand_are_allowed(owner, storage_backend):
    upload = start(owner, 1000)
    assert services.part_url(upload, 10000, base_url="http://testserver")
    assert services.part_url(upload, "1", base_url="http://testserver")


def test_asking_for_a_part_keeps_the_upload_alive(owner, settings):
    upload = start(owner, 1000)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    services.part_url(upload, 1)
    upload.refresh_from_db()
    assert upload.expires_at > timezone.now() + timedelta(days=6)


@pytest.fixture
def two_parts(client, owner, storage_backend):
    """An upload of 6 MiB in two parts, both stored, not yet completed."""
    data = payload(6 * MiB)
    upload = start(owner, len(data))
    parts = send_parts(client, upload, data)
    return upload, parts, data


def assert_still_open(upload):
    """A refused completion leaves the upload as it was, ready for another try."""
    upload.refresh_from_db()
    assert upload.status == Upload.Status.UPLOADING and upload.blob is None
    assert not Blob.objects.exists()
    assert not objectstore.exists(upload.key)


def test_two_parts_complete(two_parts):
    upload, parts, data = two_parts
    upload = services.complete_upload(upload, parts=parts, checksum=sha256(data))
    assert upload.status == Upload.Status.COMPLETED
    assert [(p["partNumber"], p["size"]) for p in upload.parts] == [(1, 5 * MiB), (2, MiB)]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda parts: parts[:1], "size_mismatch"),
        (lambda parts: [*parts, {"partNumber": 3, "etag": "0" * 32}], "part_missing"),
        (lambda parts: [parts[0], {"partNumber": 2, "etag": "0" * 32}], "etag_mismatch"),
        (lambda parts: [parts[0], {"partNumber": 2}], "invalid_parts"),
        (lambda parts: [parts[0], {"partNumber": 2, "etag": ""}], "invalid_parts"),
        (lambda parts: [parts[1]], "invalid_parts"),  # does not start at 1
        (lambda parts: [parts[0], parts[0], parts[1]], "invalid_parts"),
        (lambda parts: [], "invalid_parts"),
        (lambda parts: "1,2", "invalid_parts"),
        (lambda parts: [{"partNumber": "one", "etag": "x"}], "invalid_part_number"),
    ],
)
def test_completion_with_wrong_parts_is_refused_and_stays_open(two_parts, change, code):
    upload, parts, data = two_parts
    with pytest.raises(UploadError) as error:
        services.complete_upload(upload, parts=change(parts), checksum=sha256(data))
    assert error.value.code == code and error.value.status == 400
    assert_still_open(upload)
    # The same upload then completes with the right parts.
    upload = services.complete_upload(upload, parts=parts, checksum=sha256(data))
    assert upload.status == Upload.Status.COMPLETED


@pytest.mark.parametrize("checksum", ["", "abc", "g" * 64, None, 42])
def test_a_malformed_checksum_is_refused(two_parts, checksum):
    upload, parts, _ = two_parts
    with pytest.raises(UploadError) as error:
        services.complete_upload(upload, parts=parts, checksum=checksum)
    assert error.value.code == "invalid_checksum"
    assert_still_open(upload)


def test_another_upload_id_is_refused(two_parts):
    upload, parts, data = two_parts
    with pytest.raises(UploadError) as error:
        services.complete_upload(
            upload, parts=parts, checksum=sha256(data), store_upload_id="not-this-one"
        )
    assert error.value.code == "wrong_upload_id"
    assert_still_open(upload)


def test_a_declared_size_that_differs_from_the_parts_is_refused(client, owner, storage_backend):
    data = payload(1000)
    upload = start(owner, 999)
    parts = send_parts(client, upload, data)
    with pytest.raises(UploadError) as error:
        services.complete_upload(upload, parts=parts, checksum=sha256(data))
    assert error.value.code == "size_mismatch"
    assert_still_open(upload)


def test_a_small_part_before_the_last_is_refused(client, owner, storage_backend):
    data = payload(3000)
    upload = start(owner, len(data))
    parts = send_parts(client, upload, data, part_size=1000)
    with pytest.raises(UploadError) as error:
        services.complete_upload(upload, parts=parts, checksum=sha256(data))
    assert error.value.code == "part_too_small"
    assert_still_open(upload)


def test_a_checksum_mismatch_fails_the_upload_and_deletes_the_file(two_parts):
    upload, parts, data = two_parts
    with pytest.raises(UploadError) as error:
        services.complete_upload(upload, parts=parts, checksum=sha256(b"other bytes"))
    assert error.value.code == "checksum_mismatch" and error.value.status == 400
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED and "SHA-256" in upload.failure
    assert not Blob.objects.exists() and not objectstore.exists(upload.key)
    assert AuditEvent.objects.filter(action="storage.upload.failed").exists()
    # The dead upload answers 410, which makes the SDK drop its state and start afresh.
    with pytest.raises(Gone):
        services.complete_upload(upload, parts=parts, checksum=sha256(data))
    with pytest.raises(Gone):
        services.part_url(upload, 1)


def test_a_repeated_completion_answers_the_same(two_parts):
    upload, parts, data = two_parts
    first = services.complete_upload(upload, parts=parts, checksum=sha256(data))
    again = services.complete_upload(upload, parts=parts, checksum=sha256(data).upper())
    assert again.pk == first.pk and again.status == Upload.Status.COMPLETED
    assert Blob.objects.count() == 1
    assert AuditEvent.objects.filter(action="storage.upload.completed").count() == 1


def test_a_different_completion_after_success_is_a_conflict(two_parts):
    upload, parts, data = two_parts
    services.complete_upload(upload, parts=parts, checksum=sha256(data))
    with pytest.raises(UploadConflict) as error:
        services.complete_upload(upload, parts=parts, checksum=sha256(b"x"))
    assert error.value.status == 409
    with pytest.raises(UploadConflict):
        services.complete_upload(upload, parts=parts[:1], checksum=sha256(data))
    # No more parts for a completed upload.
    with pytest.raises(UploadConflict):
        services.part_url(upload, 1)


def test_an_expired_upload_is_gone(two_parts):
    upload, parts, data = two_parts
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    upload.refresh_from_db()
    with pytest.raises(Gone):
        services.part_url(upload, 1)
    with pytest.raises(Gone):
        services.complete_upload(upload, parts=parts, checksum=sha256(data))
    with pytest.raises(Gone):
        services.list_parts(upload)
    assert not Blob.objects.exists()


def test_expire_uploads_cancels_stale_ones_and_frees_their_parts(two_parts, owner):
    upload, parts, _ = two_parts
    fresh = start(owner, 1000)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert services.expire_uploads() == 1
    upload.refresh_from_db()
    fresh.refresh_from_db()
    assert upload.status == Upload.Status.ABORTED and fresh.status == Upload.Status.UPLOADING
    with pytest.raises(objectstore.StorageError):
        objectstore.get_store().list_parts(upload.key, upload.store_upload_id)
    assert services.expire_uploads() == 0


def test_abort_drops_the_parts_and_closes_the_upload(two_parts):
    upload, parts, data = two_parts
    upload = services.abort_upload(upload)
    assert upload.status == Upload.Status.ABORTED
    assert services.abort_upload(upload).status == Upload.Status.ABORTED  # twice: no change
    with pytest.raises(Gone):
        services.part_url(upload, 1)
    with pytest.raises(Gone):
        services.complete_upload(upload, parts=parts, checksum=sha256(data))
    assert AuditEvent.objects.filter(action="storage.upload.aborted").count() == 1


def test_a_completed_upload_cannot_be_aborted(two_parts):
    upload, parts, data = two_parts
    services.complete_upload(upload, parts=parts, checksum=sha256(data))
    with pytest.raises(UploadConflict):
        services.abort_upload(upload)


# The worker closes its database connections between tasks, as a real worker does, so
# the test cannot run inside a transaction that is rolled back afterwards.
@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_verified_in_the_background(
    two_parts, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    upload, parts, data = two_parts
    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    with django_capture_on_commit_callbacks(execute=True):
        upload = services.complete_upload(upload, parts=parts, checksum=sha256(data))
    # Completion answered at once; the hashing waits for the worker.
    assert upload.status == Upload.Status.VERIFYING and upload.blob is None
    task = DBTaskResult.objects.get()
    assert task.task_path == "steward.storage.tasks.verify_upload"
    # Repeating the completion meanwhile is fine.
    assert services.complete_upload(upload, parts=parts, checksum=sha256(data)).pk == upload.pk

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    upload.refresh_from_db()
    assert upload.status == Upload.Status.COMPLETED and upload.blob.sha256 == sha256(data)


def test_a_background_checksum_mismatch_fails_the_upload(two_parts, settings):
    upload, parts, _ = two_parts
    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    upload = services.complete_upload(upload, parts=parts, checksum=sha256(b"not it"))
    assert upload.status == Upload.Status.VERIFYING
    upload = services.verify_upload(upload)
    assert upload.status == Upload.Status.FAILED
    assert not Blob.objects.exists() and not objectstore.exists(upload.key)
    # Verifying again changes nothing.
    assert services.verify_upload(upload).status == Upload.Status.FAILED


def test_the_expire_uploads_command(owner, capsys):
    from django.core.management import call_command

    upload = start(owner, 1000)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("expire_uploads")
    assert "Expired 1 unfinished upload." in capsys.readouterr().out
    upload.refresh_from_db()
    assert upload.status == Upload.Status.ABORTED
