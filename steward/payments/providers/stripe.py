"""Stripe: one PaymentIntent per order, paid in the browser with Stripe's Payment Element.

Stripe reports the payment (and any refund) with a signed webhook, handled in
`payments/webhooks.py`. `STEWARD_STRIPE_API_BASE` points the client at another server that
speaks Stripe's protocol, such as localstripe in the tests.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from steward.lib.errors import DomainError

from . import Checkout

logger = logging.getLogger(__name__)

# Stripe's own default is 80 seconds: far too long for a buyer waiting on the checkout page.
TIMEOUT_SECONDS = 20
STRIPE_JS_URL = "https://js.stripe.com/v3/"


class CardDeclined(DomainError):
    """The buyer's card was refused. Codes: Stripe's (card_declined, expired_card, ...)."""

    def __init__(self, message: str, *, code: str = "card_declined", field: str | None = None):
        super().__init__(message, code=code, field=field)


class ProviderUnavailable(DomainError):
    """Stripe could not be reached or refused Steward's request: not the buyer's doing.
    Codes: provider_unavailable."""

    status = 502

    def __init__(
        self, message: str, *, code: str = "provider_unavailable", field: str | None = None
    ):
        super().__init__(message, code=code, field=field)


def client() -> stripe.StripeClient:
    if not settings.STEWARD_STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("STEWARD_STRIPE_SECRET_KEY is needed for Stripe payments")
    return stripe.StripeClient(
        settings.STEWARD_STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STEWARD_STRIPE_API_BASE or stripe.DEFAULT_API_BASE},
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def stripe_js_url() -> str:
    """Where the page loads Stripe.js: Stripe's, or the test server's stand-in."""
    base = settings.STEWARD_STRIPE_API_BASE
    return f"{base.rstrip('/')}/js.stripe.com/v3/" if base else STRIPE_JS_URL


@contextmanager
def _stripe_errors(action: str) -> Iterator[None]:
    """Turn Stripe's exceptions into domain errors: a declined card is the buyer's to fix
    (400); anything else is a gateway failure (502), logged for the operator."""
    try:
        yield
    except stripe.CardError as exc:
        raise CardDeclined(
            exc.user_message or _("Your card was declined."), code=exc.code or "card_declined"
        ) from exc
    except stripe.StripeError as exc:
        # Unreachable or busy passes; anything else (a wrong key, a refused request) needs
        # the operator.
        passing = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError)
        logger.log(logging.WARNING if passing else logging.ERROR, "Stripe: %s: %r", action, exc)
        raise ProviderUnavailable(
            _("The payment provider is not available right now. Please try again in a few minutes.")
        ) from exc


class StripeProvider:
    name = "stripe"

    def start(self, order) -> Checkout:
        """The order's PaymentIntent: the one already made for it, else a new one. The
        idempotency key makes a retried or concurrent start get the same intent from Stripe."""
        api = client()
        with _stripe_errors("start the payment"):
            if order.external_id:
                intent = api.v1.payment_intents.retrieve(order.external_id)
            else:
                intent = api.v1.payment_intents.create(
                    params={
                        "amount": order.total_price_cents,
                        "currency": order.currency.lower(),
                        "payment_method_types": ["card"],
                        # The webhook finds the order by this.
                        "metadata": {"order": order.public_id},
                    },
                    options={"idempotency_key": f"steward-order-{order.public_id}-intent"},
                )
        return Checkout(
            external_id=intent.id,
            context={
                "client_secret": intent.client_secret,
                "publishable_key": settings.STEWARD_STRIPE_PUBLISHABLE_KEY,
                "js_url": stripe_js_url(),
            },
        )

    def refund(self, order) -> None:
        """Return the whole payment to the buyer, once however often it is asked."""
        if not order.external_id:
            raise DomainError(_("This order has no Stripe payment to refund."), code="no_payment")
        api = client()
        with _stripe_errors("refund the payment"):
            # Stripe honours an idempotency key for a day only; the list makes a later
            # retry (and one against a server without idempotency keys) a no-op too.
            earlier = api.v1.refunds.list(params={"payment_intent": order.external_id})
            if any(r.status in ("succeeded", "pending") for r in earlier.data):
                return
            api.v1.refunds.create(
                params={
                    "payment_intent": order.external_id,
                    "metadata": {"order": order.public_id},
                },
                options={"idempotency_key": f"steward-order-{order.public_id}-refund"},
            )
