"""`PUT /files/parts/<token>`: Steward's own part URL when files are stored on local disk."""

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from steward.storage import services
from steward.storage.models import Upload

from .uploads import BASE_URL, MiB, payload, sha256

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(owner):
    return services.start_upload(
        owner,
        reference="csubmission",
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=1000,
        mime_type="application/gzip",
    )


def part_path(upload, number: int = 1) -> str:
    url = services.part_url(upload, number, base_url=BASE_URL)
    assert url.startswith(f"{BASE_URL}/files/parts/")
    return url.removeprefix(BASE_URL)


def test_a_part_is_stored_and_answered_with_a_strong_etag(client, upload):
    data = payload(1000)
    response = client.generic("PUT", part_path(upload), data)
    assert response.status_code == 200
    # Strong and quoted, as S3 answers: the SDK strips the quotes and keeps the rest.
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    parts = services.list_parts(upload)
    assert [(p.number, p.etag, p.size) for p in parts] == [(1, etag.strip('"'), 1000)]


def test_the_url_is_absolute_under_the_address_the_client_used(upload, settings):
    settings.STEWARD_BASE_URL = "https://steward.example.org"
    assert services.part_url(upload, 1).startswith("https://steward.example.org/files/parts/")
    assert services.part_url(upload, 1, base_url="http://10.0.0.5:8000/").startswith(
        "http://10.0.0.5:8000/files/parts/"
    )


def test_a_part_sent_again_replaces_the_first(client, upload):
    path = part_path(upload)
    first = client.generic("PUT", path, b"a" * 1000)
    assert first.status_code == 200
    response = client.generic("PUT", path, b"b" * 1000)
    assert response.status_code == 200
    (part,) = services.list_parts(upload)
    assert part.etag == response.headers["ETag"].strip('"') != first.headers["ETag"].strip('"')
    # A completion naming the first copy is refused; the second one completes.
    with pytest.raises(services.UploadError, match="does not match"):
        services.complete_upload(
            upload,
            parts=[{"partNumber": 1, "etag": first.headers["ETag"]}],
            checksum=sha256(b"b" * 1000),
        )
    upload = services.complete_upload(
        upload, parts=[{"partNumber": 1, "etag": part.etag}], checksum=sha256(b"b" * 1000)
    )
    assert upload.status == Upload.Status.COMPLETED


def test_a_part_larger_than_the_memory_limit_is_streamed(client, owner, settings):
    """Django refuses request.body above DATA_UPLOAD_MAX_MEMORY_SIZE; the view never uses it."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    data = payload(12 * MiB)
    upload = services.start_upload(
        owner,
        reference="csubmission",
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=len(data),
        mime_type="application/gzip",
    )
    response = client.generic("PUT", part_path(upload), data)
    assert response.status_code == 200
    etag = response.headers["ETag"].strip('"')
    upload = services.complete_upload(
        upload, parts=[{"partNumber": 1, "etag": etag}], checksum=sha256(data)
    )
    assert upload.status == Upload.Status.COMPLETED


def test_a_tampered_token_is_refused(client, upload):
    path = part_path(upload)
    response = client.generic("PUT", path[:-3] + ("AAA" if path[-3:] != "AAA" else "BBB"), b"x")
    assert response.status_code == 403
    assert response.json()["code"] == "part_url_invalid" and response.json()["error"]
    # Another part number in an otherwise valid-looking token is refused too.
    forged = signing.dumps({"u": upload.public_id, "n": 2}, salt="another.salt")
    assert client.generic("PUT", f"/files/parts/{forged}", b"x").status_code == 403
    assert services.list_parts(upload) == []


def test_an_expired_token_is_refused(client, upload, settings):
    class SignedTwoHoursAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 7200)

    settings.STEWARD_UPLOAD_PART_URL_SECONDS = 3600
    token = SignedTwoHoursAgo(salt=services.PART_TOKEN_SALT).sign_object(
        {"u": upload.public_id, "n": 1}
    )
    response = client.generic("PUT", f"/files/parts/{token}", b"x" * 1000)
    assert response.status_code == 403 and response.json()["code"] == "part_url_expired"
    assert services.list_parts(upload) == []


def test_an_aborted_upload_answers_410(client, upload):
    path = part_path(upload)
    services.abort_upload(upload)
    response = client.generic("PUT", path, b"x" * 1000)
    assert response.status_code == 410 and response.json()["error"]


def test_an_expired_upload_answers_410(client, upload):
    path = part_path(upload)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.generic("PUT", path, b"x" * 1000).status_code == 410


def test_a_completed_upload_takes_no_more_parts(client, upload):
    data = payload(1000)
    path = part_path(upload)
    etag = client.generic("PUT", path, data).headers["ETag"]
    services.complete_upload(upload, parts=[{"partNumber": 1, "etag": etag}], checksum=sha256(data))
    assert client.generic("PUT", path, data).status_code == 410


def test_content_length_is_required(client, upload):
    response = client.generic("PUT", part_path(upload), b"x" * 10, CONTENT_LENGTH="")
    assert response.status_code == 411
    assert services.list_parts(upload) == []


def test_a_part_over_five_gib_is_refused_before_reading(client, upload):
    response = client.generic(
        "PUT", part_path(upload), b"x" * 10, CONTENT_LENGTH=str(5 * 1024**3 + 1)
    )
    assert response.status_code == 400 and response.json()["code"] == "part_too_large"


def test_only_put_is_allowed(client, upload):
    assert client.get(part_path(upload)).status_code == 405
    assert client.post(part_path(upload), b"x", content_type="application/gzip").status_code == 405
