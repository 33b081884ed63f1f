"""NUL characters in addresses, parameters and JSON bodies are bad input (400), never a
server error: PostgreSQL refuses NUL in text, so one that reached a query would end as a 500
there."""

import json

import pytest
from django.urls import reverse

from steward.catalog.tests.submission_factories import make_submission
from steward.storage.models import Upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/lingala%00speech",
        "/api/datasets?organization=radio%00kinshasa",
        "/api/access-requests?dataset=c%00",
    ],
)
def test_an_api_address_with_a_nul_is_400(client, owner, auth_for, path):
    response = client.get(path, **auth_for(owner))
    assert response.status_code == 400
    assert response.json()["error"] == "The address must not contain NUL characters (%00)."


def test_a_page_address_with_a_nul_is_400(client, db):
    response = client.get(reverse("catalog:dataset-list") + "?q=speech%00")
    assert response.status_code == 400
    assert client.get("/datasets/lingala%00speech").status_code == 400


def test_a_json_body_with_a_nul_is_400_naming_the_field(client, owner, auth_for):
    response = client.post(
        "/api/uploads",
        json.dumps({"submissionId": "c\x00", "fileSize": 10, "mimeType": "application/gzip"}),
        content_type="application/json",
        **auth_for(owner),
    )
    assert response.status_code == 400 and response.json()["field"] == "submissionId"
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shortDescription": "Read\x00speech"}, "shortDescription"),
        ({"usagePolicy": {"attribution": "Radio\x00Kinshasa"}}, "usagePolicy.attribution"),
        ({"usagePolicy": {"questions": [{"text": "Who?\x00"}]}}, "usagePolicy.questions.0.text"),
    ],
)
def test_a_nul_anywhere_in_the_body_is_named_and_nothing_is_saved(
    client, owner, auth_for, body, field
):
    draft = make_submission(owner, submit=False)
    revision = draft.revision
    response = client.patch(
        f"/api/submissions/{draft.public_id}",
        json.dumps(body),
        content_type="application/json",
        **auth_for(owner),
    )
    assert response.status_code == 400
    assert response.json()["field"] == field
    draft.refresh_from_db()
    assert draft.revision == revision and "\\u0000" not in json.dumps(draft.datasheet)
