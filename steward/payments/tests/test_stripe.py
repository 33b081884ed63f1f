"""Paying with Stripe, against localstripe: the order's PaymentIntent, the signed webhook that
confirms it (once, however often it comes), refunds, and everything a forged, stale or
mismatched notification must not change.

localstripe has no Payment Element: the browser's part (attach the card, confirm) is done here
with the secret key, in the two steps localstripe supports. It sends no refund events, so those
are built from its objects and signed here with the webhook secret, as Stripe would.
"""

import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import stripe
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client

from steward.access import services as access_services
from steward.catalog.tests.factories import make_dataset
from steward.lib.errors import DomainError
from steward.payments import ledger, services
from steward.payments.models import Order, Transaction, WebhookEvent
from steward.payments.providers import stripe as stripe_provider
from steward.payments.webhooks import REFUND_REASON

from .localstripe import PAYMENT_ELEMENT, WEBHOOK_SECRET, FakeStripe, pay, wait_for_receipt

pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/stripe/webhook"
REQUEST = {"purpose": "research", "country": "KE", "organizationType": "academic"}


@pytest.fixture
def dataset(organization):
    return make_dataset(
        organization,
        slug="priced",
        archive=b"paid archive bytes " * 100,
        usage_policy={"pricing": {"basePriceCents": 25000}},
    )


@pytest.fixture
def order(stripe_settings, dataset, outsider) -> Order:
    """A pending Stripe order of USD 262.50 (250.00 and the 5% fee) for the outsider."""
    access_services.request_access(dataset, user=outsider, data={**REQUEST, "acceptTerms": True})
    created, _ = services.create_order(dataset, buyer=outsider)
    assert created.provider == "stripe" and created.total_price_cents == 26250
    return created


