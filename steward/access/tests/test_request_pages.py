"""The access-request pages: asking on the page, the dataset page's next step and terms, the
requester's own page with renewals, and the organization's queue with its decisions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.access import services
from steward.access.models import AccessRequest, Grant, Vote
from steward.accounts.services import create_user
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Membership

from .conftest import ARCHIVE, SAMPLE

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"id": "community", "text": "Which community do you work with?", "required": True},
    {"id": "share", "text": "Will you share results back?", "required": False},
]
FORM = {
    "purpose": "research",
    "country": "KE",
    "organization_name": "University of Nairobi",
    "organization_type": "academic",
    "organization_website": "",
    "intended_use": "Train a speech recogniser for Lingala.",
    "answer_community": "Lingala speakers in Kinshasa",
    "accept_terms": "on",
}


def restricted(organization, slug: str, **policy) -> Dataset:
    """Everyone asks first; requests are answered at once unless `approval` says "manual"."""
    return make_dataset(
        organization,
        slug=slug,
        name=slug.replace("-", " ").title(),
        archive=ARCHIVE,
        sample=SAMPLE,
        visibility="restricted",
        usage_policy={"requestRequired": True, "approval": "automatic", **policy},
    )


@pytest.fixture
def asked(organization):
    """Every request waits for the organization, and two questions are asked."""
    return restricted(
        organization,
        "asked-speech",
        approval="manual",
        questions=QUESTIONS,
        attribution="Radio Kinshasa Community, Lingala speech (2024)",
    )


@pytest.fixture
def research_only(organization):
    """Answered at once: research is granted for 10 days, anything else is refused."""
    return restricted(
        organization,
        "research-speech",
        purposes=["research"],
        grantDays=10,
        renewalReportRequired=True,
    )


@pytest.fixture
def priced(organization):
    return restricted(organization, "paid-speech", pricing={"basePriceCents": 1500})


@pytest.fixture
def guarded(organization):
    return restricted(organization, "guarded-speech", approval="manual", guardiansRequired=2)


@pytest.fixture
def guardians(organization):
    users = []
    for name in ("elder-one", "elder-two"):
        user = create_user(name, email=f"{name}@example.org", password="a-long-test-password")
        Membership.objects.create(
            organization=organization, user=user, role=Membership.Role.MEMBER, is_guardian=True
        )
        users.append(user)
    return users


def request_page(dataset: Dataset) -> str:
    return reverse("access:request-access", args=[dataset.public_id])


def queue(organization, **params) -> str:
    url = reverse("access:request-queue", args=[organization.slug])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def decide_url(organization, access_request: AccessRequest, action: str) -> str:
    return reverse(f"access:request-{action}", args=[organization.slug, access_request.public_id])


def revoke_url(organization, grant: Grant) -> str:
    return reverse("access:grant-revoke", args=[organization.slug, grant.public_id])


def ask(client, dataset: Dataset, *, remote_addr: str = "127.0.0.1", **changes):
    """Send the form, with `changes` to its fields (None leaves a field out)."""
    data = {**FORM, **changes}
    return client.post(
        request_page(dataset),
        {k: v for k, v in data.items() if v is not None},
        REMOTE_ADDR=remote_addr,
    )


# --- Asking ---


def test_the_page_shows_the_terms_and_one_field_per_question(client, asked, outsider):
    client.force_login(outsider)

    response = client.get(request_page(asked))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The organization approves each request." in html  # describe(), in plain words
    assert "Radio Kinshasa Community, Lingala speech (2024)" in html
    assert "Which community do you work with?" in html
    assert 'name="answer_community"' in html and 'name="answer_share"' in html
    assert '<option value="KE">Kenya</option>' in html
    assert 'name="accept_terms"' in html


def test_a_request_waits_for_the_organization_and_tells_its_deciders(
    client, asked, outsider, owner, admin, member, django_capture_on_commit_callbacks
):
    client.force_login(outsider)

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, asked, organization_website="www.example.org")

    assert response.status_code == 302 and response.url == request_page(asked)
    access_request = AccessRequest.objects.get()
    assert access_request.status == AccessRequest.Status.PENDING
    assert access_request.answers == {"community": "Lingala speakers in Kinshasa"}
    assert access_request.organization_website == "https://www.example.org"
    assert access_request.organization_verified  # outsider@example.org is confirmed
    # The owners and admins are asked to decide; a plain member is not.
    assert sorted(m.to[0] for m in mail.outbox) == [admin.email, owner.email]
    html = client.get(request_page(asked)).content.decode()
    assert "waiting for the organization" in html and 'name="accept_terms"' not in html


def test_research_is_granted_at_once(client, research_only, outsider):
    client.force_login(outsider)

    response = ask(client, research_only)

    assert response.status_code == 302
    grant = Grant.objects.get(user=outsider)
    assert grant.expires_at is not None
    html = client.get(request_page(research_only)).content.decode()
    assert "You have access to this dataset." in html
    assert grant.expires_at.strftime("%Y") in html


def test_a_denied_requester_sees_why_and_may_ask_again_from_their_answers(
    client, research_only, outsider
):
    client.force_login(outsider)

    ask(client, research_only, purpose="commercial")

    access_request = AccessRequest.objects.get()
    assert access_request.status == AccessRequest.Status.DENIED
    html = client.get(request_page(research_only)).content.decode()
    assert "This dataset may only be used for: research." in html
    assert "Ask again" in html
    # The form starts from the last request, so fixing one answer is enough.
    assert '<option value="commercial" selected>' in html
    assert 'value="University of Nairobi"' in html

    ask(client, research_only, purpose="research")

    assert AccessRequest.objects.latest("id").previous == access_request
    assert Grant.objects.filter(user=outsider).exists()


def test_a_price_means_payment_comes_next(client, priced, outsider):
    client.force_login(outsider)

    ask(client, priced)

    grant = Grant.objects.get(user=outsider)
    assert grant.price_cents == 1500 and not grant.is_paid
    html = client.get(request_page(priced)).content.decode()
    assert "Payment comes next" in html and "USD 15.00" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"accept_terms": None}, "accept_terms"),
        ({"answer_community": "  "}, "answer_community"),
        ({"purpose": "world-domination"}, "purpose"),
        # Checked by the service, which names the API field; the page shows it on its own.
        ({"organization_website": "not a website at all"}, "organization_website"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_creates_nothing(
    client, asked, outsider, changes, field
):
    client.force_login(outsider)

    response = ask(client, asked, **changes)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not AccessRequest.objects.exists()
    assert not mail.outbox


def test_anonymous_visitors_are_sent_to_log_in(client, asked):
    response = client.get(request_page(asked))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_private_dataset_is_not_found_by_outsiders(client, datasets, outsider):
    client.force_login(outsider)

    assert client.get(request_page(datasets["private"])).status_code == 404
    assert ask(client, datasets["private"]).status_code == 404
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("visibility", ["restricted", "private"])
def test_members_are_told_they_need_no_request(client, datasets, member, visibility):
    client.force_login(member)

    response = client.get(request_page(datasets[visibility]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "you need no request" in html and 'name="accept_terms"' not in html
    ask(client, datasets[visibility])
    assert not AccessRequest.objects.exists()


# --- The dataset page: the next step, and what the terms allow ---


def dataset_page(client, dataset: Dataset) -> str:
    return client.get(reverse("catalog:dataset-detail", args=[dataset.public_id])).content.decode()


def test_the_download_box_offers_to_request_access(client, asked, outsider):
    client.force_login(outsider)

    html = dataset_page(client, asked)

    assert f'href="{request_page(asked)}"' in html and "Request access" in html


def test_the_download_box_follows_the_request(client, asked, research_only, outsider):
    client.force_login(outsider)

    ask(client, asked)
    assert "Request pending" in dataset_page(client, asked)

    ask(client, research_only, purpose="education")
    html = dataset_page(client, research_only)
    assert "Ask again" in html and f'href="{request_page(research_only)}"' in html

    ask(client, research_only)
    Grant.objects.filter(user=outsider).update(expires_at=timezone.now() - timedelta(days=1))
    html = dataset_page(client, research_only)
    assert "Renew" in html and f'href="{reverse("access:my-access")}"' in html


def test_the_download_box_says_payment_is_needed(client, priced, outsider):
    client.force_login(outsider)
    ask(client, priced)

    html = dataset_page(client, priced)

    assert "Payment is needed before you can download" in html


def test_the_terms_box_shows_the_terms_and_public_counts(client, asked, outsider, owner):
    client.force_login(outsider)
    ask(client, asked)
    services.approve_request(AccessRequest.objects.get(), actor=owner)
    # Given access twice, the outsider still counts as one person.
    services.revoke_grant(Grant.objects.get(), actor=owner, reason="A mistake.")
    ask(client, asked)
    services.approve_request(AccessRequest.objects.get(status="pending"), actor=owner)
    client.logout()

    html = dataset_page(client, asked)

    assert "What you may do with this data" in html
    assert "The organization approves each request." in html
    assert "Radio Kinshasa Community, Lingala speech (2024)" in html
    assert "<strong>1</strong> person given access" in html
    assert "<strong>0</strong> downloads" in html


# --- My access ---


def test_my_access_lists_requests_and_grants(client, asked, research_only, outsider):
    client.force_login(outsider)
    ask(client, asked)
    ask(client, research_only, purpose="commercial")

    response = client.get(reverse("access:my-access"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Asked Speech" in html and "Research Speech" in html
    assert "Pending" in html and "Denied" in html
    assert "This dataset may only be used for: research." in html


def test_my_access_needs_a_login(client):
    response = client.get(reverse("access:my-access"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def renew(client, grant: Grant, **data):
    return client.post(reverse("access:grant-renew", args=[grant.public_id]), data)


def test_a_grant_near_its_end_is_renewed_with_a_usage_report(client, research_only, outsider):
    client.force_login(outsider)
    ask(client, research_only)
    grant = Grant.objects.get()
    ends = grant.expires_at

    html = client.get(reverse("access:my-access")).content.decode()
    assert reverse("access:grant-renew", args=[grant.public_id]) in html

    response = renew(client, grant, accept_terms="on", usage_report="A Lingala recogniser.")

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.expires_at > ends and grant.usage_report == "A Lingala recogniser."


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"usage_report": "A recogniser."}, "accept_terms"),
        ({"accept_terms": "on"}, "usage_report"),
    ],
)
def test_renewing_without_what_the_terms_ask_changes_nothing(
    client, research_only, outsider, data, field
):
    client.force_login(outsider)
    ask(client, research_only)
    grant = Grant.objects.get()

    response = renew(client, grant, **data)

    assert response.status_code == 400
    assert f'id="renew-{grant.public_id}-{field}_error"' in response.content.decode()
    grant.refresh_from_db()
    assert grant.renewed_at is None


def test_only_the_holder_renews(client, research_only, outsider, owner):
    client.force_login(outsider)
    ask(client, research_only)
    grant = Grant.objects.get()
    client.force_login(owner)

    assert renew(client, grant, accept_terms="on", usage_report="x").status_code == 404


# --- The organization's queue ---


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("outsider", 404), ("staff", 404)],
)
def test_the_queue_is_for_those_who_decide(request, client, organization, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(queue(organization)).status_code == status


def test_guardians_see_the_queue_and_anonymous_visitors_log_in(client, organization, guardians):
    response = client.get(queue(organization))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))

    client.force_login(guardians[0])
    assert client.get(queue(organization)).status_code == 200


def test_the_queue_shows_each_request_in_full(client, asked, organization, outsider, owner):
    client.force_login(outsider)
    ask(client, asked, organization_website="https://example.org", answer_share="Yes, gladly")
    access_request = AccessRequest.objects.get()
    client.force_login(owner)

    response = client.get(queue(organization))

    html = response.content.decode()
    assert response.context["counts"] == {"pending": 1, "approved": 0, "denied": 0}
    assert "outsider" in html and "Research" in html and "Kenya" in html
    assert "University of Nairobi" in html and "Verified" in html
    assert "Train a speech recogniser for Lingala." in html
    assert "Lingala speakers in Kinshasa" in html and "Yes, gladly" in html
    assert decide_url(organization, access_request, "approve") in html
    assert decide_url(organization, access_request, "deny") in html


def test_the_queue_filters_by_status_and_dataset(
    client, asked, research_only, organization, outsider, owner
):
    client.force_login(outsider)
    ask(client, asked)
    ask(client, research_only, purpose="commercial")
    client.force_login(owner)

    pending = client.get(queue(organization, status="pending"))
    of_dataset = client.get(queue(organization, dataset=research_only.public_id))

    assert [r["request"].dataset for r in pending.context["rows"]] == [asked]
    assert [r["request"].dataset for r in of_dataset.context["rows"]] == [research_only]
    assert of_dataset.context["counts"] == {"pending": 0, "approved": 0, "denied": 1}


def test_htmx_gets_only_the_list(client, asked, organization, outsider, owner):
    client.force_login(outsider)
    ask(client, asked)
    client.force_login(owner)

    response = client.get(queue(organization, status="pending"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html and "Asked Speech" in html


def test_approving_on_the_page_grants_access_and_tells_the_requester(
    client, asked, organization, outsider, owner, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    ask(client, asked)
    access_request = AccessRequest.objects.get()
    mail.outbox.clear()
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(organization, access_request, "approve"),
            {"reason": "Welcome.", "next": queue(organization, status="pending")},
        )

    assert response.status_code == 302
    assert response.url == queue(organization, status="pending")
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.APPROVED
    assert Grant.objects.filter(request=access_request).exists()
    assert [m.to for m in mail.outbox] == [[outsider.email]]
    assert "approved" in mail.outbox[0].body


def test_denying_needs_a_reason_and_then_tells_the_requester(
    client, asked, organization, outsider, owner, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    ask(client, asked)
    access_request = AccessRequest.objects.get()
    mail.outbox.clear()
    client.force_login(owner)
    url = decide_url(organization, access_request, "deny")

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "Say why the request is denied." in refused.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.PENDING and not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "We only share with Congolese institutions."})

    assert response.status_code == 302 and response.url == queue(organization)
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.DENIED
    assert [m.to for m in mail.outbox] == [[outsider.email]]
    assert "We only share with Congolese institutions." in mail.outbox[0].body


def test_revoking_on_the_page_ends_the_grant_and_tells_its_holder(
    client, research_only, organization, outsider, admin, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    ask(client, research_only)
    grant = Grant.objects.get()
    mail.outbox.clear()
    client.force_login(admin)
    assert revoke_url(organization, grant) in client.get(queue(organization)).content.decode()

    refused = client.post(revoke_url(organization, grant), {"reason": "", "confirm": "on"})
    assert refused.status_code == 400
    # Revoking cannot be undone, so it is confirmed in so many words.
    unconfirmed = client.post(revoke_url(organization, grant), {"reason": "Terms broken."})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm that you revoke this access." in unconfirmed.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            revoke_url(organization, grant), {"reason": "Terms broken.", "confirm": "on"}
        )

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revocation_reason == "Terms broken."
    assert [m.to for m in mail.outbox] == [[outsider.email]]


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 404)])
def test_decisions_are_refused_to_the_wrong_users(
    request, client, asked, research_only, organization, outsider, persona, status
):
    client.force_login(outsider)
    ask(client, asked)
    ask(client, research_only)
    pending = AccessRequest.objects.get(dataset=asked)
    grant = Grant.objects.get()
    client.force_login(request.getfixturevalue(persona))

    for url in (
        decide_url(organization, pending, "approve"),
        decide_url(organization, pending, "deny"),
        revoke_url(organization, grant),
    ):
        assert client.post(url, {"reason": "Because.", "confirm": "on"}).status_code == status

    pending.refresh_from_db()
    grant.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING and grant.revoked_at is None


def test_another_organizations_owner_cannot_decide_through_their_own_queue(client, asked, outsider):
    requester = create_user("asker", email="asker@example.org", password="a-long-test-password")
    client.force_login(requester)
    ask(client, asked)
    access_request = AccessRequest.objects.get()
    client.force_login(outsider)  # owner of other-org

    response = client.post(
        reverse("access:request-approve", args=["other-org", access_request.public_id])
    )

    assert response.status_code == 404
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.PENDING


def test_anonymous_decisions_are_sent_to_log_in(client, asked, organization, outsider):
    client.force_login(outsider)
    ask(client, asked)
    access_request = AccessRequest.objects.get()
    client.logout()

    response = client.post(decide_url(organization, access_request, "approve"))

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_two_guardians_must_approve(
    client, guarded, organization, outsider, owner, guardians, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, guarded)
    access_request = AccessRequest.objects.get()
    # Only the guardians are asked.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(g.email for g in guardians)
    mail.outbox.clear()
    approve = decide_url(organization, access_request, "approve")

    # An owner who is no guardian sees the request but cannot decide it.
    client.force_login(owner)
    html = client.get(queue(organization)).content.decode()
    assert "Only the community's guardians decide" in html and approve not in html
    assert client.post(approve).status_code == 403

    client.force_login(guardians[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(approve).status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.PENDING
    assert Vote.objects.filter(request=access_request).count() == 1 and not mail.outbox
    html = client.get(queue(organization)).content.decode()
    assert "1 of 2" in html and "You have approved this request" in html

    client.force_login(guardians[1])
    assert approve in client.get(queue(organization)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(approve).status_code == 302

    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.APPROVED
    assert Grant.objects.filter(request=access_request, user=outsider).exists()
    assert [m.to for m in mail.outbox] == [[outsider.email]]


def test_the_country_connected_from_must_be_the_one_declared(
    client, asked, organization, outsider, owner, geoip_database
):
    client.force_login(outsider)

    refused = ask(client, asked, remote_addr="198.51.100.7")  # France, declared Kenya

    assert refused.status_code == 400
    assert "you are connecting from France" in str(refused.context["form"].errors["country"])
    assert not AccessRequest.objects.exists()

    ask(client, asked, remote_addr="203.0.113.7")  # Kenya
    client.force_login(owner)
    assert "connected from Kenya" in client.get(queue(organization)).content.decode()


def test_a_request_decided_meanwhile_says_so(client, asked, organization, outsider, owner):
    client.force_login(outsider)
    ask(client, asked)
    access_request = AccessRequest.objects.get()
    client.force_login(owner)
    client.post(decide_url(organization, access_request, "deny"), {"reason": "No."})

    response = client.post(decide_url(organization, access_request, "approve"))

    assert response.status_code == 409
    assert "This request was already denied." in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.DENIED
