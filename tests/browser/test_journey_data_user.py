"""Journey 3: a data user finds a dataset three ways (the languages, search, the discovery
assistant), reads its terms, requests access, is approved by the organization, pays and
downloads it; then creates an API key, copies the SDK snippet from the dataset page, and the
snippet downloads the dataset too.

Each language pays with another of the payment providers, so that both are proven end to end:
in English staff mark the bank transfer as received (the manual provider); in French the data
user pays by card with the Stripe provider, against localstripe, whose signed webhook marks
the order paid (Stripe.js is the stand-in of steward/payments/tests/localstripe.py)."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from steward.access.models import AccessRequest, DownloadEvent
from steward.accounts.services import create_user
from steward.lib.money import format_money
from steward.payments.models import Order
from steward.payments.tests.localstripe import PAYMENT_ELEMENT, FakeStripe, wait_for_receipt

from .catalogue import publish_neighbours, publish_radio_speech

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "a-long-journey-password"
# The journey's language that pays by card; the others pay by bank transfer.
CARD_LANGUAGE = "fr"


@pytest.fixture
def dataset(organization, owner):
    publish_neighbours(organization)
    return publish_radio_speech(organization)


@pytest.fixture
def stripe(request, lang) -> FakeStripe | None:
    """In CARD_LANGUAGE, orders are paid with Stripe (localstripe, posting its signed webhooks
    to the live server) and this answers the browser's requests to Stripe; else None, and
    orders are paid by bank transfer."""
    if lang != CARD_LANGUAGE:
        return None
    request.getfixturevalue("stripe_webhooks")
    return FakeStripe()


@pytest.fixture
def data_user(db):
    return create_user(
        "amina",
        email="amina@uonbi.example.ac.ke",
        password=PASSWORD,
        full_name="Amina Wanjiru",
        country="KE",
        organization_type="academic",
    )


def dataset_link(page, dataset, within: str = "main"):
    # Cards link by slug, the assistant by public id.
    paths = [f"/datasets/{dataset.slug}", f"/datasets/{dataset.public_id}"]
    return page.locator(within).locator(", ".join(f'a[href="{path}"]' for path in paths))


def log_in(journey, page) -> None:
    page.locator('nav a[href="/accounts/login/"]').click()
    page.fill("#id_login", "amina")
    page.fill("#id_password", PASSWORD)
    page.locator('form[action^="/accounts/login/"] button[type="submit"]').click()
    expect(page.locator('nav a[href="/access/"]')).to_be_visible()
    journey.check(page, "signed-in")


def find_by_language(journey, page, dataset) -> None:
    page.locator('nav a[href="/languages"]').click()
    journey.check(page, "languages", narrow=True)
    page.locator('table.languages a[href$="locale=ln"]').click()
    expect(dataset_link(page, dataset)).to_have_count(1)
    # Only the Lingala dataset is listed.
    expect(page.locator("#results article.card")).to_have_count(1)
    journey.check(page, "datasets-in-lingala")
    dataset_link(page, dataset).click()
    expect(page).to_have_url(re.compile(r"/datasets/"))
    journey.check(page, "dataset-from-languages")


def find_by_search(journey, page, dataset) -> None:
    page.locator('nav a[href="/datasets"]').click()
    expect(page.locator("#results article.card")).to_have_count(3)
    journey.check(page, "all-datasets", narrow=True)
    page.fill("#q", "lingala")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"q=lingala"))
    expect(page.locator("#results article.card")).to_have_count(1)
    journey.check(page, "search-results", narrow=True)
    dataset_link(page, dataset).click()
    expect(page).to_have_url(re.compile(r"/datasets/"))


def find_with_the_assistant(journey, page, dataset) -> None:
    page.locator('nav a[href="/assistant"]').click()
    journey.check(page, "assistant", narrow=True)
    page.fill("#message", "Lingala speech recordings to train speech recognition")
    page.select_option("#purpose", "research")
    page.locator("#conversation form button[type='submit']").click()
    expect(page.locator("#suggested")).to_be_visible()
    journey.check(page, "assistant-answers", narrow=True)
    dataset_link(page, dataset, within="section[aria-labelledby='suggested']").click()
    expect(page).to_have_url(re.compile(r"/datasets/"))


def request_access(journey, page, dataset) -> None:
    # The terms are on the dataset page, before anything is asked.
    expect(page.locator("#terms-heading")).to_be_visible()
    expect(page.locator(".plain-terms").first).not_to_be_empty()
    journey.check(page, "dataset-terms", narrow=True)
    page.locator('#access-next-step a[href$="/request-access"]').click()
    journey.check(page, "request-form", narrow=True)
    page.select_option("#id_purpose", "research")
    page.select_option("#id_country", "KE")
    page.fill("#id_intended_use", "Train a Lingala speech recogniser for a university project.")
    page.select_option("#id_organization_type", "academic")
    page.fill("#id_organization_name", "University of Nairobi")
    page.check("#id_accept_terms")
    page.locator('form[action$="/request-access"] button[type="submit"]').click()
    expect(page.locator("#request-status")).to_be_visible()
    journey.check(page, "request-sent", narrow=True)
    assert AccessRequest.objects.get().status == AccessRequest.Status.PENDING


def organization_approves(journey, owner) -> None:
    page = journey.tab(owner)
    page.locator('nav a[href="/organizations/mine"]').click()
    page.locator('main a[href="/organizations/radio-kinshasa/access-requests"]').click()
    journey.check(page, "organization-sees-the-request")
    page.locator('form[action*="/approve"] button[type="submit"]').click()
    expect(page.locator('form[action*="/approve"]')).to_have_count(0)
    journey.check(page, "organization-approved-it")
    assert AccessRequest.objects.get().status == AccessRequest.Status.APPROVED


def buy(journey, page, dataset) -> Order:
    page.goto(f"/datasets/{dataset.slug}")
    journey.check(page, "payment-needed")
    page.locator('#access-next-step form[action$="/buy"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/orders/"))
    order = Order.objects.get()
    assert order.total_price_cents > order.base_price_cents == 2500
    return order


def pay_by_bank_transfer(journey, page, dataset, staff) -> None:
    order = buy(journey, page, dataset)
    assert order.provider == "manual"
    journey.check(page, "checkout", narrow=True)

    # Staff see the bank transfer arrive and mark the order paid.
    desk = journey.tab(staff)
    desk.locator('nav a[href="/staff/orders"]').click()
    journey.check(desk, "staff-orders", narrow=True)
    row = desk.locator(f'form[action$="/orders/{order.public_id}/mark-paid"]')
    row.locator("input[name='reference']").fill("BANK-2025-0042")
    row.locator("button[type='submit']").click()
    expect(row).to_have_count(0)
    journey.check(desk, "staff-marked-paid")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    page.reload()
    journey.check(page, "receipt", narrow=True)


def pay_by_card(journey, page, dataset, stripe: FakeStripe) -> None:
    stripe.serve(page)
    order = buy(journey, page, dataset)
    assert order.provider == "stripe"
    expect(page.frame_locator(PAYMENT_ELEMENT).get_by_text("fake payment element")).to_be_visible()
    journey.check(page, "checkout-by-card", narrow=True)

    with translation.override(journey.lang):
        total = format_money(order.total_price_cents, order.currency)
        pay_label = gettext("Pay %(total)s") % {"total": total}
        accepted = gettext(
            "Payment accepted. Your access opens as soon as Stripe confirms it; this page"
            " updates by itself."
        )
        receipt = gettext("Receipt")
    page.get_by_role("button", name=pay_label, exact=True).click()
    expect(page.get_by_role("status")).to_have_text(accepted)
    # The page reloads itself; by then localstripe's webhook has marked the order paid.
    expect(page.get_by_role("heading", level=1)).to_contain_text(receipt)
    order = wait_for_receipt(order)
    assert order.status == Order.Status.PAID
    assert order.payment_reference == order.external_id
    assert [sent["secret"].split("_secret_")[0] for sent in stripe.confirmations] == [
        order.external_id
    ]
    journey.check(page, "receipt", narrow=True)


def download(journey, page, dataset) -> None:
    page.locator('main a.button[href^="/datasets/"]').click()
    button = page.locator('form[action$="/download"] button[type="submit"]')
    journey.check(page, "download-ready", narrow=True)
    with page.expect_download() as download:
        button.click()
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == dataset.checksum
    assert DownloadEvent.objects.filter(channel="web").count() == 1


def create_api_key(journey, page) -> str:
    page.locator('nav a[href="/account/"]').click()
    page.locator('main a[href="/account/api-keys"]').click()
    journey.check(page, "api-keys", narrow=True)
    page.fill("#id_name", "laptop")
    page.locator('form[action="/account/api-keys"] button[type="submit"]').click()
    secret = page.locator("#new-api-key").inner_text().strip()
    journey.check(page, "api-key-created", narrow=True)
    return secret


def copy_sdk_snippet(journey, page, dataset) -> list[str]:
    """Select each SDK snippet on the dataset page and copy it as a reader would."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/datasets/{dataset.slug}")
    snippets = page.locator("section[aria-labelledby='sdk-heading'] pre code")
    expect(snippets).to_have_count(2)
    journey.check(page, "sdk-snippet")
    copied = []
    for n in range(snippets.count()):
        snippets.nth(n).evaluate(
            """code => {
              const range = document.createRange();
              range.selectNodeContents(code);
              getSelection().removeAllRanges();
              getSelection().addRange(range);
            }"""
        )
        page.keyboard.press("Control+C")
        copied.append(page.evaluate("navigator.clipboard.readText()"))
    return copied