def signed(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """Post `event` to the webhook as Stripe does: the JSON body and its Stripe-Signature."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def event(kind: str, subject: dict, event_id: str = "evt_test_1") -> dict:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": subject}}


def succeeded(order: Order, event_id: str = "evt_paid", **changes) -> dict:
    """A payment_intent.succeeded event for `order` (its intent as Stripe would send it)."""
    intent = {
        "id": order.external_id or "pi_test_1",
        "object": "payment_intent",
        "amount": order.total_price_cents,
        "currency": order.currency,
        "status": "succeeded",
        "metadata": {"order": order.public_id},
    }
    return event("payment_intent.succeeded", {**intent, **changes}, event_id)


def nothing_changed(order: Order) -> bool:
    order.refresh_from_db()
    order.grant.refresh_from_db()
    return (
        order.status == Order.Status.PENDING
        and order.grant.paid_at is None
        and not WebhookEvent.objects.exists()
        and not Transaction.objects.exists()
    )


# --- The provider against localstripe ------------------------------------------------------


def test_checkout_creates_one_intent_for_the_order_total(order, localstripe_server):
    started = services.checkout(order)
    order.refresh_from_db()
    assert order.external_id == started.external_id and started.external_id.startswith("pi_")

    intent = stripe_provider.client().v1.payment_intents.retrieve(order.external_id)
    assert (intent.amount, intent.currency) == (26250, "usd")
    assert intent.metadata["order"] == order.public_id
    assert started.context == {
        "client_secret": intent.client_secret,
        "publishable_key": "pk_test_steward",
        # localstripe's stand-in for Stripe.js (it has no Payment Element).
        "js_url": f"{localstripe_server}/js.stripe.com/v3/",
    }
    # Reloading the checkout page resumes the same intent instead of making another.
    assert services.checkout(order).external_id == started.external_id
    assert [i.id for i in stripe_provider.client().v1.payment_intents.list().data] == [intent.id]


def test_stripe_gets_one_idempotency_key_per_order_and_action(order, monkeypatch):
    """Stripe answers a retried create with the first intent or refund; localstripe ignores
    the header, so this checks what is sent."""
    sent = []
    original = stripe.RequestsClient.request

    def recording(self, method, url, headers, post_data=None):
        sent.append((method, url.split("/v1/")[1], headers.get("Idempotency-Key")))
        return original(self, method, url, headers, post_data)

    monkeypatch.setattr(stripe.RequestsClient, "request", recording)
    provider = stripe_provider.StripeProvider()
    order.external_id = provider.start(order).external_id
    pay(order.external_id)
    provider.refund(order)
    keyed = [(method, path, key) for method, path, key in sent if method == "post" and key]
    assert ("post", "payment_intents", f"steward-order-{order.public_id}-intent") in keyed
    assert ("post", "refunds", f"steward-order-{order.public_id}-refund") in keyed


def test_a_refund_is_made_once_at_stripe(order, staff):
    started = services.checkout(order)
    pay(started.external_id)
    order = services.confirm_payment(order, reference=started.external_id)

    refunded = services.refund(order, actor=staff, reason="Bought twice by mistake")
    assert refunded.status == Order.Status.REFUNDED
    refunded.grant.refresh_from_db()
    assert refunded.grant.revoked_at is not None
    # A second request (a double click, a retried task) does not return the money twice.
    stripe_provider.StripeProvider().refund(order)
    refunds = stripe_provider.client().v1.refunds.list(params={"payment_intent": order.external_id})
    assert [(r.amount, r.status) for r in refunds.data] == [(26250, "succeeded")]
    assert ledger.verify() == []


def test_an_unreachable_stripe_is_a_502_and_changes_nothing(order, settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        settings.STEWARD_STRIPE_API_BASE = f"http://127.0.0.1:{unused.getsockname()[1]}"
        with pytest.raises(stripe_provider.ProviderUnavailable) as caught:
            services.checkout(order)
    assert caught.value.status == 502 and caught.value.code == "provider_unavailable"
    assert "try again" in caught.value.message
    order.refresh_from_db()
    assert order.external_id == "" and order.status == Order.Status.PENDING


def test_a_declined_card_is_a_400_with_stripes_reason():
    """A card error from Stripe (the buyer's to fix) is not a gateway failure."""
    declined = stripe.CardError("Your card was declined.", None, code="card_declined")
    with (
        pytest.raises(stripe_provider.CardDeclined) as caught,
        stripe_provider._stripe_errors("start the payment"),
    ):
        raise declined
    assert caught.value.status == 400
    assert (caught.value.code, caught.value.message) == ("card_declined", "Your card was declined.")


def test_a_refund_needs_a_stripe_payment(order):
    with pytest.raises(DomainError) as caught:
        stripe_provider.StripeProvider().refund(order)
    assert caught.value.code == "no_payment"


def test_an_intent_unknown_to_stripe_is_a_502(order):
    """Stripe refusing Steward's request (here: an intent it does not know) is not the
    buyer's doing either."""
    Order.objects.filter(pk=order.pk).update(external_id="pi_unknown")
    order.refresh_from_db()
    with pytest.raises(stripe_provider.ProviderUnavailable):
        services.checkout(order)


def test_the_card_form_carries_what_stripe_js_needs(order):
    started = services.checkout(order)
    html = render_to_string("payments/checkout_stripe.html", {"checkout": started, "order": order})
    assert f'data-client-secret="{started.context["client_secret"]}"' in html
    assert 'data-publishable-key="pk_test_steward"' in html
    assert f'data-js-url="{started.context["js_url"]}"' in html
    assert f'data-return-url="/orders/{order.public_id}"' in html
    assert "data-payment-element" in html and "steward/checkout-stripe.js" in html
    assert "USD 262.50" in html
    # Card details never pass through Steward: the form has no card fields of its own.
    assert "<input" not in html


def test_the_checkout_page_shows_the_card_form(client, order, outsider):
    client.force_login(outsider)
    page = client.get(f"/orders/{order.public_id}")
    assert page.status_code == 200
    order.refresh_from_db()
    assert f'data-client-secret="{order.external_id}_secret_' in page.content.decode()


# --- The webhook, with events signed here ----------------------------------------------------


def test_a_signed_payment_confirms_the_order_once(client, order):
    services.checkout(order)
    order.refresh_from_db()
    first = signed(client, succeeded(order))
    assert first.status_code == 200, first.content
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.payment_reference == order.external_id
    assert order.grant.paid_at is not None

    # Stripe delivers at least once: the same event again changes nothing.
    again = signed(client, succeeded(order))
    assert again.status_code == 200 and again.json() == {"result": "already handled"}
    assert WebhookEvent.objects.filter(provider="stripe", event_id="evt_paid").count() == 1
    assert Transaction.objects.filter(order=order).count() == 1
    # Another event for the same payment is also harmless: confirming is idempotent.
    other = signed(client, succeeded(order, event_id="evt_paid_2"))
    assert other.status_code == 200
    assert Transaction.objects.filter(order=order).count() == 1
    assert ledger.verify() == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1,v1=0000",
        "garbage",
        "v1=deadbeef",
    ],
)
def test_a_missing_or_malformed_signature_is_refused(client, order, header):
    extra = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    answer = client.post(
        WEBHOOK, json.dumps(succeeded(order)), content_type="application/json", **extra
    )
    assert answer.status_code == 400
    assert nothing_changed(order)


