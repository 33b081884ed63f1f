"""The MDC upload endpoints: `/uploads...` for the dataset archive and
`/submissions/{id}/sample...` for the sample; who may use them, bad input, attachment."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from steward.accounts.services import create_api_key
from steward.catalog.models import Submission
from steward.catalog.services import SubmissionError, decide_submission
from steward.catalog.tests.submission_factories import make_submission
from steward.storage.models import Blob, Upload
from steward.storage.tests.uploads import MiB, archive, payload, put, sha256

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    _, secret = create_api_key(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def call(client, method: str, path: str, headers: dict, body=None):
    kwargs = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api{path}", **kwargs)


def base(submission, sample: bool) -> str:
    return f"/submissions/{submission.public_id}/sample" if sample else "/uploads"


def initiate(client, headers, submission, data: bytes, *, sample=False, **overrides):
    body = {
        "submissionId": submission.public_id,
        "filename": "speech-sample.tar.gz" if sample else "speech.tar.gz",
        "fileSize": len(data),
        "mimeType": "application/gzip",
        **overrides,
    }
    return call(client, "post", base(submission, sample), headers, body)


def upload_parts(client, headers, submission, file_upload_id, data, *, sample=False):
    parts = []
    for number, start in enumerate(range(0, len(data), 5 * MiB), start=1):
        path = f"{base(submission, sample)}/{file_upload_id}/parts/{number}"
        response = call(client, "get", path, headers)
        assert response.status_code == 200, response.json()
        assert response.json()["partNumber"] == number and response.json()["expiresAt"]
        answer = put(client, response.json()["url"], data[start : start + 5 * MiB])
        assert answer.status_code == 200
        parts.append({"partNumber": number, "etag": answer.headers["ETag"].strip('"')})
    return parts


def upload_file(client, headers, submission, data: bytes, *, sample=False, checksum=None):
    """The SDK's whole sequence: initiate, parts, completion. Returns (ids, completion)."""
    started = initiate(client, headers, submission, data, sample=sample)
    assert started.status_code == 200, started.json()
    ids = started.json()
    parts = upload_parts(client, headers, submission, ids["fileUploadId"], data, sample=sample)
    completion = call(
        client,
        "post",
        f"{base(submission, sample)}/{ids['fileUploadId']}",
        headers,
        {"uploadId": ids["uploadId"], "parts": parts, "checksum": checksum or sha256(data)},
    )
    return ids, parts, completion


@pytest.fixture
def draft(owner):
    return make_submission(owner, submit=False)


@pytest.fixture
def headers(owner):
    return bearer(owner)


