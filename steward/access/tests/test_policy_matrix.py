"""The creators' terms, carried out on every path to the bytes: the page's download button,
the API's download session and the signed link, for each kind of policy and each state of a
requester's access. (The official SDK's view of the same decisions: tests/test_sdk_policies.py.)
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from steward.access.models import DownloadEvent, Grant
from steward.catalog.tests.factories import make_dataset

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


def publish(organization, policy: dict, **sheet):
    return make_dataset(
        organization, slug="terms-test", archive=ARCHIVE, usage_policy=policy, **sheet
    )


def ask(client, auth, dataset, **changes):
    return client.post(
        f"/api/datasets/{dataset.public_id}/access-requests",
        {**REQUEST, **changes},
        content_type="application/json",
        **auth,
    )


def api_download(client, auth, dataset):
    return client.post(f"/api/datasets/{dataset.public_id}/download", **auth)


def web_download(client, user, dataset):
    client.force_login(user)
    response = client.post(f"/datasets/{dataset.public_id}/download")
    client.logout()
    return response


def assert_refused_everywhere(client, auth, user, dataset, code: str, status: int = 403):
    """The API session and the page's button both refuse, with `code`, and record nothing."""
    before = DownloadEvent.objects.filter(user=user).count()
    response = api_download(client, auth, dataset)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["error"]
    page = web_download(client, user, dataset)
    # The page sends the user back to the dataset with the reason instead of to a link.
    assert page.status_code == 302 and "/downloads/" not in page["Location"]
    assert DownloadEvent.objects.filter(user=user).count() == before


def assert_allowed_everywhere(client, auth, user, dataset):
    session = api_download(client, auth, dataset)
    assert session.status_code == 200, session.content
    link = session.json()["downloadUrl"]
    body = client.get(link)
    assert body.status_code == 200
    assert b"".join(body.streaming_content) == ARCHIVE
    page = web_download(client, user, dataset)
    assert page.status_code == 302 and "/downloads/" in page["Location"]
    return link


@pytest.fixture
def outsider_auth(auth_for, outsider):
    return auth_for(outsider)


def test_open_terms_let_anyone_signed_in_download(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {})
    assert dataset.usage_policy.current.terms.is_open
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)
    event = DownloadEvent.objects.filter(user=outsider).first()
    assert event.policy_version == dataset.usage_policy.current and event.grant is None


def test_attribution_alone_needs_no_request(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {"attribution": "Radio Kinshasa Community, 2026"})
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)


def test_research_only_needs_a_request_for_research(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {"purposes": ["research"], "approval": "automatic"})
    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "access_not_requested")
    # The message says where to ask, for SDK users who never saw the page.
    message = api_download(client, outsider_auth, dataset).json()["error"]
    assert f"{settings.STEWARD_BASE_URL}/datasets/{dataset.public_id}/request-access" in message

    commercial = ask(client, outsider_auth, dataset, purpose="commercial")
    assert commercial.status_code == 201
    assert commercial.json()["status"] == "denied"
    assert "research" in commercial.json()["reason"]
    assert commercial.json()["grantId"] is None
    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "request_denied")

    research = ask(client, outsider_auth, dataset, purpose="research")
    assert research.json()["status"] == "approved" and research.json()["grantId"]
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)
    event = DownloadEvent.objects.filter(user=outsider).first()
    assert (event.purpose, event.country, event.grant.public_id) == (
        "research",
        "KE",
        research.json()["grantId"],
    )


def test_a_deny_listed_country_is_refused(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {"geography": {"mode": "deny", "places": ["FR"]}})
    refused = ask(client, outsider_auth, dataset, country="FR")
    assert refused.json()["status"] == "denied"
    assert "not available in your country (France)" in refused.json()["reason"]
    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "request_denied")

    allowed = ask(client, outsider_auth, dataset, country="KE")
    assert allowed.json()["status"] == "approved"
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)


def test_a_region_allow_list(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {"geography": {"mode": "allow", "places": ["AFRICA"]}})
    assert ask(client, outsider_auth, dataset, country="FR").json()["status"] == "denied"
    assert ask(client, outsider_auth, dataset, country="CD").json()["status"] == "approved"
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)


def test_manual_approval_waits_for_the_owner(
    client, organization, owner, outsider, outsider_auth, auth_for
):
    dataset = publish(organization, {}, visibility="restricted", autoApproveAccessRequests=False)
    assert not dataset.usage_policy.current.terms.is_open
    request = ask(client, outsider_auth, dataset).json()
    assert request["status"] == "pending" and request["grantId"] is None
    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "request_pending")

    approved = client.post(
        f"/api/access-requests/{request['id']}/approve",
        {"reason": "Welcome"},
        content_type="application/json",
        **auth_for(owner),
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and approved.json()["grantId"]
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)


def test_automatic_approval_of_a_restricted_dataset_is_immediate(
    client, organization, outsider, outsider_auth
):
    dataset = publish(organization, {}, visibility="restricted", autoApproveAccessRequests=True)
    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "access_not_requested")
    assert ask(client, outsider_auth, dataset).json()["status"] == "approved"
    assert_allowed_everywhere(client, outsider_auth, outsider, dataset)