def test_a_forged_signature_is_refused(client, order):
    answer = signed(client, succeeded(order), secret="whsec_someone_else")
    assert answer.status_code == 400 and answer.json() == {"error": "invalid signature"}
    assert nothing_changed(order)


def test_a_tampered_body_is_refused(client, order):
    """The signature covers the body: changing a byte after signing breaks it."""
    payload = json.dumps(succeeded(order))
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    tampered = payload.replace("26250", "26251")
    answer = client.post(
        WEBHOOK, tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert answer.status_code == 400
    assert nothing_changed(order)


def test_an_old_signature_is_refused(client, order):
    """A captured event replayed after five minutes is refused even with its valid signature."""
    answer = signed(client, succeeded(order), timestamp=int(time.time()) - 301)
    assert answer.status_code == 400
    assert nothing_changed(order)


def test_without_a_webhook_secret_nothing_is_accepted(client, order, settings):
    """An empty secret would let anyone sign: it is refused, not used."""
    settings.STEWARD_STRIPE_WEBHOOK_SECRET = ""
    answer = client.post(
        WEBHOOK,
        json.dumps(succeeded(order)),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe.WebhookSignature.generate_signature_header(
            json.dumps(succeeded(order)), ""
        ),
    )
    assert answer.status_code == 400
    assert nothing_changed(order)


@pytest.mark.parametrize(
    "changes", [{"amount": 100}, {"amount": 26251}, {"currency": "eur"}, {"amount": "26250"}]
)
def test_a_payment_that_does_not_match_its_order_is_refused(client, order, changes, caplog):
    answer = signed(client, succeeded(order, **changes))
    assert answer.status_code == 400
    assert answer.json() == {"error": "amount or currency does not match the order"}
    assert nothing_changed(order)
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_a_payment_for_no_known_order_is_acknowledged_and_ignored(client, order):
    """Another integration's payment on the same Stripe account: answered 200 so that Stripe
    stops retrying, and nothing changes."""
    for metadata in ({}, {"order": "cunknown"}):
        answer = signed(client, succeeded(order, metadata=metadata))
        assert answer.status_code == 200 and answer.json() == {"result": "ignored: no such order"}
    assert nothing_changed(order)


def test_other_events_are_acknowledged_and_ignored(client, order):
    answer = signed(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert answer.status_code == 200 and answer.json() == {"result": "ignored: customer.created"}
    assert nothing_changed(order)


def test_a_body_that_is_not_an_event_is_refused(client, order):
    for payload in (
        "not json",
        json.dumps({"id": "evt_1"}),
        json.dumps([1, 2]),
        json.dumps(event("payment_intent.succeeded", "pi_1")),
        json.dumps(event("payment_intent.succeeded", {"object": "payment_intent"})),
    ):
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        answer = client.post(
            WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert answer.status_code == 400
    assert nothing_changed(order)


def test_the_webhook_takes_only_post(client):
    assert client.get(WEBHOOK).status_code == 405


def test_a_payment_for_a_cancelled_order_is_logged_for_staff(client, order, outsider, caplog):
    services.cancel_order(order, actor=outsider)
    answer = signed(client, succeeded(order))
    assert answer.status_code == 200 and answer.json() == {"result": "not applied: order_cancelled"}
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert not WebhookEvent.objects.exists() and not Transaction.objects.exists()
    assert any(r.levelname == "ERROR" and "cancelled" in r.getMessage() for r in caplog.records)


def charge(order: Order, **changes) -> dict:
    return {
        "id": "ch_test_1",
        "object": "charge",
        "amount": order.total_price_cents,
        "amount_refunded": order.total_price_cents,
        "currency": order.currency,
        "payment_intent": order.external_id,
        "refunded": True,
        **changes,
    }


@pytest.fixture
def paid(client, order) -> Order:
    services.checkout(order)
    order.refresh_from_db()
    assert signed(client, succeeded(order)).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def test_a_refund_made_in_stripe_refunds_the_order_once(client, paid):
    answer = signed(client, event("charge.refunded", charge(paid), "evt_refunded"))
    assert answer.status_code == 200, answer.content
    paid.refresh_from_db()
    paid.grant.refresh_from_db()
    assert paid.status == Order.Status.REFUNDED and paid.refund_reason == REFUND_REASON
    assert paid.grant.revoked_at is not None

    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": paid.total_price_cents,
        "payment_intent": paid.external_id,
        "status": "succeeded",
    }
    assert signed(client, event("refund.updated", refund, "evt_refund_2")).status_code == 200
    assert signed(client, event("charge.refunded", charge(paid), "evt_refunded")).json() == {
        "result": "already handled"
    }
    assert Transaction.objects.filter(order=paid, kind="refund").count() == 1
    assert ledger.verify() == []


def test_a_refund_event_also_refunds_the_order(client, paid):
    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": paid.total_price_cents,
        "payment_intent": paid.external_id,
        "status": "succeeded",
    }
    assert signed(client, event("refund.created", refund, "evt_refund")).status_code == 200
    paid.refresh_from_db()
    assert paid.status == Order.Status.REFUNDED


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("charge.refunded", {"refunded": False, "amount_refunded": 1000}),
        ("refund.created", {"object": "refund", "amount": 1000, "status": "succeeded"}),
        ("refund.created", {"object": "refund", "amount": 26250, "status": "pending"}),
        ("refund.updated", {"object": "refund", "amount": 26250, "status": "failed"}),
    ],
)
def test_a_partial_or_unfinished_refund_leaves_the_order_paid(client, paid, kind, subject):
    answer = signed(client, event(kind, charge(paid, **subject), "evt_partial"))
    assert answer.status_code == 200
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID
    assert not Transaction.objects.filter(order=paid, kind="refund").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_duplicate_deliveries_at_once_pay_the_order_once(order):
    """Stripe may deliver one event twice at once, and two events for one payment."""
    services.checkout(order)
    order.refresh_from_db()
    events = [succeeded(order, event_id=f"evt_paid_{n % 2}") for n in range(12)]
    barrier = threading.Barrier(len(events))
    answers: list = [None] * len(events)

    def deliver(n: int) -> None:
        try:
            barrier.wait()
            answers[n] = signed(Client(), events[n]).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * len(events)
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == [
        "evt_paid_0",
        "evt_paid_1",
    ]
    assert Transaction.objects.filter(order=order).count() == 1
    assert ledger.verify() == []


