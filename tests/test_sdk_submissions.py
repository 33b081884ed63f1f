"""The official SDK creates, updates, submits and deletes submissions against a live server."""

import pytest

from steward.accounts.services import create_api_key
from steward.catalog.models import Submission
from steward.organizations.services import create_organization

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

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
    "exclusivityOptOut": True,
    "isPaid": True,
    "basePriceCents": 25000,
}


@pytest.fixture
def sdk(live_server, monkeypatch):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    import datacollective

    return datacollective


def use_key(monkeypatch, user):
    _, secret = create_api_key(user)
    monkeypatch.setenv("MDC_API_KEY", secret)


def test_create_update_submit_and_delete(sdk, monkeypatch, owner):
    use_key(monkeypatch, owner)
    created = sdk.create_submission_draft(sdk.DatasetSubmission(name="Lingala Radio Speech"))
    submission_id = created["submission"]["id"]
    assert created["submission"]["status"] == "draft"

    updated = sdk.update_submission(submission_id, sdk.DatasetSubmission(**FULL))["submission"]
    assert updated["basePriceCents"] == 25000 and updated["currency"] == "usd"
    assert updated["pointOfContactEmail"] == "marie@example.org"
    assert updated["exclusivityOptOut"] is not None  # returned as the time it was set

    submitted = sdk.submit_submission(
        submission_id, sdk.DatasetSubmission(name="x", agreeToSubmit=True)
    )["submission"]
    assert submitted["status"] == "submitted" and submitted["agreeToSubmit"]

    with pytest.raises(PermissionError):
        sdk.update_submission(submission_id, sdk.DatasetSubmission(name="Too late"))

    draft = sdk.create_submission_draft(sdk.DatasetSubmission(name="Scratch"))["submission"]["id"]
    sdk.delete_submission(draft)
    with pytest.raises(FileNotFoundError):  # ResourceRemovedError is a FileNotFoundError
        sdk.update_submission(draft, sdk.DatasetSubmission(name="Gone"))
    assert Submission.objects.get(public_id=draft).deleted_at is not None


def test_incomplete_submission_is_refused_with_what_is_missing(sdk, monkeypatch, owner):
    import requests

    use_key(monkeypatch, owner)
    submission_id = sdk.create_submission_draft(sdk.DatasetSubmission(name="Half"))["submission"][
        "id"
    ]
    with pytest.raises(requests.HTTPError, match="longDescription"):
        sdk.submit_submission(submission_id, sdk.DatasetSubmission(name="x", agreeToSubmit=True))


def test_member_of_an_unapproved_organization_gets_permission_error(sdk, monkeypatch):
    from steward.accounts.services import create_user

    user = create_user("newcomer", email="newcomer@example.org")
    create_organization("waiting", name="Waiting Archive", owner=user)
    use_key(monkeypatch, user)
    with pytest.raises(PermissionError, match="not approved"):
        sdk.create_submission_draft(sdk.DatasetSubmission(name="Hopeful"))


def test_another_organizations_submission_is_refused(sdk, monkeypatch, owner, outsider):
    use_key(monkeypatch, owner)
    submission_id = sdk.create_submission_draft(sdk.DatasetSubmission(name="Ours"))["submission"][
        "id"
    ]
    use_key(monkeypatch, outsider)
    with pytest.raises(PermissionError):
        sdk.update_submission(submission_id, sdk.DatasetSubmission(name="Theirs now"))


def test_bad_key_is_an_authentication_error(sdk, monkeypatch, owner):
    monkeypatch.setenv("MDC_API_KEY", "stw_bad_key")
    with pytest.raises(sdk.AuthenticationError):
        sdk.create_submission_draft(sdk.DatasetSubmission(name="Nope"))
