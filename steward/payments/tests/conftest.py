"""localstripe, a Stripe-protocol test server (PyPI: localstripe), for the Stripe provider's
tests: PaymentIntents, test cards (pm_card_visa, 4242…), refunds and signed webhooks."""

import asyncio
import socket
import threading
import urllib.parse
import urllib.request
import warnings

import pytest

SECRET_KEY = "sk_test_steward"
PUBLISHABLE_KEY = "pk_test_steward"
WEBHOOK_SECRET = "whsec_steward_tests"


@pytest.fixture(scope="session")
def localstripe_server():
    """localstripe on a free port of 127.0.0.1, in a thread of the test process: its base URL.

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
    yield url
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    """Orders are paid with Stripe, and Stripe is the localstripe server, emptied."""
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
