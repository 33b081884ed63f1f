"""localstripe, a Stripe-protocol test server (PyPI: localstripe), for the tests that pay with
the Stripe provider: PaymentIntents, test cards (pm_card_visa, 4242…), refunds and signed
webhooks; and, for a browser, a stand-in for Stripe.js.

The fixtures are imported into the conftest.py of each test folder that uses them
(steward/payments/tests, tests/browser); both share one server."""

import asyncio
import json
import socket
import threading
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import stripe
from django.core import mail

from steward.payments.providers import stripe as stripe_provider

SECRET_KEY = "sk_test_steward"
PUBLISHABLE_KEY = "pk_test_steward"
WEBHOOK_SECRET = "whsec_steward_tests"


def _start() -> tuple[str, Callable[[], None]]:
    """localstripe on a free port of 127.0.0.1, in a thread of this process: its base URL, and
    the function that stops it.

    Its command (`localstripe --port N`) listens on every interface and pickles its state to
    /tmp/localstripe.pickle after each request, where parallel runs would read each other's;
    the app is served here on loopback instead, with that dump switched off."""
    from aiohttp import web

    with warnings.catch_warnings():
        # Its routes are plain functions, which aiohttp deprecates; nothing to act on here.
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(server.app)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()
        # Events still waiting to be sent (localstripe waits a second before each) are dropped.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    assert ready.wait(10), "localstripe did not start"
    url = f"http://127.0.0.1:{port}"
    # The one route that needs no key: answers once the server is up.
    with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=5) as response:
        assert response.status == 200

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    return url, stop


# localstripe keeps its objects in one store per process, so each conftest's session fixture
# uses the same server: started by the first, stopped after the last.
_shared = {"users": 0, "url": "", "stop": None}


@pytest.fixture(scope="session")
def localstripe_server():
    """The base URL of localstripe, running on loopback for the test session."""
    if not _shared["users"]:
        _shared["url"], _shared["stop"] = _start()
    _shared["users"] += 1
    yield _shared["url"]
    _shared["users"] -= 1
    if not _shared["users"]:
        _shared["stop"]()


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    """Orders are paid with Stripe, and Stripe is the localstripe server, emptied. As in
    production with a Stripe-protocol server: STEWARD_STRIPE_API_BASE names it, so pages load
    Stripe.js from it and the Content-Security-Policy allows its origin instead of Stripe's."""
    flush = urllib.request.Request(f"{localstripe_server}/_config/data", method="DELETE")
    with urllib.request.urlopen(flush, timeout=5) as response:
        assert response.status == 200
    settings.STEWARD_PAYMENT_PROVIDER = "stripe"
    settings.STEWARD_STRIPE_SECRET_KEY = SECRET_KEY
    settings.STEWARD_STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STEWARD_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STEWARD_STRIPE_API_BASE = localstripe_server
    return settings


def _register_webhook(base: str, url: str) -> None:
    body = urllib.parse.urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
    request = urllib.request.Request(f"{base}/_config/webhooks/steward", data=body)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@pytest.fixture
def stripe_webhooks(stripe_settings, localstripe_server, live_server):
    """localstripe posts its signed events to the live server's webhook, for this test only."""
    _register_webhook(localstripe_server, f"{live_server.url}/payments/stripe/webhook")
    yield
    # localstripe cannot forget a webhook: point it at a closed port so that later tests'
    # events go nowhere.
    _register_webhook(localstripe_server, "http://127.0.0.1:9/")


def pay(intent_id: str, payment_method: str = "pm_card_visa"):
    """What Stripe.js does when the buyer submits the Payment Element: attach the card, then
    confirm the intent."""
    api = stripe_provider.client()
    api.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
    return api.v1.payment_intents.confirm(intent_id)


