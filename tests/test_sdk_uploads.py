"""The official SDK uploads archives and samples to a live server, on local disk and on S3,
and resumes an interrupted upload."""

import json

import pytest

from steward.accounts.services import create_api_key
from steward.catalog.models import Submission
from steward.storage import objectstore
from steward.storage import services as storage
from steward.storage.models import Upload
from steward.storage.tests.uploads import MiB, archive, sha256

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

PART_SIZE = 5 * MiB
FULL = {
    "name": "Lingala Radio Speech",
    "shortDescription": "Read speech from a community radio.",
    "longDescription": "Twelve hours of read speech recorded in 2025.",
    "locale": "ln",
    "task": "ASR",
    "format": "WAV",
    "licenseAbbreviation": "CC-BY-4.0",
    "restrictions": "No speaker identification.",
    "forbiddenUsage": "Surveillance.",
    "pointOfContactFullName": "Marie Ilunga",
    "pointOfContactEmail": "marie@example.org",
    "visibility": "public",
}


@pytest.fixture
def sdk(live_server, monkeypatch, owner):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    _, secret = create_api_key(owner)
    monkeypatch.setenv("MDC_API_KEY", secret)
    import datacollective

    return datacollective


class PartRequests:
    """The part numbers the SDK asked URLs for; asking for `fail_at` fails, as a dropped
    connection would."""

    def __init__(self):
        self.numbers: list[int] = []
        self.fail_at: int | None = None


@pytest.fixture
def part_requests(monkeypatch):
    from datacollective import upload_utils

    real = upload_utils._get_presigned_part_url
    requests = PartRequests()

    def recording(file_upload_id, part_number, submission_id, is_sample=False):
        requests.numbers.append(part_number)
        if part_number == requests.fail_at:
            raise RuntimeError("the network went away")
        return real(file_upload_id, part_number, submission_id, is_sample)

    monkeypatch.setattr(upload_utils, "_get_presigned_part_url", recording)
    return requests


def write(path, size: int) -> bytes:
    data = archive(size)
    path.write_bytes(data)
    return data


def stored_bytes(key: str) -> bytes:
    with objectstore.open_for_reading(key) as f:
        return f.read()


def test_create_submission_with_upload_and_sample(sdk, tmp_path, storage_backend):
    archive_path, sample_path = tmp_path / "lingala-radio.tar.gz", tmp_path / "sample.tgz"
    data = write(archive_path, 12 * MiB)
    sample = write(sample_path, 200_000)

    result = sdk.create_submission_with_upload(
        str(archive_path),
        sdk.DatasetSubmission(**FULL, agreeToSubmit=True),
        sample_file_path=str(sample_path),
        part_size=PART_SIZE,
    )

    assert result["submission"]["status"] == "submitted"
    submission = Submission.objects.get(public_id=result["submission"]["id"])
    assert result["submission"]["fileUploadId"] == submission.archive_upload.public_id
    assert submission.archive_upload.status == Upload.Status.COMPLETED
    assert len(submission.archive_upload.parts) == 3  # 5 + 5 + 2 MiB
    assert submission.archive_name == "lingala-radio.tar.gz"
    assert submission.archive.sha256 == sha256(data) and submission.archive.size_bytes == len(data)
    assert stored_bytes(submission.archive.key) == data
    assert submission.sample_name == "sample.tgz"
    assert submission.sample.sha256 == sha256(sample)
    assert stored_bytes(submission.sample.key) == sample
    assert not list(tmp_path.glob("*.mdc-*"))  # no state files left


def test_an_interrupted_upload_resumes_with_only_the_missing_parts(
    sdk, tmp_path, part_requests, storage_backend
):
    submission_id = sdk.create_submission_draft(sdk.DatasetSubmission(name="Resumed"))[
        "submission"
    ]["id"]
    path = tmp_path / "speech.tar.gz"
    data = write(path, 12 * MiB)
    part_requests.fail_at = 3
    with pytest.raises(RuntimeError, match="network"):
        sdk.upload_dataset_file(
            str(path), submission_id, part_size=PART_SIZE, max_workers=1, show_progress=False
        )
    state = json.loads(path.with_name("speech.tar.gz.mdc-upload.json").read_text())
    assert [p["partNumber"] for p in state["parts"]] == [1, 2]
    upload = Upload.objects.get(public_id=state["fileUploadId"])
    assert [p.number for p in storage.list_parts(upload)] == [1, 2]

    part_requests.numbers.clear()
    part_requests.fail_at = None
    result = sdk.upload_dataset_file(
        str(path), submission_id, part_size=PART_SIZE, show_progress=False
    )

    assert part_requests.numbers == [3]  # parts 1 and 2 were not sent again
    assert result.fileUploadId == upload.public_id
    upload.refresh_from_db()
    assert upload.status == Upload.Status.COMPLETED and upload.blob.sha256 == sha256(data)
    assert Submission.objects.get(public_id=submission_id).archive == upload.blob
    assert not path.with_name("speech.tar.gz.mdc-upload.json").exists()


def test_a_dead_upload_makes_the_sdk_start_afresh(sdk, tmp_path, part_requests):
    submission_id = sdk.create_submission_draft(sdk.DatasetSubmission(name="Restarted"))[
        "submission"
    ]["id"]
    path = tmp_path / "speech.tar.gz"
    state_file = path.with_name("speech.tar.gz.mdc-upload.json")
    data = write(path, 7 * MiB)
    part_requests.fail_at = 2
    with pytest.raises(RuntimeError):
        sdk.upload_dataset_file(
            str(path), submission_id, part_size=PART_SIZE, max_workers=1, show_progress=False
        )
    abandoned = json.loads(state_file.read_text())["fileUploadId"]
    storage.abort_upload(Upload.objects.get(public_id=abandoned))

    part_requests.fail_at = None
    # 410: the SDK forgets the dead upload instead of leaving the user stuck with it.
    with pytest.raises(sdk.ResourceRemovedError):
        sdk.upload_dataset_file(str(path), submission_id, part_size=PART_SIZE)
    assert not state_file.exists()

    result = sdk.upload_dataset_file(str(path), submission_id, show_progress=False)
    assert result.fileUploadId != abandoned
    submission = Submission.objects.get(public_id=submission_id)
    assert submission.archive_upload.public_id == result.fileUploadId
    assert submission.archive.sha256 == sha256(data)


def test_a_file_that_is_not_a_tar_gz_is_refused(sdk, tmp_path):
    import requests

    submission_id = sdk.create_submission_draft(sdk.DatasetSubmission(name="Zip"))["submission"][
        "id"
    ]
    path = tmp_path / "speech.zip"
    path.write_bytes(b"PK" + b"\0" * 100)
    with pytest.raises(requests.HTTPError, match="filename"):
        sdk.upload_dataset_file(str(path), submission_id, show_progress=False)
    assert not Upload.objects.exists()
