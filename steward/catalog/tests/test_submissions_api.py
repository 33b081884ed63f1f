"""The MDC submissions API: who may do what, and bad input."""

import json

import pytest

from steward.accounts.services import create_api_key, revoke_api_key
from steward.catalog.datasheet import REQUIRED_TO_SUBMIT
from steward.catalog.models import Submission
from steward.catalog.services import SubmissionError, update_submission
from steward.catalog.tests.submission_factories import COMPLETE, make_submission

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    _, secret = create_api_key(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def call(client, method: str, path: str, headers: dict, body=None):
    kwargs = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/submissions{path}", **kwargs)


@pytest.fixture
def draft(owner):
    return make_submission(owner, submit=False)


# persona -> expected status for GET / PATCH / submit / DELETE of the owner's draft
MATRIX = {
    "anonymous": (401, 401, 401, 401),
    "outsider": (403, 403, 403, 403),
    "member": (200, 200, 200, 204),
    "admin": (200, 200, 200, 204),
    "owner": (200, 200, 200, 204),
    "staff": (200, 403, 403, 403),
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_authorization_matrix(client, request, draft, persona):
    headers = {} if persona == "anonymous" else bearer(request.getfixturevalue(persona))
    get, patch, submit, delete = MATRIX[persona]
    before = Submission.objects.values().get(pk=draft.pk)
    assert call(client, "get", f"/{draft.public_id}", headers).status_code == get
    response = call(client, "patch", f"/{draft.public_id}", headers, {"name": "Renamed"})
    assert response.status_code == patch
    if patch != 200:
        # Refused: nothing changed.
        assert Submission.objects.values().get(pk=draft.pk) == before
    assert (
        call(client, "post", f"/{draft.public_id}", headers, {"agreeToSubmit": True}).status_code
        == submit
    )
    # A submitted, undecided submission may still be deleted by its organization.
    assert call(client, "delete", f"/{draft.public_id}", headers).status_code == delete


def test_expired_revoked_and_wrong_keys_are_401(client, owner):
    key, secret = create_api_key(owner)
    revoke_api_key(key)
    for header in [f"Bearer {secret}", "Bearer stw_nope", "Basic abc", f"Bearer {secret}x"]:
        response = call(client, "post", "", {"HTTP_AUTHORIZATION": header}, {"name": "X"})
        assert response.status_code == 401
        assert "API key" in response.json()["error"]
    assert not Submission.objects.exists()


def test_create_returns_the_draft_envelope(client, owner):
    response = call(client, "post", "", bearer(owner), {"name": "Lingala Radio Speech"})
    assert response.status_code == 200
    body = response.json()["submission"]
    assert body["status"] == "draft" and body["name"] == "Lingala Radio Speech"
    assert isinstance(body["id"], str) and len(body["id"]) == 25
    assert body["organizationId"] == "radio-kinshasa"


def test_unapproved_organization_gets_403_with_a_message(client):
    from steward.accounts.services import create_user
    from steward.organizations.services import create_organization

    user = create_user("newcomer", email="newcomer@example.org")
    create_organization("waiting", name="Waiting", owner=user)
    response = call(client, "post", "", bearer(user), {"name": "X"})
    assert response.status_code == 403 and "not approved" in response.json()["error"]


def test_user_without_organization_gets_403(client, staff):
    assert call(client, "post", "", bearer(staff), {"name": "X"}).status_code == 403


def test_patch_echoes_every_field(client, owner, draft):
    fields = {
        **{k: v for k, v in COMPLETE.items() if k not in ("rightsHolder", "consentBasis")},
        "license": "Custom", "licenseAbbreviation": "LOCAL-1.0",
        "licenseUrl": "https://example.org/l", "other": "o", "additionalConditions": "a",
        "fundedByFullName": "F", "fundedByEmail": "f@example.org",
        "legalContactFullName": "L", "legalContactEmail": "l@example.org", "createdByFullName": "C",
        "createdByEmail": "c@example.org", "intendedUsage": "i", "ethicalReviewProcess": "e",
        "annotationProcess": "Two speakers transcribed.", "knownBiases": "Mostly men.",
        "showContactInfo": True, "showComplianceAttributes": True, "visibility": "restricted",
        "autoApproveAccessRequests": True, "isPaid": True, "basePriceCents": 25000,
        "currency": "usd",
    }  # fmt: skip
    body = call(client, "patch", f"/{draft.public_id}", bearer(owner), fields).json()["submission"]
    for key, value in fields.items():
        assert body[key] == value, key


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pointOfContactEmail": "not-an-email"}, "pointOfContactEmail"),
        ({"legalContactEmail": "a@"}, "legalContactEmail"),
        ({"shortDescription": "x" * 161}, "shortDescription"),
        ({"name": "x" * 256}, "name"),
        ({"longDescription": "x" * 7501}, "longDescription"),
        ({"task": "SPEECH"}, "task"),
        ({"locale": "not a locale"}, "locale"),
        ({"visibility": "secret"}, "visibility"),
        ({"licenseUrl": "javascript:alert(1)"}, "licenseUrl"),
        ({"basePriceCents": 5000}, "basePriceCents"),  # a price on a free dataset
        ({"isPaid": True, "basePriceCents": 99_999_999}, "basePriceCents"),
        ({"isPaid": "yes"}, "isPaid"),
        ({"basePriceCents": 12.5, "isPaid": True}, "basePriceCents"),
        ({"currency": "eur", "isPaid": True, "basePriceCents": 20000}, "currency"),
        ({"consentBasis": "vibes"}, "consentBasis"),
        ({"slug": "filters"}, "slug"),
        # Not text: once turned into "12345" and saved as the slug.
        ({"slug": 12345}, "slug"),
        ({"annotationProcess": "x" * 7501}, "annotationProcess"),
        ({"annotationProcess": ["Two speakers transcribed."]}, "annotationProcess"),
        ({"knownBiases": "x" * 7501}, "knownBiases"),
        ({"knownBiases": 12}, "knownBiases"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_nothing_is_saved(
    client, owner, draft, body, field
):
    before = Submission.objects.values().get(pk=draft.pk)
    response = call(
        client, "patch", f"/{draft.public_id}", bearer(owner), {"name": "Changed", **body}
    )
    assert response.status_code == 400
    assert response.json()["field"] == field and field in response.json()["error"]
    assert Submission.objects.values().get(pk=draft.pk) == before


def test_annotation_and_biases_are_kept_returned_and_cleared(client, owner):
    headers = bearer(owner)
    text = "Mostly men over 40 from Kinshasa;\nfew speakers of the eastern dialects."
    body = {"name": "Speech", "annotationProcess": " Checked one in ten. ", "knownBiases": text}
    created = call(client, "post", "", headers, body).json()["submission"]
    submission = Submission.objects.get(public_id=created["id"])
    # Stored under their snake_case names, trimmed like every other text.
    assert submission.datasheet["annotation"] == "Checked one in ten."
    assert submission.datasheet["biases"] == text
    got = call(client, "get", f"/{created['id']}", headers).json()["submission"]
    assert (got["annotationProcess"], got["knownBiases"]) == ("Checked one in ten.", text)
    # null clears a field, as for every other datasheet text.
    body = {"annotationProcess": None, "knownBiases": ""}
    cleared = call(client, "patch", f"/{created['id']}", headers, body).json()["submission"]
    assert cleared["annotationProcess"] is None and cleared["knownBiases"] is None


def test_the_openapi_schema_documents_annotation_and_biases(client):
    schema = client.get("/api/openapi.json").json()
    for path, method in [
        ("/api/submissions", "post"),
        ("/api/submissions/{submission_id}", "patch"),
    ]:
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        properties = body["schema"]["properties"]
        for name in ("annotationProcess", "knownBiases"):
            assert properties[name] == {"type": ["string", "null"], "maxLength": 7500}, name


@pytest.mark.parametrize("field", ["organizationSlug", "datasetId"])
@pytest.mark.parametrize("value", [{}, ["radio-kinshasa"], 7, True])
def test_a_new_draft_refuses_an_organization_or_dataset_that_is_not_text(
    client, owner, field, value
):
    # Not silently ignored (an empty object) nor looked up by its Python repr (a list).
    response = call(client, "post", "", bearer(owner), {"name": "Speech", field: value})
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Submission.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[1, 2]", ""])
def test_bodies_that_are_not_json_objects_are_400(client, owner, draft, body):
    response = client.patch(
        f"/api/submissions/{draft.public_id}",
        data=body,
        content_type="application/json",
        **bearer(owner),
    )
    assert response.status_code == 400


@pytest.mark.parametrize(("api_name", "name"), REQUIRED_TO_SUBMIT)
def test_each_missing_required_field_blocks_submission(client, owner, api_name, name):
    submission = make_submission(owner, submit=False)
    update_submission(submission, actor=owner, data={api_name: ""} if name != "name" else {})
    if name == "name":
        Submission.objects.filter(pk=submission.pk).update(
            datasheet={**submission.datasheet, "name": ""}
        )
    response = call(
        client, "post", f"/{submission.public_id}", bearer(owner), {"agreeToSubmit": True}
    )
    assert response.status_code == 400
    assert api_name in response.json()["error"]
    assert Submission.objects.get(pk=submission.pk).status == "draft"


def test_submit_needs_agreement(client, owner, draft):
    response = call(client, "post", f"/{draft.public_id}", bearer(owner), {"agreeToSubmit": False})
    assert response.status_code == 400 and response.json()["field"] == "agreeToSubmit"


def test_submitting_twice_changes_nothing_the_second_time(client, owner, draft):
    headers = bearer(owner)
    first = call(client, "post", f"/{draft.public_id}", headers, {"agreeToSubmit": True}).json()
    second = call(client, "post", f"/{draft.public_id}", headers, {"agreeToSubmit": True}).json()
    assert first["submission"]["status"] == second["submission"]["status"] == "submitted"
    assert first["submission"]["submittedAt"] == second["submission"]["submittedAt"]


def test_stale_edit_from_a_second_tab_is_refused(owner, draft):
    opened_in_both_tabs = draft.revision
    update_submission(
        draft, actor=owner, data={"name": "From tab one"}, expected_revision=opened_in_both_tabs
    )
    with pytest.raises(SubmissionError, match="changed elsewhere"):
        update_submission(
            draft, actor=owner, data={"name": "From tab two"}, expected_revision=opened_in_both_tabs
        )
    draft.refresh_from_db()
    assert draft.name == "From tab one"


def test_deleted_submission_answers_410_and_published_one_403(client, owner, staff, draft):
    from steward.moderation.services import review_submission

    headers = bearer(owner)
    assert call(client, "delete", f"/{draft.public_id}", headers).status_code == 204
    assert call(client, "get", f"/{draft.public_id}", headers).status_code == 410
    assert call(client, "patch", f"/{draft.public_id}", headers, {"name": "x"}).status_code == 410
    assert call(client, "delete", f"/{draft.public_id}", headers).status_code == 410

    published = make_submission(owner, name="Published one")
    ticks = dict.fromkeys(["rights_cleared", "consent_documented", "personal_data_assessed",
                           "provenance_documented", "datasheet_complete"], True)  # fmt: skip
    review_submission(published, reviewer=staff, decision="approve", checklist=ticks)
    assert call(client, "delete", f"/{published.public_id}", headers).status_code == 403
    assert (
        call(client, "patch", f"/{published.public_id}", headers, {"name": "x"}).status_code == 403
    )


def test_unknown_submission_is_404(client, owner):
    assert call(client, "get", "/cnotarealsubmission000000", bearer(owner)).status_code == 404
