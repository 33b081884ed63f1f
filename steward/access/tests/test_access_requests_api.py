"""The access-request API: bad input refused with a clear 4xx and nothing changed, the wrong
users refused, decisions by one owner or several guardians, mail to both sides."""

import pytest
from django.core import mail

from steward.access.models import AccessRequest, Grant, Vote
from steward.accounts.services import create_user
from steward.audit.models import AuditEvent
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Membership

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db

REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationName": "University of Nairobi",
    "organizationType": "academic",
    "intendedUse": "Train a speech recogniser for Lingala.",
    "acceptTerms": True,
}
QUESTIONS = [
    {"id": "community", "text": "Which community do you work with?", "required": True},
    {"id": "share", "text": "Will you share results back?", "required": False},
]


@pytest.fixture
def dataset(organization):
    return make_dataset(
        organization,
        slug="asked",
        archive=ARCHIVE,
        visibility="restricted",
        autoApproveAccessRequests=False,
        usage_policy={"questions": QUESTIONS, "purposes": ["research", "education"]},
    )


def ask(client, auth, dataset, **changes):
    body = {**REQUEST, "answers": {"community": "Lingala speakers in Kinshasa"}, **changes}
    body = {k: v for k, v in body.items() if v is not ...}
    return client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        body,
        content_type="application/json",
        **auth,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Kenya"}, "country"),
        ({"country": None}, "country"),
        ({"purpose": "world-domination"}, "purpose"),
        ({"purpose": ...}, "purpose"),
        ({"organizationType": "cartel"}, "organizationType"),
        ({"acceptTerms": ...}, "acceptTerms"),
        ({"acceptTerms": False}, "acceptTerms"),
        ({"acceptTerms": "yes"}, "acceptTerms"),
        ({"answers": {}}, "answers.community"),
        ({"answers": {"community": "   "}}, "answers.community"),
        ({"answers": {"community": "x", "unknown": "y"}}, "answers.unknown"),
        ({"answers": ["community"]}, "answers"),
        ({"intendedUse": "x" * 7501}, "intendedUse"),
        ({"organizationWebsite": "not a website at all"}, "organizationWebsite"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    client, dataset, outsider, auth_for, changes, field
):
    response = ask(client, auth_for(outsider), dataset, **changes)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["error"].startswith(field)
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="access.request.created").exists()


def test_a_body_that_is_not_json_is_a_400(client, dataset, outsider, auth_for):
    response = client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        "purpose=research",
        content_type="application/json",
        **auth_for(outsider),
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_anonymous_and_bad_keys_are_401(client, dataset):
    assert ask(client, {}, dataset).status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer not-a-key"}
    assert ask(client, bad, dataset).status_code == 401
    assert client.get("/api/access-requests", **bad).status_code == 401


def test_a_private_dataset_cannot_be_asked_for(client, organization, outsider, auth_for):
    private = make_dataset(organization, slug="secret", archive=ARCHIVE, visibility="private")
    assert ask(client, auth_for(outsider), private).status_code == 404


