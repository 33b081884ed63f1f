"""A completion interrupted after the upload was claimed is finished by the client's retry:
verification queued (once) or run, and the upload attached to its submission."""

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from steward.audit.models import AuditEvent
from steward.catalog import services
from steward.catalog.models import Submission
from steward.catalog.tests import test_uploads_api as api
from steward.storage.models import Upload
from steward.storage.tests.uploads import MiB

pytestmark = pytest.mark.django_db

VERIFY_TASK = "steward.catalog.tasks.verify_submission_upload"
# The fixtures of the upload API's tests: an owner's draft and a stored two-part archive.
draft, headers, stored = api.draft, api.headers, api.stored


def complete(client, headers, fu, body):
    return api.call(client, "post", f"/uploads/{fu}", headers, body)


def test_a_verification_never_queued_is_queued_by_the_retry_once(
    client, headers, draft, stored, settings, django_capture_on_commit_callbacks
):
    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    fu, body = stored
    with django_capture_on_commit_callbacks(execute=True):
        first = complete(client, headers, fu, body)
    assert first.status_code == 200 and first.json()["status"] == "verifying"
    DBTaskResult.objects.all().delete()  # the process died before the task was queued

    for _ in range(2):  # the second retry finds the task waiting and queues no other
        with django_capture_on_commit_callbacks(execute=True):
            retry = complete(client, headers, fu, body)
        assert retry.status_code == 200 and retry.json()["status"] == "verifying"
    task = DBTaskResult.objects.get()
    assert task.task_path == VERIFY_TASK
    assert task.args_kwargs["kwargs"]["upload_id"] == Upload.objects.get().pk

    # Running the queued task ends the upload verified and the submission's archive.
    from steward.catalog.tasks import verify_submission_upload

    with django_capture_on_commit_callbacks(execute=False):
        verify_submission_upload.call(**task.args_kwargs["kwargs"])
    draft.refresh_from_db()
    assert draft.archive_upload.status == Upload.Status.COMPLETED
    assert draft.archive == draft.archive_upload.blob and draft.archive.sha256 == body["checksum"]


# Outside a test transaction, so the task is queued within the request, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_failed_enqueue_is_a_503_and_the_retry_resumes_it(
    client, headers, draft, stored, settings, django_capture_on_commit_callbacks
):
    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    fu, body = stored
    # A queue that refuses work, as during a database restart: its table is not there.
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        response = complete(client, headers, fu, body)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert response.status_code == 503
    assert response.json()["code"] == "verification_not_queued"
    assert Upload.objects.get().status == Upload.Status.VERIFYING

    retry = complete(client, headers, fu, body)
    assert retry.status_code == 200 and retry.json()["status"] == "verifying"
    assert DBTaskResult.objects.get().task_path == VERIFY_TASK
    draft.refresh_from_db()
    assert draft.archive_upload.public_id == fu


def test_a_small_upload_stuck_verifying_is_verified_by_the_retry(
    client, headers, draft, stored, settings
):
    fu, body = stored
    # Left verifying with nothing queued, as when the request dies after the claim.
    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    assert complete(client, headers, fu, body).json()["status"] == "verifying"
    assert not DBTaskResult.objects.exists()
    settings.STEWARD_INLINE_VERIFY_BYTES = 256 * MiB

    retry = complete(client, headers, fu, body)
    assert retry.status_code == 200 and retry.json()["status"] == "completed"
    draft.refresh_from_db()
    assert draft.archive_upload.status == Upload.Status.COMPLETED
    assert draft.archive == draft.archive_upload.blob and draft.archive.sha256 == body["checksum"]


def test_a_completed_upload_never_attached_is_attached_by_the_retry(client, headers, draft, stored):
    fu, body = stored
    assert complete(client, headers, fu, body).status_code == 200
    # As if attach_upload had failed after the upload was verified.
    Submission.objects.filter(pk=draft.pk).update(
        archive_upload=None, archive=None, archive_name=""
    )
    attached = AuditEvent.objects.filter(action="catalog.submission.file_attached")
    before = attached.count()

    for _ in range(2):
        retry = complete(client, headers, fu, body)
        assert retry.status_code == 200 and retry.json()["submissionId"] == draft.public_id
    draft.refresh_from_db()
    assert draft.archive_upload.public_id == fu and draft.archive_name == "speech.tar.gz"
    assert draft.archive == draft.archive_upload.blob
    assert attached.count() == before + 1  # attached once, not on every retry


def test_a_retry_does_not_attach_an_older_upload_over_a_newer_one(client, headers, draft, stored):
    fu, body = stored
    assert complete(client, headers, fu, body).status_code == 200
    Submission.objects.filter(pk=draft.pk).update(archive_upload=None, archive=None)
    newer, _, _ = api.upload_file(client, headers, draft, b"x" * 1000)
    assert complete(client, headers, fu, body).status_code == 200
    draft.refresh_from_db()
    assert draft.archive_upload.public_id == newer["fileUploadId"]


def test_a_retry_of_an_upload_for_a_submission_sent_for_review_is_refused(
    client, headers, draft, stored
):
    fu, body = stored
    assert complete(client, headers, fu, body).status_code == 200
    Submission.objects.filter(pk=draft.pk).update(
        archive_upload=None, archive=None, status=Submission.Status.SUBMITTED
    )
    retry = complete(client, headers, fu, body)
    assert retry.status_code == 403 and retry.json()["code"] == "not_editable"
    assert Submission.objects.get(pk=draft.pk).archive_upload is None


def test_another_users_retry_is_refused(client, draft, stored, outsider):
    fu, body = stored
    response = complete(client, api.bearer(outsider), fu, body)
    assert response.status_code in (403, 404)
    assert Upload.objects.get().status == Upload.Status.UPLOADING


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_attach_locks_the_upload_before_the_audit_chain(owner, monkeypatch, settings):
    """Verification locks the upload row, then the audit chain; attaching must take them
    in the same order, or the two deadlock."""
    from steward.catalog.tests.submission_factories import make_submission
    from steward.storage import services as storage_services

    submission = make_submission(owner, submit=False)
    upload = storage_services.start_upload(
        owner,
        reference=submission.public_id,
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=6 * MiB,
        mime_type="application/gzip",
    )
    seen = {}
    record = services.record

    def try_lock_upload():
        try:
            with transaction.atomic():
                Upload.objects.select_for_update(nowait=True).get(pk=upload.pk)
            seen["locked"] = False
        except DatabaseError:
            seen["locked"] = True
        finally:
            connections.close_all()

    def record_and_look(**kwargs):
        if kwargs["action"] == "catalog.submission.file_attached":
            other = threading.Thread(target=try_lock_upload)
            other.start()
            other.join()
        return record(**kwargs)

    monkeypatch.setattr(services, "record", record_and_look)
    services.attach_upload(submission, upload, actor=owner)
    assert seen == {"locked": True}