def run_snippet(snippets: list[str], secret: str, tmp_path) -> None:
    """The copied shell lines and Python, with the new key, in a fresh Python process."""
    shell, python = snippets
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", shell, flags=re.MULTILINE))
    assert exports["MDC_API_KEY"] == "your-api-key"
    env = {
        **os.environ,
        **exports,
        "MDC_API_KEY": secret,
        "MDC_DOWNLOAD_PATH": str(tmp_path / "downloads"),
    }
    subprocess.run([sys.executable, "-c", python], env=env, check=True, timeout=60)


def test_a_data_user_finds_requests_pays_and_downloads(
    journey, stripe, dataset, data_user, owner, staff, tmp_path
):
    page = journey.tab()
    log_in(journey, page)
    find_by_language(journey, page, dataset)
    find_by_search(journey, page, dataset)
    find_with_the_assistant(journey, page, dataset)
    request_access(journey, page, dataset)
    organization_approves(journey, owner)
    if stripe:
        pay_by_card(journey, page, dataset, stripe)
    else:
        pay_by_bank_transfer(journey, page, dataset, staff)
    download(journey, page, dataset)
    secret = create_api_key(journey, page)
    snippets = copy_sdk_snippet(journey, page, dataset)
    run_snippet(snippets, secret, tmp_path)

    downloaded = tmp_path / "downloads" / f"{dataset.slug}.tar.gz"
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() == dataset.checksum
    assert DownloadEvent.objects.filter(channel="api", user=data_user).count() == 1