# --- End to end: localstripe sends its own signed webhook to a live server ---------------------


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_card_payment_at_stripe_opens_the_access(
    order, stripe_webhooks, localstripe_server, client
):
    started = services.checkout(order)
    assert pay(started.external_id).status == "succeeded"

    order = wait_for_receipt(order)
    assert order.status == Order.Status.PAID
    assert order.payment_reference == started.external_id
    assert order.grant.paid_at is not None
    assert (
        WebhookEvent.objects.filter(provider="stripe", kind="payment_intent.succeeded").count() == 1
    )
    assert ledger.organization_balance(order.organization, "usd") == 25000
    assert ledger.verify() == []

    # localstripe's own event, delivered again (a replay): nothing changes.
    api = stripe_provider.client()
    sent = api.v1.events.list(params={"type": "payment_intent.succeeded"}).data
    mine = [e for e in sent if e.data.object["id"] == started.external_id]
    assert len(mine) == 1
    assert signed(client, mine[0].to_dict()).json() == {"result": "already handled"}
    assert Transaction.objects.filter(order=order).count() == 1


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_downloads_once_stripe_has_paid(
    order, dataset, outsider, staff, stripe_webhooks, live_server, monkeypatch, tmp_path
):
    """Paid dataset → 402 for the SDK → card payment at Stripe → the SDK downloads → a refund
    at Stripe ends the access; the ledger balances throughout."""
    import requests

    from steward.accounts.services import create_api_key

    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    monkeypatch.setenv("MDC_API_KEY", create_api_key(outsider)[1])
    import datacollective

    with pytest.raises(requests.HTTPError, match=r"402.*Pay USD 262.50"):
        datacollective.download_dataset(dataset.public_id, str(tmp_path / "a"), show_progress=False)

    pay(services.checkout(order).external_id)
    order = wait_for_receipt(order)
    path = datacollective.download_dataset(
        dataset.public_id, str(tmp_path / "b"), show_progress=False
    )
    assert path.read_bytes() == b"paid archive bytes " * 100
    assert ledger.verify() == []

    services.refund(order, actor=staff, reason="The buyer asked within 14 days.")
    with pytest.raises(PermissionError, match="Refunded"):
        datacollective.download_dataset(dataset.public_id, str(tmp_path / "c"), show_progress=False)
    assert ledger.organization_balance(order.organization, "usd") == 0
    assert ledger.verify() == []


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_declined_card_leaves_the_order_waiting(order, stripe_webhooks):
    started = services.checkout(order)
    with pytest.raises(stripe.CardError):
        pay(started.external_id, "pm_card_chargeCustomerFail")
    # localstripe sends payment_intent.payment_failed about a second later; it changes nothing.
    time.sleep(2)
    assert nothing_changed(order)


