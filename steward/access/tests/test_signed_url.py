"""The signed download link: whole files, byte ranges, HEAD, refusals, and both stores."""

import hashlib
import time

import pytest
import requests
from django.core import signing

from steward.access.models import DownloadEvent
from steward.access.services import TOKEN_SALT
from steward.access.views import ByteRange, Unsatisfiable, parse_range
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE, SAMPLE

pytestmark = pytest.mark.django_db

SIZE = len(ARCHIVE)


@pytest.fixture
def new_session(client, datasets, member, auth_for):
    """`new_session(path="download")`: a new session of the member for the public dataset."""
    auth = auth_for(member)

    def new_session(path: str = "download", dataset: Dataset | None = None) -> dict:
        dataset = dataset or datasets["public"]
        response = client.post(f"/api/datasets/{dataset.public_id}/{path}", **auth)
        assert response.status_code == 200
        return response.json()

    return new_session


def fetch(client, session: dict, method: str = "get", **headers):
    # The link works without a session or key: log the test client out first.
    client.logout()
    return getattr(client, method)(session["downloadUrl"], **headers)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_file(client, new_session):
    session = new_session()

    response = fetch(client, session)

    assert response.status_code == 200
    assert body_of(response) == ARCHIVE
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "application/gzip"
    # requests would silently gunzip the archive if this header were present.
    assert not response.has_header("Content-Encoding")
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{hashlib.sha256(ARCHIVE).hexdigest()}"'
    assert response["Content-Disposition"] == 'attachment; filename="public-speech.tar.gz"'
    assert "no-transform" in response["Cache-Control"]


def test_whole_file_ignores_accept_encoding(client, new_session):
    response = fetch(client, new_session(), HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert body_of(response) == ARCHIVE
    assert not response.has_header("Content-Encoding")


def test_head_has_the_headers_and_no_body(client, new_session):
    session = new_session()

    response = fetch(client, session, "head")

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert DownloadEvent.objects.get().bytes_served == 0


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=100-99999999", 100, SIZE - 1),
        ("bytes=-99999999", 0, SIZE - 1),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
    ],
)
def test_a_range_is_206_with_exactly_those_bytes(client, new_session, header, first, last):
    response = fetch(client, new_session(), HTTP_RANGE=header)

    assert response.status_code == 206
    assert body_of(response) == ARCHIVE[first : last + 1]
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert not response.has_header("Content-Encoding")


def test_head_with_a_range(client, new_session):
    response = fetch(client, new_session(), "head", HTTP_RANGE="bytes=10-19")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{SIZE}"
    assert response["Content-Length"] == "10"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-10000000", "bytes=-0"])
