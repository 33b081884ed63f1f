"""Stripe's webhook: Stripe tells Steward that a payment succeeded or was refunded.

Every event must carry a valid `Stripe-Signature` (HMAC-SHA256 of "timestamp.body" with the
webhook secret, at most five minutes old); anything else answers 400 and changes nothing.
Each event is handled once: its id is stored as a `WebhookEvent` in the same transaction as
the change it makes, so a replay finds it and changes nothing.

Stripe retries every answer that is not 2xx for days. So an event Steward cannot use (another
integration's payment on the same account, an order that no longer exists) is answered 200
and logged, while one that contradicts its order (another amount or currency) is answered 400,
logged as an error, and left for the operator.
"""

import json
import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from steward.lib.errors import DomainError

from . import services
from .models import Order, WebhookEvent

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
REFUND_REASON = "Refunded through Stripe"


def _answer(status: int, message: str) -> JsonResponse:
    key = "error" if status >= 400 else "result"
    return JsonResponse({key: message}, status=status)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Verify, then apply one Stripe event: a payment confirms its order, a refund refunds it."""
    try:
        # An empty secret is refused here too: it would let anyone sign.
        stripe.WebhookSignature.verify_header(
            request.body,
            request.headers.get("Stripe-Signature"),
            settings.STEWARD_STRIPE_WEBHOOK_SECRET,
            TOLERANCE_SECONDS,
        )
        event = json.loads(request.body)
        event_id, kind, subject = event["id"], event["type"], event["data"]["object"]
        if not isinstance(subject, dict) or not isinstance(subject["id"], str):
            raise TypeError("the event's object has no id")
    except stripe.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return _answer(400, "invalid signature")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return _answer(400, "not a Stripe event")

    if kind == "payment_intent.succeeded":
        return _paid(event_id, kind, subject)
    if kind in ("charge.refunded", "refund.created", "refund.updated"):
        return _refunded(event_id, kind, subject)
    return _answer(200, f"ignored: {kind}")


def _order(*, public_id: str | None = None, intent_id: str | None = None) -> Order | None:
    orders = Order.objects.filter(provider="stripe")
    if public_id:
        return orders.filter(public_id=public_id).first()
    return orders.filter(external_id=intent_id).first() if intent_id else None


def _paid(event_id: str, kind: str, intent: dict) -> JsonResponse:
    metadata = intent.get("metadata")
    order = _order(public_id=metadata.get("order") if isinstance(metadata, dict) else None)
    if order is None:
        logger.info("Stripe %s %s: no Steward order for intent %s", kind, event_id, intent["id"])
        return _answer(200, "ignored: no such order")
    if intent.get("amount") != order.total_price_cents or (
        str(intent.get("currency", "")).lower() != order.currency.lower()
    ):
        logger.error(
            "Stripe %s %s: intent %s is %s %s but order %s is %s %s",
            kind,
            event_id,
            intent["id"],
            intent.get("amount"),
            intent.get("currency"),
            order.public_id,
            order.total_price_cents,
            order.currency,
        )
        return _answer(400, "amount or currency does not match the order")
    return _apply_once(
        event_id, kind, lambda: services.confirm_payment(order, reference=intent["id"])
    )


def _refunded(event_id: str, kind: str, subject: dict) -> JsonResponse:
    order = _order(intent_id=subject.get("payment_intent"))
    if order is None:
        logger.info("Stripe %s %s: no Steward order for it", kind, event_id)
        return _answer(200, "ignored: no such order")
    # Steward refunds whole orders only: a partial refund made in Stripe's dashboard leaves
    # the order paid, for staff to settle; a pending refund waits for its refund.updated.
    if kind == "charge.refunded":
        whole = bool(subject.get("refunded"))
    else:
        whole = subject.get("status") == "succeeded" and (
            subject.get("amount") == order.total_price_cents
        )
    if not whole:
        logger.info("Stripe %s %s: order %s not refunded whole", kind, event_id, order.public_id)
        return _answer(200, "ignored: not a whole, completed refund")
    return _apply_once(event_id, kind, lambda: services.record_refund(order, reason=REFUND_REASON))


def _apply_once(event_id: str, kind: str, change) -> JsonResponse:
    """Run `change` and store the event in one transaction; an event stored before is a
    replay and changes nothing."""
    try:
        with transaction.atomic():
            try:
                # On PostgreSQL a concurrent delivery of the same event waits here on the
                # unique index until the first commits, then sees it as a replay.
                with transaction.atomic():
                    WebhookEvent.objects.create(provider="stripe", event_id=event_id, kind=kind)
            except IntegrityError:
                return _answer(200, "already handled")
            order = change()
    except DomainError as exc:
        # The order cannot take this change (a payment for a cancelled order): retrying will
        # not help, so Stripe is told it arrived, and staff must settle it.
        logger.error("Stripe %s %s: %s", kind, event_id, exc.message)
        return _answer(200, f"not applied: {exc.code}")
    return _answer(200, f"order {order.public_id} {order.status}")