# --- The card form in a browser (Debian's Chromium, driven by Playwright) ----------------------


@pytest.fixture
def browser(live_server, stripe_settings, outsider):
    """A Chromium tab (`page`) signed in as the buyer, and `stripe`, the FakeStripe that
    serves what it asks of Stripe."""
    from playwright.sync_api import sync_playwright

    session = Client()
    session.force_login(outsider)
    browser = SimpleNamespace(stripe=FakeStripe())

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop in this thread; the test's ORM calls are
        # still synchronous.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context()
        context.set_default_timeout(20_000)
        context.add_cookies(
            [
                {
                    "name": stripe_settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[stripe_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        browser.page = context.new_page()
        browser.stripe.serve(browser.page)
        yield browser
        context.close()
        chromium.close()
        # Inside sync_playwright the test's ORM calls get a connection of their own (another
        # context); closed here, or PostgreSQL refuses to drop the test database.
        connection.close()


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stripe_js", ["offline", "localstripe"])
def test_without_stripe_js_the_page_says_card_payment_is_unavailable(
    browser, live_server, order, stripe_js
):
    from playwright.sync_api import expect

    browser.stripe.js = stripe_js
    browser.page.goto(f"{live_server.url}/orders/{order.public_id}")
    expect(browser.page.get_by_role("alert")).to_contain_text("Card payment is not available")
    expect(browser.page.get_by_role("button", name="Pay USD 262.50")).to_be_hidden()
    assert nothing_changed(order)


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_paying_in_the_browser_turns_the_checkout_into_a_receipt(
    browser, live_server, order, stripe_webhooks
):
    from playwright.sync_api import expect

    browser.page.goto(f"{live_server.url}/orders/{order.public_id}")
    frame = browser.page.frame_locator(PAYMENT_ELEMENT)
    expect(frame.get_by_text("fake payment element")).to_be_visible()
    browser.page.get_by_role("button", name="Pay USD 262.50").click()
    expect(browser.page.get_by_role("status")).to_contain_text("Payment accepted")
    # The page reloads itself; by then localstripe's webhook has marked the order paid.
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Receipt")
    order = wait_for_receipt(order)
    assert order.status == Order.Status.PAID
    sent = browser.stripe.confirmations[-1]
    assert sent["redirect"] == "if_required"
    assert sent["confirmParams"]["return_url"] == f"{live_server.url}/orders/{order.public_id}"


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_declined_card_is_shown_and_the_buyer_may_try_again(browser, live_server, order):
    from playwright.sync_api import expect

    browser.stripe.card = "pm_card_chargeCustomerFail"
    browser.page.goto(f"{live_server.url}/orders/{order.public_id}")
    pay_button = browser.page.get_by_role("button", name="Pay USD 262.50")
    pay_button.click()
    expect(browser.page.get_by_role("alert")).to_contain_text("Your card was declined.")
    # Stripe lets the same intent be paid with another card; localstripe cannot, so the
    # second try is not made here.
    expect(pay_button).to_be_enabled()
    assert nothing_changed(order)
