"""The Files step of the submission form, and the browser's way into the upload API: the
signed-in session with its CSRF token, accepted on the upload endpoints and nowhere else."""

import json

import pytest
from allauth.mfa.models import Authenticator
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse

from steward.accounts.services import create_api_key, create_user
from steward.audit.models import AuditEvent
from steward.catalog import services
from steward.catalog.tests.submission_factories import make_submission, rights
from steward.organizations.models import Membership
from steward.storage.models import Upload
from steward.storage.tests.uploads import BASE_URL, MiB, archive, put, send_parts, sha256

pytestmark = pytest.mark.django_db

UNKNOWN_UPLOAD = "cnotarealupload0000000000"


def files_url(submission) -> str:
    return reverse("catalog:submission-edit", args=[submission.public_id]) + "?step=files"


def client_for(persona: str, request) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def browser(user) -> tuple[Client, str]:
    """A signed-in client that enforces CSRF as a browser's requests meet it, and the
    token the Files step gives the page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("catalog:submission-new"))  # a page with a form sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def call(client, method: str, path: str, body=None, **headers):
    kwargs = {"content_type": "application/json", **headers}
    if body is not None and method != "get":
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api{path}", **kwargs)


def start(submission, user, data: bytes, purpose: str = "archive") -> Upload:
    return services.start_submission_upload(
        submission,
        actor=user,
        purpose=purpose,
        filename="lingala-radio-speech.tar.gz",
        size_bytes=len(data),
        mime_type="application/gzip",
    )


def upload_through_services(client, submission, user, data: bytes) -> Upload:
    upload = start(submission, user, data)
    parts = send_parts(client, upload, data)
    _, upload = services.complete_submission_upload(
        submission, upload, actor=user, parts=parts, checksum=sha256(data)
    )
    return upload


@pytest.fixture
def draft(owner):
    return make_submission(owner, submit=False)


# --- The Files step page ---------------------------------------------------------------

# persona -> (status, shows the uploader)
FILES_STEP = {
    "anonymous": (302, False),
    "outsider": (403, False),
    # Staff read the submission on the organization's page, but never upload to it.
    "staff": (200, False),
    "member": (200, True),
    "admin": (200, True),
    "owner": (200, True),
}


@pytest.mark.parametrize("persona", list(FILES_STEP))
def test_the_files_step_persona_table(request, draft, persona):
    response = client_for(persona, request).get(files_url(draft))
    status, uploads = FILES_STEP[persona]
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    page = response.content.decode()
    assert ("data-upload" in page) is uploads
    assert ("upload.js" in page) is uploads


def test_the_files_step_gives_the_script_what_it_needs(client, member, draft):
    client.force_login(member)
    page = client.get(files_url(draft)).content.decode()
    token = client.cookies["csrftoken"].value
    for purpose in ("archive", "sample"):
        assert f'data-purpose="{purpose}"' in page
    assert page.count(f'data-submission="{draft.public_id}"') == 2
    assert page.count('data-api-base="/api"') == 2
    assert 'data-csrf-token="' in page and token
    assert 'type="module" src="/static/steward/upload.js"' in page
    # The script's words come translated, as JSON the page carries.
    assert '<script id="upload-messages" type="application/json">' in page
    assert "Resume upload of %(name)s" in page
    # An accessible progress bar and a status read out as it changes.
    assert 'aria-live="polite"' in page and "<progress" in page


def test_without_javascript_the_step_points_to_the_sdk(client, member, draft):
    client.force_login(member)
    page = client.get(files_url(draft)).content.decode()
    assert "Uploading large files here needs JavaScript" in page
    assert f'upload_dataset_file("dataset.tar.gz", "{draft.public_id}")' in page
    assert "upload_sample_file(" in page and "create_submission_with_upload" in page
    assert "export MDC_API_URL=http://127.0.0.1:8000/api" in page
    # The uploaders stay hidden until the script shows them.
    assert '<section class="uploader" hidden' in page


def test_the_step_shows_the_attached_files(client, owner, draft):
    data = archive(64 * 1024)
    upload_through_services(client, draft, owner, data)
    client.force_login(owner)
    page = client.get(files_url(draft)).content.decode()
    assert "lingala-radio-speech.tar.gz" in page
    assert str(filesizeformat(len(data))) in page
    assert "Received and verified" in page
    assert 'data-attached="sample"' in page and "None yet" in page
    assert "hx-trigger" not in page


def test_a_file_still_being_checked_is_looked_at_again(client, owner, draft):
    data = archive(64 * 1024)
    upload = upload_through_services(client, draft, owner, data)
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.VERIFYING)
    client.force_login(owner)
    page = client.get(files_url(draft)).content.decode()
    assert "Checking the checksum" in page
    assert 'hx-trigger="every 5s"' in page


def test_a_failed_file_says_why(client, owner, draft):
    upload = upload_through_services(client, draft, owner, archive(64 * 1024))
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.FAILED, failure="The upload was damaged."
    )
    client.force_login(owner)
    page = client.get(files_url(draft)).content.decode()
    assert "Failed" in page and "The upload was damaged." in page


def test_htmx_gets_only_the_table_of_attached_files(client, owner, draft):
    upload_through_services(client, draft, owner, archive(64 * 1024))
    client.force_login(owner)
    response = client.get(files_url(draft), HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert 'id="attached-files"' in fragment and "lingala-radio-speech.tar.gz" in fragment
    assert "<html" not in fragment and "data-upload" not in fragment
    assert "HX-Request" in response["Vary"]


def test_the_datasheet_steps_lead_to_the_files_then_the_review(client, member, draft):
    client.force_login(member)
    response = client.post(
        reverse("catalog:submission-edit", args=[draft.public_id]) + "?step=rights",
        {**rights(draft), "then": "next"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?step=files")
    page = client.get(files_url(draft)).content.decode()
    assert 'href="?step=files" aria-current="step"' in page
    assert 'href="?step=review">Continue to review' in page


def test_the_files_step_has_nothing_to_post(client, member, draft):
    client.force_login(member)
    assert client.post(files_url(draft), {"revision": draft.revision}).status_code == 404


def test_a_sent_submission_shows_no_uploader(client, owner):
    submitted = make_submission(owner)
    client.force_login(owner)
    page = client.get(files_url(submitted)).content.decode()
    assert "data-upload" not in page and "The datasheet" in page


# --- The upload API with the browser's session ----------------------------------------


def upload_routes(submission, file_upload_id: str) -> list[tuple[str, str]]:
    sample = f"/submissions/{submission.public_id}/sample"
    return [
        ("post", "/uploads"),
        ("get", f"/uploads/{file_upload_id}/parts"),
        ("get", f"/uploads/{file_upload_id}/parts/1"),
        ("post", f"/uploads/{file_upload_id}"),
        ("delete", f"/uploads/{file_upload_id}"),
        ("post", sample),
        ("get", f"{sample}/{file_upload_id}/parts"),
        ("get", f"{sample}/{file_upload_id}/parts/1"),
        ("post", f"{sample}/{file_upload_id}"),
        ("delete", f"{sample}/{file_upload_id}"),
    ]


def test_anonymous_gets_401_on_every_upload_endpoint(draft):
    """Not a CSRF 403: the SDK without a key must learn it needs one."""
    client = Client(enforce_csrf_checks=True)
    for method, path in upload_routes(draft, UNKNOWN_UPLOAD):
        response = call(client, method, path, {})
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("purpose", ["archive", "sample"])
def test_a_session_without_the_csrf_token_is_refused(owner, draft, purpose):
    client, _ = browser(owner)
    upload = start(draft, owner, archive(1024), purpose)
    before = list(Upload.objects.values())
    for method, path in upload_routes(draft, upload.public_id):
        if method == "get" or ("sample" in path) != (purpose == "sample"):
            continue
        response = call(client, method, path, {"submissionId": draft.public_id})
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "csrf_failed"
        # A token that is not the session's is no better.
        response = call(client, method, path, {}, HTTP_X_CSRFTOKEN="x" * 64)
        assert response.status_code == 403, (method, path)
    # Nothing started, completed or cancelled.
    assert list(Upload.objects.values()) == before


def test_a_session_reads_without_a_token(owner, draft):
    """GET is safe, so it needs no CSRF token; the browser sends one anyway."""
    client, _ = browser(owner)
    upload = start(draft, owner, archive(1024))
    response = call(client, "get", f"/uploads/{upload.public_id}/parts")
    assert response.status_code == 200
    assert response.json() == {"fileUploadId": upload.public_id, "status": "uploading", "parts": []}


@pytest.mark.parametrize("purpose", ["archive", "sample"])
def test_a_session_with_the_csrf_token_uploads_like_the_sdk(owner, draft, purpose):
    client, token = browser(owner)
    csrf = {"HTTP_X_CSRFTOKEN": token}
    data = archive(6 * MiB)  # two parts
    base = f"/submissions/{draft.public_id}/sample" if purpose == "sample" else "/uploads"
    body = {
        "submissionId": draft.public_id,
        "filename": "speech.tar.gz",
        "fileSize": len(data),
        "mimeType": "application/gzip",
    }
    started = call(client, "post", base, body, **csrf)
    assert started.status_code == 200, started.json()
    ids = started.json()
    parts = []
    for number, start_at in ((1, 0), (2, 5 * MiB)):
        url = call(client, "get", f"{base}/{ids['fileUploadId']}/parts/{number}", **csrf)
        assert url.status_code == 200
        # The part URL is absolute; the test client answers as testserver.
        assert url.json()["url"].startswith(BASE_URL)
        sent = put(Client(), url.json()["url"], data[start_at : start_at + 5 * MiB])
        parts.append({"partNumber": number, "etag": sent.headers["ETag"].strip('"')})
    listing = call(client, "get", f"{base}/{ids['fileUploadId']}/parts", **csrf)
    assert [p["partNumber"] for p in listing.json()["parts"]] == [1, 2]
    done = call(
        client,
        "post",
        f"{base}/{ids['fileUploadId']}",
        {"uploadId": ids["uploadId"], "parts": parts, "checksum": sha256(data)},
        **csrf,
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    draft.refresh_from_db()
    upload = draft.sample_upload if purpose == "sample" else draft.archive_upload
    assert upload.public_id == ids["fileUploadId"] and upload.blob.sha256 == sha256(data)
    # The audit names the signed-in user, as for the pages.
    event = AuditEvent.objects.get(action="storage.upload.completed")
    assert event.actor_id == owner.pk


def test_other_endpoints_still_need_a_key(owner, draft):
    client, token = browser(owner)
    csrf = {"HTTP_X_CSRFTOKEN": token}
    for method, path in [
        ("post", "/submissions"),
        ("get", f"/submissions/{draft.public_id}"),
        ("patch", f"/submissions/{draft.public_id}"),
        ("post", f"/submissions/{draft.public_id}"),
        ("delete", f"/submissions/{draft.public_id}"),
        ("get", "/me"),
    ]:
        response = call(client, method, path, {"name": "Changed"}, **csrf)
        assert response.status_code == 401, (method, path)
    draft.refresh_from_db()
    assert draft.name == "Lingala Radio Speech" and draft.deleted_at is None


def test_a_wrong_key_is_401_even_beside_a_session(owner, draft):
    """A request with a key is judged by its key alone: the SDK expects 401, not 403."""
    client, token = browser(owner)
    response = call(
        client,
        "post",
        "/uploads",
        {"submissionId": draft.public_id},
        HTTP_AUTHORIZATION="Bearer not-a-key",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 401
    # A good key needs no CSRF token, session or not.
    _, secret = create_api_key(owner)
    response = call(
        client,
        "get",
        f"/uploads/{start(draft, owner, archive(1024)).public_id}/parts",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200


def test_an_outsiders_session_is_refused_the_submission(outsider, draft):
    client, token = browser(outsider)
    body = {
        "submissionId": draft.public_id,
        "filename": "speech.tar.gz",
        "fileSize": 1024,
        "mimeType": "application/gzip",
    }
    response = call(client, "post", "/uploads", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403 and response.json()["code"] == "not_yours"
    assert not Upload.objects.exists()


def test_staff_without_an_authenticator_cannot_upload_by_session(organization, draft):
    """Pages send such staff to set up two-factor first; the session API refuses them."""
    user = create_user(
        "staff-member", email="staff-member@example.org", password="a-long-test-password"
    )
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    assert not Authenticator.objects.filter(user=user).exists()
    client = Client()
    client.force_login(user)
    response = call(client, "get", f"/uploads/{start(draft, user, archive(1024)).public_id}/parts")
    assert response.status_code == 401