def test_an_expired_grant_no_longer_opens_anything(client, organization, outsider, outsider_auth):
    dataset = publish(organization, {"purposes": ["research"], "grantDays": 30})
    answer = ask(client, outsider_auth, dataset).json()
    grant = Grant.objects.get(public_id=answer["grantId"])
    assert grant.expires_at - timezone.now() > timedelta(days=29)
    link = assert_allowed_everywhere(client, outsider_auth, outsider, dataset)

    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "grant_expired")
    # A link handed out while the grant was valid stops working too.
    assert client.get(link).status_code == 403


def test_a_revoked_grant_no_longer_opens_anything(
    client, organization, owner, outsider, outsider_auth, auth_for
):
    dataset = publish(organization, {"purposes": ["research"]})
    answer = ask(client, outsider_auth, dataset).json()
    link = assert_allowed_everywhere(client, outsider_auth, outsider, dataset)

    revoked = client.post(
        f"/api/grants/{answer['grantId']}/revoke",
        {"reason": "Used against the terms."},
        content_type="application/json",
        **auth_for(owner),
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    assert_refused_everywhere(client, outsider_auth, outsider, dataset, "grant_revoked")
    assert "Used against the terms." in api_download(client, outsider_auth, dataset).json()["error"]
    refused = client.get(link)
    assert refused.status_code == 403 and refused.json()["code"] == "grant_revoked"


def test_a_price_needs_payment_but_a_sample_does_not(client, organization, outsider, outsider_auth):
    dataset = make_dataset(
        organization,
        slug="paid",
        archive=ARCHIVE,
        sample=b"sample",
        usage_policy={"pricing": {"basePriceCents": 25000}},
    )
    answer = ask(client, outsider_auth, dataset).json()
    assert answer["status"] == "approved"
    assert answer["price"] == {
        "basePriceCents": 25000,
        "currency": "usd",
        "platformFeeRate": "0.05",
        "platformFeeCents": 1250,
        "totalPriceCents": 26250,
    }
    refused = api_download(client, outsider_auth, dataset)
    assert refused.status_code == 402 and refused.json()["code"] == "payment_required"
    assert "USD 262.50" in refused.json()["error"]
    sample = client.post(f"/api/datasets/{dataset.public_id}/sample-download", **outsider_auth)
    assert sample.status_code == 200

    Grant.objects.filter(public_id=answer["grantId"]).update(paid_at=timezone.now())
    assert api_download(client, outsider_auth, dataset).status_code == 200


def test_members_need_no_request(client, organization, member, auth_for):
    dataset = publish(organization, {"purposes": ["research"]}, visibility="restricted")
    assert_allowed_everywhere(client, auth_for(member), member, dataset)
    refused = ask(client, auth_for(member), dataset)
    assert refused.status_code == 400 and refused.json()["code"] == "no_request_needed"


def test_a_new_policy_applies_to_new_grants_only(
    client, organization, outsider, outsider_auth, auth_for
):
    from steward.accounts.services import create_user
    from steward.catalog.services import VersionFiles, publish_version
    from steward.catalog.tests.factories import make_sheet

    dataset = publish(organization, {"purposes": ["research", "commercial"]})
    first = ask(client, outsider_auth, dataset, purpose="commercial").json()
    assert first["status"] == "approved" and first["termsVersion"] == 1

    archive = dataset.current_version.files.get()
    publish_version(
        dataset,
        sheet=make_sheet(),
        files=VersionFiles(archive=archive.blob, archive_name=archive.filename),
        usage_policy={"purposes": ["research"]},
    )
    dataset.refresh_from_db()
    assert dataset.usage_policy.current.number == 2

    # The grant keeps the terms it accepted; a newcomer asking the same is refused.
    assert api_download(client, outsider_auth, dataset).status_code == 200
    assert Grant.objects.get(public_id=first["grantId"]).policy_version.number == 1
    newcomer = create_user("newcomer", email="newcomer@example.org", password="a-long-password1")
    later = ask(client, auth_for(newcomer), dataset, purpose="commercial").json()
    assert (later["status"], later["termsVersion"]) == ("denied", 2)


def test_refusals_speak_the_readers_language(client, organization, outsider, outsider_auth):
    dataset = publish(
        organization,
        {"geography": {"mode": "deny", "places": ["FR"]}, "purposes": ["research"]},
    )
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    refused = ask(client, {**outsider_auth, **french}, dataset, country="FR")
    assert refused.json()["status"] == "denied"
    assert "n'est pas disponible dans votre pays (France)" in refused.json()["reason"]
    swahili = {"HTTP_ACCEPT_LANGUAGE": "sw"}
    other = ask(client, {**outsider_auth, **swahili}, dataset, country="KE", purpose="commercial")
    assert other.json()["reason"] == "Seti hii ya data inaweza kutumika tu kwa: utafiti."


def test_plain_terms_write_prices_as_the_reader_does(organization):
    from django.utils import translation

    from steward.licensing.services import terms_text

    dataset = publish(organization, {"pricing": {"basePriceCents": 125000}})
    terms = dataset.current_version.policy_version.terms
    with translation.override("en"):
        assert "Price: USD 1,250.00." in terms_text(terms)
    with translation.override("fr"):
        assert "Prix\u00a0: 1\u00a0250,00 USD." in terms_text(terms)