@pytest.fixture
def run_tasks(settings, django_capture_on_commit_callbacks):
    """Run background tasks (verification, inspection) when the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_archive_and_sample_are_attached_on_completion(client, headers, draft, storage_backend):
    archive, sample = payload(11 * MiB), payload(2000)
    ids, _, completion = upload_file(client, headers, draft, archive)
    assert isinstance(ids["fileUploadId"], str) and isinstance(ids["uploadId"], str)
    assert completion.status_code == 200
    assert completion.json() == {
        "success": True,
        "fileUploadId": ids["fileUploadId"],
        "status": "completed",
        "submissionId": draft.public_id,
    }
    sample_ids, _, completion = upload_file(client, headers, draft, sample, sample=True)
    assert completion.status_code == 200

    shown = call(client, "get", f"/submissions/{draft.public_id}", headers).json()["submission"]
    assert shown["fileUploadId"] == ids["fileUploadId"]
    assert shown["fileUpload"] == {
        "id": ids["fileUploadId"],
        "filename": "speech.tar.gz",
        "sizeBytes": len(archive),
        "checksum": sha256(archive),
        "status": "completed",
    }
    assert shown["sampleFileReferenceId"] == sample_ids["fileUploadId"]
    assert shown["sampleFileReference"]["currentVersion"]["fileUpload"]["checksum"] == sha256(
        sample
    )
    draft.refresh_from_db()
    assert draft.archive.sha256 == sha256(archive) and draft.archive_name == "speech.tar.gz"
    assert draft.sample.sha256 == sha256(sample) and draft.sample_name == "speech-sample.tar.gz"


def test_a_new_upload_replaces_the_archive(client, headers, draft):
    upload_file(client, headers, draft, payload(1000))
    second, _, _ = upload_file(client, headers, draft, payload(2000))
    draft.refresh_from_db()
    assert draft.archive_upload.public_id == second["fileUploadId"]
    assert draft.archive.size_bytes == 2000


# persona -> status of POST /uploads for the owner's draft
START_MATRIX = {
    "anonymous": 401,
    "outsider": 403,
    "staff": 403,  # reviewers read submissions but do not upload for organizations
    "member": 200,
    "admin": 200,
    "owner": 200,
}


@pytest.mark.parametrize("persona", list(START_MATRIX))
def test_who_may_start_an_upload(client, request, draft, persona):
    headers = {} if persona == "anonymous" else bearer(request.getfixturevalue(persona))
    response = initiate(client, headers, draft, b"x" * 100)
    assert response.status_code == START_MATRIX[persona]
    assert "error" in response.json() or "fileUploadId" in response.json()
    sample = initiate(client, headers, draft, b"x" * 100, sample=True)
    assert sample.status_code == START_MATRIX[persona]
    if START_MATRIX[persona] != 200:
        assert not Upload.objects.exists()


def test_another_organizations_upload_is_refused_and_unknown_is_404(
    client, headers, draft, outsider
):
    data = payload(1000)
    ids = initiate(client, headers, draft, data).json()
    parts = upload_parts(client, headers, draft, ids["fileUploadId"], data)
    theirs = bearer(outsider)
    fu = ids["fileUploadId"]
    body = {"uploadId": ids["uploadId"], "parts": parts, "checksum": sha256(data)}
    assert call(client, "get", f"/uploads/{fu}/parts/1", theirs).status_code == 403
    assert call(client, "get", f"/uploads/{fu}/parts", theirs).status_code == 403
    assert call(client, "post", f"/uploads/{fu}", theirs, body).status_code == 403
    assert call(client, "delete", f"/uploads/{fu}", theirs).status_code == 403
    assert call(client, "get", "/uploads/cunknown/parts/1", headers).status_code == 404
    assert call(client, "post", "/uploads/cunknown", headers, body).status_code == 404
    # An archive upload is not reachable as a sample, nor under another submission.
    assert call(client, "get", f"{base(draft, True)}/{fu}/parts/1", headers).status_code == 404
    other = make_submission(draft.created_by, name="Other", submit=False)
    assert call(client, "get", f"{base(other, True)}/{fu}/parts/1", headers).status_code == 404
    upload = Upload.objects.get()
    assert upload.status == Upload.Status.UPLOADING and not Blob.objects.exists()


def test_starting_for_an_unknown_or_missing_submission(client, headers):
    body = {"filename": "a.tar.gz", "fileSize": 10, "mimeType": "application/gzip"}
    assert call(client, "post", "/uploads", headers, body).status_code == 400
    body["submissionId"] = "cunknown"
    assert call(client, "post", "/uploads", headers, body).status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("filename", "speech.zip"),
        ("filename", "../speech.tar.gz"),
        ("filename", 12),
        ("fileSize", 0),
        ("fileSize", "100"),
        ("fileSize", 1_099_511_627_777),
        ("mimeType", "application/zip"),
        ("mimeType", "text/plain"),
    ],
)
def test_bad_start_is_400_with_the_field(client, headers, draft, field, value):
    response = initiate(client, headers, draft, b"x" * 100, **{field: value})
    assert response.status_code == 400
    assert response.json()["field"] == field and field in response.json()["error"]
    assert not Upload.objects.exists()


@pytest.mark.parametrize("number", ["0", "10001", "x", "-1"])
def test_a_bad_part_number_is_400(client, headers, draft, number):
    fu = initiate(client, headers, draft, b"x" * 100).json()["fileUploadId"]
    response = call(client, "get", f"/uploads/{fu}/parts/{number}", headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_part_number"


def test_the_parts_already_stored_are_listed(client, headers, draft):
    data = payload(6 * MiB)
    ids = initiate(client, headers, draft, data).json()
    fu = ids["fileUploadId"]
    assert call(client, "get", f"/uploads/{fu}/parts", headers).json()["parts"] == []
    parts = upload_parts(client, headers, draft, fu, data[: 5 * MiB])
    listed = call(client, "get", f"/uploads/{fu}/parts", headers).json()
    assert listed["status"] == "uploading"
    assert listed["parts"] == [{"partNumber": 1, "etag": parts[0]["etag"], "size": 5 * MiB}]


@pytest.fixture
def stored(client, headers, draft):
    """An archive whose two parts are stored, and the completion body the SDK would send."""
    data = archive(6 * MiB)
    ids = initiate(client, headers, draft, data).json()
    parts = upload_parts(client, headers, draft, ids["fileUploadId"], data)
    body = {"uploadId": ids["uploadId"], "parts": parts, "checksum": sha256(data)}
    return ids["fileUploadId"], body


def assert_nothing_attached(draft):
    before = Submission.objects.values().get(pk=draft.pk)
    assert before["archive_upload_id"] is None and before["archive_id"] is None
    assert not Blob.objects.exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"parts": "missing"}, "invalid_parts"),
        ({"parts": [{"partNumber": 1, "etag": "0" * 32}]}, "etag_mismatch"),
        ("drop-last", "size_mismatch"),
        ("wrong-second-etag", "etag_mismatch"),
        ("no-etag", "invalid_parts"),
        ({"uploadId": "another"}, "wrong_upload_id"),
        ({"checksum": "abc"}, "invalid_checksum"),
    ],
)
def test_a_bad_completion_is_400_and_attaches_nothing(client, headers, draft, stored, change, code):
    fu, body = stored
    bad = dict(body)
    if change == "drop-last":
        bad["parts"] = body["parts"][:1]
    elif change == "wrong-second-etag":
        bad["parts"] = [body["parts"][0], {"partNumber": 2, "etag": "f" * 32}]
    elif change == "no-etag":
        bad["parts"] = [body["parts"][0], {"partNumber": 2}]
    else:
        bad.update(change)
    response = call(client, "post", f"/uploads/{fu}", headers, bad)
    assert response.status_code == 400 and response.json()["code"] == code
    assert_nothing_attached(draft)
    # The upload stayed open: the right completion still works.
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 200


def test_a_checksum_mismatch_fails_the_upload(client, headers, draft, stored):
    fu, body = stored
    response = call(client, "post", f"/uploads/{fu}", headers, {**body, "checksum": "0" * 64})
    assert response.status_code == 400 and response.json()["code"] == "checksum_mismatch"
    assert_nothing_attached(draft)
    assert Upload.objects.get().status == Upload.Status.FAILED
    # From now on the upload is gone (the SDK then drops its state and starts afresh).
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 410
    assert call(client, "get", f"/uploads/{fu}/parts/1", headers).status_code == 410


def test_a_repeated_completion_is_2xx_and_a_different_one_409(client, headers, draft, stored):
    fu, body = stored
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 200
    again = call(client, "post", f"/uploads/{fu}", headers, body)
    assert again.status_code == 200 and again.json()["status"] == "completed"
    other = call(client, "post", f"/uploads/{fu}", headers, {**body, "checksum": "1" * 64})
    assert other.status_code == 409 and other.json()["error"]
    assert Blob.objects.count() == 1


def test_a_repeated_completion_does_not_undo_a_newer_upload(client, headers, draft, stored):
    fu, body = stored
    call(client, "post", f"/uploads/{fu}", headers, body)
    newer, _, _ = upload_file(client, headers, draft, payload(1000))
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 200
    draft.refresh_from_db()
    assert draft.archive_upload.public_id == newer["fileUploadId"]


def test_an_expired_upload_is_410(client, headers, draft, stored):
    fu, body = stored
    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(client, "get", f"/uploads/{fu}/parts/1", headers).status_code == 410
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 410
    assert_nothing_attached(draft)


def test_a_cancelled_upload_is_410(client, headers, draft, stored):
    fu, body = stored
    assert call(client, "delete", f"/uploads/{fu}", headers).status_code == 204
    assert call(client, "delete", f"/uploads/{fu}", headers).status_code == 204
    assert call(client, "get", f"/uploads/{fu}/parts/1", headers).status_code == 410
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 410
    assert_nothing_attached(draft)


def test_a_deleted_submissions_uploads_are_410(client, headers, draft, stored):
    fu, body = stored
    call(client, "delete", f"/submissions/{draft.public_id}", headers)
    assert call(client, "get", f"/uploads/{fu}/parts/2", headers).status_code == 410
    assert call(client, "post", f"/uploads/{fu}", headers, body).status_code == 410
    assert initiate(client, headers, draft, b"x" * 10).status_code == 410


def test_a_submitted_submission_takes_no_new_files(client, headers, owner, stored, draft):
    fu, body = stored
    submitted = make_submission(owner, name="Sent")
    assert initiate(client, headers, submitted, b"x" * 10).status_code == 403
    assert initiate(client, headers, submitted, b"x" * 10, sample=True).status_code == 403
    # An upload started while it was a draft cannot be attached once it is sent for review.
    Submission.objects.filter(pk=draft.pk).update(status=Submission.Status.SUBMITTED)
    response = call(client, "post", f"/uploads/{fu}", headers, body)
    assert response.status_code == 403 and response.json()["code"] == "not_editable"
    assert_nothing_attached(draft)
    assert Upload.objects.get().status == Upload.Status.UPLOADING


def test_submitting_right_after_completion_works(client, headers, draft, stored):
    fu, body = stored
    call(client, "post", f"/uploads/{fu}", headers, body)
    response = call(
        client, "post", f"/submissions/{draft.public_id}", headers, {"agreeToSubmit": True}
    )
    assert response.status_code == 200 and response.json()["submission"]["status"] == "submitted"


# The worker closes its database connections between tasks, as a real worker does, so
# the test cannot run inside a transaction that is rolled back afterwards.
@pytest.mark.django_db(transaction=True)
def test_large_files_are_verified_in_the_background_and_block_approval_until_then(
    client, headers, draft, stored, staff, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    def run_worker():
        # Each task's follow-up work is queued when its transaction commits.
        with django_capture_on_commit_callbacks(execute=True):
            call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    fu, body = stored
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", f"/uploads/{fu}", headers, body)
    assert response.status_code == 200 and response.json()["status"] == "verifying"
    assert DBTaskResult.objects.get().task_path == "steward.catalog.tasks.verify_submission_upload"
    # Attached at once; the file itself becomes the submission's once verified.
    shown = call(client, "get", f"/submissions/{draft.public_id}", headers).json()["submission"]
    assert shown["fileUploadId"] == fu
    assert shown["fileUpload"]["status"] == "verifying" and shown["fileUpload"]["checksum"] is None
    submitted = call(
        client, "post", f"/submissions/{draft.public_id}", headers, {"agreeToSubmit": True}
    )
    assert submitted.status_code == 200
    with pytest.raises(SubmissionError, match="still being verified"):
        decide_submission(draft, actor=staff, to=Submission.Status.APPROVED)
    assert Submission.objects.get(pk=draft.pk).status == Submission.Status.SUBMITTED

    run_worker()  # verification, which queues the inspection
    run_worker()  # the inspection

    draft.refresh_from_db()
    assert draft.archive_upload.status == Upload.Status.COMPLETED
    assert draft.archive == draft.archive_upload.blob and draft.archive.sha256 == body["checksum"]
    approved = decide_submission(draft, actor=staff, to=Submission.Status.APPROVED)
    assert approved.dataset.checksum == body["checksum"]


def test_a_background_mismatch_blocks_approval(
    client, headers, draft, stored, staff, settings, django_capture_on_commit_callbacks
):
    from steward.catalog.tasks import verify_submission_upload

    settings.STEWARD_INLINE_VERIFY_BYTES = 1024
    fu, body = stored
    with django_capture_on_commit_callbacks(execute=False):
        response = call(client, "post", f"/uploads/{fu}", headers, {**body, "checksum": "0" * 64})
    assert response.status_code == 200  # the mismatch can only be known later
    verify_submission_upload.call(upload_id=Upload.objects.get().pk)
    draft.refresh_from_db()
    assert draft.archive_upload.status == Upload.Status.FAILED and draft.archive is None
    shown = call(client, "get", f"/submissions/{draft.public_id}", headers).json()["submission"]
    assert shown["fileUpload"]["status"] == "failed"
    Submission.objects.filter(pk=draft.pk).update(status=Submission.Status.SUBMITTED)
    with pytest.raises(SubmissionError, match="failed verification"):
        decide_submission(draft, actor=staff, to=Submission.Status.APPROVED)


def test_an_approved_submission_takes_a_new_version_archive(
    client, headers, draft, staff, run_tasks
):
    with run_tasks():
        upload_file(client, headers, draft, archive(1000))
        upload_file(client, headers, draft, archive(500), sample=True)
    call(client, "post", f"/submissions/{draft.public_id}", headers, {"agreeToSubmit": True})
    first = decide_submission(draft, actor=staff, to=Submission.Status.APPROVED)
    before = Submission.objects.values().get(pk=first.pk)
    assert initiate(client, headers, first, b"x" * 10, sample=True).status_code == 403

    data = archive(3000)
    with run_tasks():
        _, _, completion = upload_file(client, headers, first, data)

    assert completion.status_code == 200
    follow_up = Submission.objects.get(public_id=completion.json()["submissionId"])
    assert follow_up.pk != first.pk and follow_up.dataset == first.dataset
    assert follow_up.status == Submission.Status.DRAFT
    assert follow_up.archive.sha256 == sha256(data)
    assert follow_up.sample == first.sample  # kept until a new one is uploaded
    assert follow_up.datasheet["name"] == "Lingala Radio Speech"
    assert Submission.objects.values().get(pk=first.pk) == before  # the published one is frozen
    # A second new-version upload goes to the same draft.
    with run_tasks():
        _, _, again = upload_file(client, headers, first, archive(4000))
    assert again.json()["submissionId"] == follow_up.public_id

    # Sent and approved, the draft publishes version 2 with the new archive.
    call(client, "post", f"/submissions/{follow_up.public_id}", headers, {"agreeToSubmit": True})
    follow_up.refresh_from_db()
    version = decide_submission(
        follow_up, actor=staff, to=Submission.Status.APPROVED
    ).published_version
    assert version.number == 2 and version.dataset.checksum == follow_up.archive.sha256
