"""Journey 4: the organization answers access requests (approves one, denies one with a
reason), sees who uses its data (charts by purpose, country and time), its earnings, and
withdraws a version after a page that says what withdrawing does; a user who downloaded it
is then asked to delete their copy."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from steward.access import services as access_services
from steward.access.models import AccessRequest, DeletionRequest, DownloadEvent
from steward.accounts.services import create_user
from steward.catalog.models import DatasetVersion
from steward.payments import services as payment_services

from .catalogue import publish_radio_speech

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Who has used the dataset so far: (username, purpose, country, days since the download).
CUSTOMERS = [
    ("alice", "research", "KE", 3),
    ("bruno", "education", "FR", 40),
    ("chantal", "research", "CD", 200),
]
# Who waits for an answer: (username, purpose, country).
WAITING = [("daudi", "research", "TZ"), ("emeka", "education", "NG")]


def ask(dataset, username: str, purpose: str, country: str) -> AccessRequest:
    user = create_user(username, email=f"{username}@users.example", password="a-long-password")
    return access_services.request_access(
        dataset,
        user=user,
        data={
            "purpose": purpose,
            "country": country,
            "organizationType": "academic",
            "organizationName": f"{username.title()} University",
            "intendedUse": "Speech recognition research.",
            "acceptTerms": True,
        },
    )


@pytest.fixture
def dataset(organization, owner, staff):
    """Radio Kinshasa's priced dataset: three customers who paid and downloaded it over the
    last months, and two requests waiting."""
    dataset = publish_radio_speech(organization)
    for username, purpose, country, days_ago in CUSTOMERS:
        request = access_services.approve_request(
            ask(dataset, username, purpose, country), actor=owner
        )
        order, _ = payment_services.create_order(dataset, buyer=request.user)
        payment_services.mark_paid(order, actor=staff, reference=f"BANK-{username}")
        session = access_services.start_download(
            request.user, dataset, channel="api", base_url="http://testserver/"
        )
        DownloadEvent.objects.filter(public_id=session.event_id).update(
            bytes_served=dataset.size_bytes, created_at=timezone.now() - timedelta(days=days_ago)
        )
    for username, purpose, country in WAITING:
        ask(dataset, username, purpose, country)
    return dataset


def request_card(page, username: str):
    request = AccessRequest.objects.get(user__username=username)
    return page.locator(f"#request-{request.public_id}")


def answer_requests(journey, page) -> None:
    page.locator('nav a[href="/organizations/mine"]').click()
    journey.check(page, "my-organizations", narrow=True)
    page.locator('main a[href="/organizations/radio-kinshasa/access-requests"]').click()
    journey.check(page, "access-requests", narrow=True)

    daudi = request_card(page, "daudi")
    daudi.locator('form[action$="/approve"] button[type="submit"]').click()
    expect(request_card(page, "daudi").locator('form[action$="/approve"]')).to_have_count(0)
    journey.check(page, "request-approved")

    emeka = request_card(page, "emeka")
    emeka.locator('form[action$="/deny"] textarea[name="reason"]').fill(
        "Teaching use is welcome; please ask again with your school's name."
    )
    emeka.locator('form[action$="/deny"] button[type="submit"]').click()
    expect(request_card(page, "emeka").locator('form[action$="/deny"]')).to_have_count(0)
    journey.check(page, "request-denied", narrow=True)

    statuses = dict(AccessRequest.objects.values_list("user__username", "status"))
    assert statuses["daudi"] == "approved" and statuses["emeka"] == "denied"


def see_usage(journey, page, dataset) -> None:
    page.locator('nav a[href="/organizations/mine"]').click()
    page.locator('main a[href="/organizations/radio-kinshasa/usage"]').click()
    journey.check(page, "usage-all-datasets", narrow=True)
    page.locator(f'main a[href$="/datasets/{dataset.public_id}/usage"]').click()
    # Downloads over time by purpose, the countries, and the requests.
    for heading in ["#downloads-heading", "#countries-heading", "#requests-heading"]:
        expect(page.locator(heading)).to_be_visible()
    journey.check(page, "usage-of-the-dataset", narrow=True)


def see_earnings(journey, page) -> None:
    page.locator('nav a[href="/organizations/mine"]').click()
    page.locator('main a[href="/organizations/radio-kinshasa/earnings"]').click()
    expect(page.locator("#chart-heading")).to_be_visible()
    journey.check(page, "earnings", narrow=True)


def withdraw_version(journey, page, dataset) -> None:
    page.goto(f"/datasets/{dataset.slug}")
    journey.check(page, "dataset-as-its-organization")
    page.locator(
        'section[aria-labelledby="versions-heading"] a[href$="/versions/1/withdraw"]'
    ).click()
    # The confirmation page says what follows before anything happens; a reason for those
    # who downloaded it, and a ticked "this cannot be undone", are needed.
    confirm = page.locator("main form[action$='/withdraw'] button[type='submit']")
    journey.check(page, "withdraw-confirmation", narrow=True)
    confirm.click()
    expect(page.locator("#id_reason_error")).to_be_visible()
    journey.check(page, "withdraw-needs-a-reason")
    assert DatasetVersion.objects.get().withdrawn_at is None
    expect(page.locator("#id_confirm_error")).to_be_visible()
    page.fill("#id_reason", "Two speakers withdrew their consent.")
    confirm.click()
    expect(page.locator("#id_confirm_error")).to_be_visible()
    assert DatasetVersion.objects.get().withdrawn_at is None
    page.check("#id_confirm")
    confirm.click()
    expect(page).to_have_url(re.compile(r"/withdrawals$"))
    journey.check(page, "withdrawn", narrow=True)


def holder_is_asked_to_delete(journey) -> None:
    alice = journey.tab(AccessRequest.objects.get(user__username="alice").user)
    alice.locator('nav a[href="/access/"]').click()
    expect(alice.locator('main a[href^="/access/deletions/"]')).to_have_count(1)
    journey.check(alice, "holder-asked-to-delete", narrow=True)


def test_the_organization_answers_requests_sees_usage_and_withdraws(journey, dataset, owner):
    page = journey.tab(owner)
    answer_requests(journey, page)
    see_usage(journey, page, dataset)
    see_earnings(journey, page)
    withdraw_version(journey, page, dataset)
    holder_is_asked_to_delete(journey)

    version = DatasetVersion.objects.get()
    assert version.withdrawn_at is not None
    # Everyone outside the organization who downloaded it is asked to delete their copy.
    asked = DeletionRequest.objects.filter(version=version).values_list("user__username")
    assert sorted(name for (name,) in asked) == ["alice", "bruno", "chantal"]
    assert {"alice@users.example", "bruno@users.example"} <= {
        address for message in mail.outbox for address in message.to
    }