def wait_for_receipt(order, seconds: float = 15):
    """The order once its payment has committed: the receipt is mailed only after the commit.
    (On SQLite the live server shares the test's connection, so the order's row can look paid
    while the webhook's transaction is still going.)"""
    deadline = time.monotonic() + seconds
    while not any(m.subject.startswith("[Steward] Receipt") for m in mail.outbox):
        if time.monotonic() > deadline:
            order.refresh_from_db()
            raise AssertionError(f"no receipt for order {order.public_id} ({order.status})")
        time.sleep(0.1)
    order.refresh_from_db()
    order.grant.refresh_from_db()
    return order


# --- Stripe.js in a browser ------------------------------------------------------------------

# Stands in for Stripe.js, which tests cannot fetch: the interface steward/checkout-stripe.js
# uses. Like Stripe.js it works from the origin it is loaded from (the Stripe-protocol
# server's): the Payment Element is a frame of that origin, and confirming is a request to it,
# so the page's Content-Security-Policy must allow that origin for scripts, frames and
# connections. Both requests are answered by the test (see FakeStripe).
FAKE_STRIPE_JS = """
(() => {
  const origin = new URL(document.currentScript.src).origin;
  window.Stripe = (publishableKey) => ({
    elements: ({ clientSecret }) => ({
      clientSecret,
      create: (type) => ({
        mount: (node) => {
          const frame = document.createElement("iframe");
          frame.title = "Secure payment input frame";
          frame.src = `${origin}/fake-stripe/element?type=${type}`;
          frame.style.border = "0";
          frame.style.width = "100%";
          frame.style.height = "3rem";
          node.append(frame);
        },
      }),
    }),
    confirmPayment: async ({ elements, confirmParams, redirect }) => {
      const answer = await fetch(`${origin}/fake-stripe/confirm`, {
        method: "POST",
        body: JSON.stringify({ secret: elements.clientSecret, redirect, confirmParams }),
      });
      return answer.json();
    },
  });
})();
"""

FAKE_ELEMENT = """<!doctype html>
<html lang="en"><title>Payment</title>
<style>body { margin: 0; font: 1rem sans-serif; color: #111; background: #fff; }</style>
<p>fake payment element</p></html>"""

# Where the fake Payment Element is, in the page (a frame, like Stripe's).
PAYMENT_ELEMENT = "[data-payment-element] iframe"


@dataclass
class FakeStripe:
    """What a browser gets for Stripe.js once `serve(page_or_context)` has routed its requests.
    `js` chooses what the Stripe.js URL serves: "fake" (FAKE_STRIPE_JS), "localstripe" (its
    own stand-in, without the Payment Element) or "offline"; `card` is the test card the fake
    pays with, at localstripe; `confirmations` holds what the page asked it to confirm."""

    js: str = "fake"
    card: str = "pm_card_visa"
    confirmations: list[dict] = field(default_factory=list)

    def serve(self, target) -> None:
        target.route("**/js.stripe.com/v3/", self._stripe_js)
        target.route("**/fake-stripe/element?*", self._element)
        target.route("**/fake-stripe/confirm", self._confirm)

    def _stripe_js(self, route) -> None:
        if self.js == "offline":
            route.abort()
        elif self.js == "fake":
            route.fulfill(body=FAKE_STRIPE_JS, content_type="application/javascript")
        else:
            route.continue_()

    def _element(self, route) -> None:
        route.fulfill(body=FAKE_ELEMENT, content_type="text/html")

    def _confirm(self, route) -> None:
        sent = json.loads(route.request.post_data)
        self.confirmations.append(sent)
        # The page is of another origin: Stripe's answers carry the CORS header it needs.
        cors = {"Access-Control-Allow-Origin": "*"}
        try:
            pay(sent["secret"].split("_secret_")[0], self.card)
        except stripe.CardError as exc:
            route.fulfill(json={"error": {"message": exc.user_message}}, headers=cors)
            return
        route.fulfill(json={"paymentIntent": {"status": "succeeded"}}, headers=cors)
