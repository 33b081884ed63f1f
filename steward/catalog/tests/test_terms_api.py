"""The terms of use in the API: the dataset details show the policy in force and its version;
the submission envelope shows the stored policy, and a bad one is refused on its field."""

import json

import pytest
from django.test import Client

from steward.accounts.services import create_api_key
from steward.catalog.services import change_terms
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission

pytestmark = pytest.mark.django_db

POLICY = {
    "purposes": ["research"],
    "geography": {"mode": "deny", "places": ["US"]},
    "grantDays": 30,
}


def bearer(user) -> dict:
    _, secret = create_api_key(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def details(client, dataset_id: str) -> dict:
    response = client.get(f"/api/datasets/{dataset_id}")
    assert response.status_code == 200
    return response.json()


def test_the_details_show_the_terms_in_force_and_their_version(client, organization, owner):
    dataset = make_dataset(organization, slug="lingala", usage_policy=POLICY)
    body = details(client, dataset.public_id)
    policy = body["usagePolicy"]
    assert body["termsVersion"] == 1
    assert policy["purposes"] == ["research"] and policy["grantDays"] == 30
    assert policy["geography"] == {"mode": "deny", "places": ["US"]}
    # The licence snapshot stays out: the summary names the licence.
    assert "licence" not in policy and body["licenseAbbreviation"] == "CC-BY-4.0"
    # The MDC fields are all still there.
    assert body["id"] == dataset.public_id and body["pricing"]["isPaid"] is False

    change_terms(dataset, actor=owner, usage_policy={"grantDays": 90})
    body = details(client, "lingala")
    assert body["termsVersion"] == 2 and body["usagePolicy"]["grantDays"] == 90


def test_list_items_keep_the_mdc_shape(client, organization):
    make_dataset(organization, slug="lingala", usage_policy=POLICY)
    item = client.get("/api/datasets").json()["items"][0]
    assert "usagePolicy" not in item and "termsVersion" not in item


def test_new_terms_reach_a_cached_listing_at_once(client, organization, owner):
    dataset = make_dataset(organization, slug="lingala")
    assert client.get("/api/datasets").json()["items"][0]["isPaid"] is False
    change_terms(dataset, actor=owner, usage_policy={"pricing": {"basePriceCents": 25000}})
    item = client.get("/api/datasets").json()["items"][0]
    assert item["isPaid"] is True and item["basePriceCents"] == 25000


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_a_private_dataset_by_id_shows_outsiders_no_terms(client, request, organization, persona):
    dataset = make_dataset(organization, slug="secret", visibility="private", usage_policy=POLICY)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    body = details(client, dataset.public_id)
    assert body["usagePolicy"] is None and body["termsVersion"] is None
    assert body["id"] == dataset.public_id and body["name"] is None
    shown = {key for key, value in body.items() if value is not None}
    assert shown <= {"id", "filename", "sizeBytes", "checksum"}


def test_a_private_dataset_shows_its_members_the_terms(client, organization, member):
    """The details take no API key (the SDK reads them anonymously); a signed-in member's
    browser session sees everything."""
    dataset = make_dataset(organization, slug="secret", visibility="private", usage_policy=POLICY)
    client.force_login(member)
    body = details(client, dataset.public_id)
    assert body["termsVersion"] == 1 and body["usagePolicy"]["grantDays"] == 30


def test_the_submission_envelope_carries_the_usage_policy(client, member):
    submission = make_submission(member, submit=False)
    headers = {**bearer(member), "content_type": "application/json"}
    url = f"/api/submissions/{submission.public_id}"
    response = client.patch(url, data=json.dumps({"usagePolicy": POLICY}), **headers)
    assert response.status_code == 200
    policy = response.json()["submission"]["usagePolicy"]
    assert policy["purposes"] == ["research"] and policy["grantDays"] == 30
    assert client.get(url, **bearer(member)).json()["submission"]["usagePolicy"] == policy


def test_a_bad_usage_policy_is_refused_on_its_field(member):
    submission = make_submission(member, submit=False)
    client = Client()
    headers = {**bearer(member), "content_type": "application/json"}
    url = f"/api/submissions/{submission.public_id}"
    bad = {"usagePolicy": {"geography": {"mode": "allow", "places": ["CD", "XX"]}}}
    response = client.patch(url, data=json.dumps(bad), **headers)
    assert response.status_code == 400
    assert response.json()["field"] == "usagePolicy.geography.places[1]"
    submission.refresh_from_db()
    assert submission.usage_policy["geography"] == {"mode": "anywhere", "places": []}
