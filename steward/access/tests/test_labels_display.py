"""Local Contexts labels on a published dataset: shown on its page with the community's words,
given in the API, and carried out on access requests."""

import pytest
from django.urls import reverse

from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db

COMMUNITY = "Radio Kinshasa Community"
LABELS = [
    {
        "id": "tk-non-commercial",
        "community": COMMUNITY,
        "text": "These voices are ours to share, never to sell.",
    },
    {"id": "tk-attribution", "community": COMMUNITY, "text": "Credit the Lingala speakers."},
    {"id": "attribution-incomplete-notice", "community": "Lingala archive"},
]
REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationName": "Mbote AI",
    "organizationType": "company",
    "intendedUse": "Train a speech recogniser for Lingala.",
    "acceptTerms": True,
}


@pytest.fixture
def labelled(organization):
    return make_dataset(
        organization, slug="labelled", archive=ARCHIVE, usage_policy={"labels": LABELS}
    )


def ask(client, auth, dataset, **changes):
    return client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        {**REQUEST, **changes},
        content_type="application/json",
        **auth,
    )


def test_the_dataset_page_shows_each_label_with_the_communitys_words(client, labelled):
    response = client.get(reverse("catalog:dataset-detail", args=[labelled.public_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Local Contexts labels and notices" in html
    # The badge, the name, the kind, who applied it and their own words.
    assert '<abbr title="TK Non-Commercial">TK NC</abbr>' in html
    assert "<strong>TK Non-Commercial</strong>, applied by Radio Kinshasa Community" in html
    assert "Traditional Knowledge Label" in html
    assert "These voices are ours to share, never to sell." in html
    assert "Requests for commercial use are refused." in html
    assert "<strong>TK Attribution</strong>" in html
    assert "Credit the Lingala speakers." in html
    assert "<strong>Attribution Incomplete Notice</strong>, applied by Lingala archive" in html
    assert "Local Contexts Notice" in html
    # What the label refuses is among the plain terms above too.
    assert "You may use it for non-commercial purposes only." in html
    assert "Requests for commercial use are refused (TK Non-Commercial)." in html
    # Each label is told once.
    assert html.count("These voices are ours to share, never to sell.") == 1


def test_the_api_gives_the_labels_in_the_usage_policy(client, labelled):
    response = client.get(f"/api/datasets/{labelled.public_id}")

    assert response.status_code == 200
    labels = response.json()["usagePolicy"]["labels"]
    assert labels == [{"text": "", **label} for label in LABELS]


def test_a_non_commercial_label_refuses_a_commercial_request(client, labelled, outsider, auth_for):
    auth = auth_for(outsider)

    commercial = ask(client, auth, labelled, purpose="commercial")

    assert commercial.status_code == 201, commercial.content
    body = commercial.json()
    assert body["status"] == "denied"
    assert body["grantId"] is None
    assert "TK Non-Commercial (Radio Kinshasa Community)" in body["reason"]

    research = ask(client, auth, labelled, purpose="research")
    assert research.json()["status"] == "approved" and research.json()["grantId"]


def test_a_community_use_only_label_sends_requests_to_the_community(
    client, organization, outsider, auth_for
):
    dataset = make_dataset(
        organization,
        slug="community-only",
        archive=ARCHIVE,
        usage_policy={"labels": [{"id": "tk-community-use-only", "community": COMMUNITY}]},
    )
    auth = auth_for(outsider)

    company = ask(client, auth, dataset, purpose="commercial", organizationType="company")
    assert company.json()["status"] == "denied"

    community = ask(
        client,
        auth,
        dataset,
        purpose="non_commercial",
        organizationType="community",
        organizationName="Lingala Speakers Association",
    )
    assert community.status_code == 201, community.content
    assert community.json()["status"] == "pending"