def test_a_pending_request_is_answered_once_and_mails_both_sides(
    client, dataset, owner, outsider, auth_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = ask(client, auth_for(outsider), dataset)
    assert created.status_code == 201
    request = created.json()
    assert request["status"] == "pending" and request["grantId"] is None
    assert request["answers"] == {"community": "Lingala speakers in Kinshasa"}
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "New access request" in mail.outbox[0].subject
    assert "Lingala speakers in Kinshasa" in mail.outbox[0].body

    # Asking again while one waits is a conflict.
    again = ask(client, auth_for(outsider), dataset)
    assert again.status_code == 409 and again.json()["code"] == "request_pending"

    with django_capture_on_commit_callbacks(execute=True):
        denied = client.post(
            f"/api/access-requests/{request['id']}/deny",
            {"reason": "Tell us which community you work with, and how."},
            content_type="application/json",
            **auth_for(owner),
        )
    assert denied.status_code == 200
    assert (denied.json()["status"], denied.json()["reason"]) == (
        "denied",
        "Tell us which community you work with, and how.",
    )
    assert mail.outbox[-1].to == [outsider.email]
    assert "Tell us which community" in mail.outbox[-1].body

    twice = client.post(
        f"/api/access-requests/{request['id']}/approve",
        content_type="application/json",
        **auth_for(owner),
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_decided"
    assert not Grant.objects.exists()

    # A denied requester may ask again with more information.
    second = ask(client, auth_for(outsider), dataset, intendedUse="With the Lingala radio.")
    assert second.status_code == 201 and second.json()["status"] == "pending"


def test_a_denial_needs_a_reason(client, dataset, owner, outsider, auth_for):
    request = ask(client, auth_for(outsider), dataset).json()
    for body in ({}, {"reason": "  "}, {"reason": 5}):
        response = client.post(
            f"/api/access-requests/{request['id']}/deny",
            body,
            content_type="application/json",
            **auth_for(owner),
        )
        assert response.status_code == 400 and response.json()["field"] == "reason"
    assert AccessRequest.objects.get().status == "pending"


@pytest.mark.parametrize("persona", ["member", "outsider", "staff"])
def test_only_the_organization_decides(request, client, dataset, outsider, auth_for, persona):
    created = ask(client, auth_for(outsider), dataset).json()
    user = request.getfixturevalue(persona)
    response = client.post(
        f"/api/access-requests/{created['id']}/approve",
        content_type="application/json",
        **auth_for(user),
    )
    # The requester sees their request but may not approve it; others do not see it at all.
    assert response.status_code == (403 if user == outsider else 404)
    assert AccessRequest.objects.get().status == "pending"
    assert not Grant.objects.exists()


def test_another_organizations_owner_sees_nothing(client, dataset, outsider, auth_for):
    from steward.organizations.services import create_organization

    rival = create_organization("rival", name="Rival", approved=True)
    rival_owner = create_user("rival-owner", email="r@example.org", password="a-long-password1")
    Membership.objects.create(organization=rival, user=rival_owner, role="owner")
    created = ask(client, auth_for(outsider), dataset).json()

    auth = auth_for(rival_owner)
    assert client.get(f"/api/access-requests/{created['id']}", **auth).status_code == 404
    listing = client.get(f"/api/access-requests?dataset={dataset.public_id}", **auth)
    assert listing.status_code == 403
    assert client.get("/api/access-requests", **auth).json()["items"] == []


def test_owners_list_a_datasets_requests_with_counts(client, dataset, owner, outsider, auth_for):
    ask(client, auth_for(outsider), dataset)
    listing = client.get(
        f"/api/access-requests?dataset={dataset.public_id}&status=pending", **auth_for(owner)
    )
    assert listing.status_code == 200
    body = listing.json()
    assert body["counts"] == {"pending": 1, "approved": 0, "denied": 0}
    assert [r["requester"]["username"] for r in body["items"]] == [outsider.username]
    assert (
        client.get(
            f"/api/access-requests?dataset={dataset.public_id}&status=maybe", **auth_for(owner)
        ).json()["field"]
        == "status"
    )
    mine = client.get("/api/access-requests", **auth_for(outsider)).json()
    assert [r["status"] for r in mine["items"]] == ["pending"]
    assert "requester" not in mine["items"][0]


def test_two_of_three_guardians_must_approve(
    client, organization, owner, admin, member, outsider, auth_for
):
    for user in (owner, admin, member):
        Membership.objects.filter(user=user).update(is_guardian=True)
    dataset = make_dataset(
        organization,
        slug="guarded",
        archive=ARCHIVE,
        visibility="restricted",
        usage_policy={"guardiansRequired": 2, "approval": "manual"},
    )
    created = ask(client, auth_for(outsider), dataset, answers=None).json()

    def approve(user):
        return client.post(
            f"/api/access-requests/{created['id']}/approve",
            content_type="application/json",
            **auth_for(user),
        )

    first = approve(member)
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["approvals"]) == ("pending", 1)
    assert approve(member).json()["code"] == "already_voted"
    changed_mind = client.post(
        f"/api/access-requests/{created['id']}/deny",
        {"reason": "On second thought, no."},
        content_type="application/json",
        **auth_for(member),
    )
    assert changed_mind.status_code == 409 and changed_mind.json()["code"] == "already_voted"
    second = approve(admin)
    assert (second.json()["status"], second.json()["approvals"]) == ("approved", 2)
    assert second.json()["grantId"]
    assert Vote.objects.count() == 2


def test_a_non_guardian_admin_cannot_vote_where_guardians_decide(
    client, organization, owner, admin, outsider, auth_for
):
    Membership.objects.filter(user=owner).update(is_guardian=True)
    dataset = make_dataset(
        organization,
        slug="guarded",
        archive=ARCHIVE,
        visibility="restricted",
        usage_policy={"guardiansRequired": 2},
    )
    created = ask(client, auth_for(outsider), dataset, answers=None).json()
    response = client.post(
        f"/api/access-requests/{created['id']}/approve",
        content_type="application/json",
        **auth_for(admin),
    )
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_verified_organization_from_a_confirmed_email_domain(
    client, organization, outsider, auth_for
):
    from allauth.account.models import EmailAddress

    dataset = make_dataset(
        organization,
        slug="verified-only",
        archive=ARCHIVE,
        usage_policy={"verifiedOrganizationRequired": True},
    )
    unverified = ask(
        client,
        auth_for(outsider),
        dataset,
        answers=None,
        organizationWebsite="https://www.uonbi.ac.ke",
    ).json()
    assert unverified["status"] == "denied" and not unverified["organizationVerified"]
    assert "verified" in unverified["reason"]

    EmailAddress.objects.create(
        user=outsider, email="researcher@uonbi.ac.ke", verified=True, primary=False
    )
    verified = ask(
        client,
        auth_for(outsider),
        dataset,
        answers=None,
        organizationWebsite="https://www.uonbi.ac.ke",
    ).json()
    assert verified["status"] == "approved" and verified["organizationVerified"]


def test_an_unconfirmed_address_does_not_verify(client, organization, outsider, auth_for):
    from allauth.account.models import EmailAddress

    dataset = make_dataset(
        organization,
        slug="verified-only",
        archive=ARCHIVE,
        usage_policy={"verifiedOrganizationRequired": True},
    )
    EmailAddress.objects.create(user=outsider, email="me@uonbi.ac.ke", verified=False)
    answer = ask(
        client, auth_for(outsider), dataset, answers=None, organizationWebsite="uonbi.ac.ke"
    ).json()
    assert answer["status"] == "denied"


def test_the_declared_country_must_match_the_address(
    client, organization, outsider, auth_for, geoip_database
):
    dataset = make_dataset(
        organization,
        slug="kenya-only",
        archive=ARCHIVE,
        usage_policy={"geography": {"mode": "allow", "places": ["KE"]}},
    )
    from_france = {"REMOTE_ADDR": "198.51.100.7", **auth_for(outsider)}
    lying = client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        {**REQUEST, "country": "KE"},
        content_type="application/json",
        **from_france,
    )
    assert lying.status_code == 400
    assert lying.json()["code"] == "country_mismatch" and "France" in lying.json()["error"]
    assert not AccessRequest.objects.exists()

    from_kenya = {"REMOTE_ADDR": "203.0.113.9", **auth_for(outsider)}
    honest = client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        {**REQUEST, "country": "KE"},
        content_type="application/json",
        **from_kenya,
    )
    assert honest.json()["status"] == "approved"
    assert AccessRequest.objects.get().ip_country == "KE"

    # The grant holder travels: downloads from a country the terms exclude are refused.
    abroad = client.post(f"/api/datasets/{dataset.public_id}/download", **from_france)
    assert abroad.status_code == 403 and abroad.json()["code"] == "country_not_allowed"
    home = client.post(f"/api/datasets/{dataset.public_id}/download", **from_kenya)
    assert home.status_code == 200