def test_a_range_past_the_end_is_416(client, new_session, header):
    response = fetch(client, new_session(), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert DownloadEvent.objects.get().bytes_served == 0


@pytest.mark.parametrize(
    "header",
    ["bytes=0-10,20-30", "bytes=abc", "items=0-10", "bytes=50-10", "bytes=-", "bytes=1-2-3"],
)
def test_malformed_and_multiple_ranges_get_the_whole_file(client, new_session, header):
    # Serving the whole file for several ranges is allowed (RFC 9110 §14.2).
    response = fetch(client, new_session(), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body_of(response) == ARCHIVE


def test_if_range_with_another_etag_gets_the_whole_file(client, new_session):
    session = new_session()

    stale = fetch(client, session, HTTP_RANGE="bytes=10-", HTTP_IF_RANGE='"0000"')
    fresh = fetch(client, session, HTTP_RANGE="bytes=10-", HTTP_IF_RANGE=f'"{session["checksum"]}"')

    assert stale.status_code == 200 and body_of(stale) == ARCHIVE
    assert fresh.status_code == 206 and body_of(fresh) == ARCHIVE[10:]


def test_bytes_served_add_up_over_resumed_requests(client, new_session):
    session = new_session()

    body_of(fetch(client, session, HTTP_RANGE="bytes=0-999"))
    body_of(fetch(client, session, HTTP_RANGE="bytes=1000-"))

    assert DownloadEvent.objects.get().bytes_served == SIZE


def test_the_sample_link_serves_the_sample(client, new_session):
    session = new_session("sample-download")

    response = fetch(client, session)

    assert body_of(response) == SAMPLE
    assert 'filename="public-speech-sample.tar.gz"' in response["Content-Disposition"]


def test_post_is_not_allowed(client, new_session):
    session = new_session()
    assert client.post(session["downloadUrl"]).status_code == 405


# --- Refusals ---


def test_a_tampered_token_is_403(client, new_session):
    session = new_session()
    token = session["downloadToken"]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    response = client.get(f"/downloads/{tampered}")

    assert response.status_code == 403
    assert response.json() == {"error": "This download link is not valid.", "code": "bad_link"}


def test_a_token_signed_with_another_salt_is_403(client, new_session):
    payload = signing.loads(new_session()["downloadToken"], salt=TOKEN_SALT)

    response = client.get(f"/downloads/{signing.dumps(payload, salt='steward.other')}")

    assert response.status_code == 403


def test_a_token_cannot_be_bound_to_another_user(client, new_session, outsider):
    """Even a validly signed token is refused when its user is not the event's user."""
    payload = signing.loads(new_session()["downloadToken"], salt=TOKEN_SALT)
    payload["u"] = outsider.pk

    response = client.get(f"/downloads/{signing.dumps(payload, salt=TOKEN_SALT)}")

    assert response.status_code == 403
    assert response.json()["code"] == "bad_link"


def test_an_expired_token_is_403_and_says_to_ask_again(client, new_session, monkeypatch, settings):
    payload = signing.loads(new_session()["downloadToken"], salt=TOKEN_SALT)
    signed_at = time.time() - settings.STEWARD_DOWNLOAD_URL_SECONDS - 60
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: signed_at)
        old_token = signing.dumps(payload, salt=TOKEN_SALT)

    response = client.get(f"/downloads/{old_token}")

    assert response.status_code == 403
    assert response.json()["code"] == "link_expired"
    assert "new link" in response.json()["error"]


def test_a_dataset_removed_since_is_410(client, new_session, datasets):
    session = new_session()
    Dataset.objects.filter(pk=datasets["public"].pk).update(
        status="removed", removal_reason="Consent withdrawn."
    )

    response = fetch(client, session)

    assert response.status_code == 410
    assert response.json()["error"] == "Consent withdrawn."


def test_a_file_missing_from_storage_is_404_not_500(client, new_session, settings):
    session = new_session()
    for path in (settings.STEWARD_FILES_DIR).rglob("public-speech.tar.gz"):
        path.unlink()

    assert fetch(client, session).status_code == 404


# --- x-accel mode: nginx sends the bytes ---


def test_x_accel_mode_hands_the_file_to_nginx(client, new_session, settings):
    settings.STEWARD_DOWNLOAD_MODE = "x-accel"
    session = new_session()
    key = DownloadEvent.objects.get().file.blob.key

    response = fetch(client, session, HTTP_RANGE="bytes=0-99")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_files/{key}"
    assert response.content == b""
    assert response["Content-Type"] == "application/gzip"
    assert response["Content-Disposition"] == 'attachment; filename="public-speech.tar.gz"'
    assert response["Accept-Ranges"] == "bytes"
    assert not response.has_header("Content-Encoding")
    # nginx answers the Range itself; the event counts what it will send.
    assert DownloadEvent.objects.get().bytes_served == 100


# --- S3: a redirect to a presigned URL on the store ---


def test_s3_redirects_to_a_presigned_url_that_serves_the_bytes(
    s3_storage, organization, client, member, auth_for
):
    dataset = make_dataset(organization, slug="on-s3", archive=ARCHIVE)
    session = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(member)).json()

    response = fetch(client, session)

    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Signature=" in location and "on-s3.tar.gz" in location
    whole = requests.get(location, timeout=10)
    assert whole.status_code == 200 and whole.content == ARCHIVE
    assert whole.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in whole.headers
    tail = requests.get(location, headers={"Range": "bytes=1000-"}, timeout=10)
    assert tail.status_code == 206 and tail.content == ARCHIVE[1000:]
    assert tail.headers["Content-Range"] == f"bytes 1000-{SIZE - 1}/{SIZE}"
    # A redirect counts the whole file, once, however often the client resumes.
    fetch(client, session, HTTP_RANGE="bytes=1000-")
    assert DownloadEvent.objects.get().bytes_served == SIZE


# --- Range parsing on its own ---


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=5-9", ByteRange(5, 9)),
        ("bytes=5-", ByteRange(5, 99)),
        ("bytes=-1", ByteRange(99, 99)),
        ("bytes=-100", ByteRange(0, 99)),
        ("bytes=-1000", ByteRange(0, 99)),
        ("bytes=90-1000", ByteRange(90, 99)),
        ("bytes = 5 - 9", ByteRange(5, 9)),
        ("bytes=9-5", None),
        ("bytes=0-1,5-6", None),
        ("bytes=", None),
        ("bytes=-", None),
        ("pages=1-2", None),
        ("", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_parse_range_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)
