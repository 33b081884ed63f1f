"""The API shape of an order (camelCase)."""

from django.urls import reverse

from steward.lib.times import api_time

from .models import Order


def order_payload(order: Order, *, base_url: str) -> dict:
    return {
        "id": order.public_id,
        "status": order.status,
        "datasetId": order.dataset.public_id,
        "grantId": order.grant.public_id,
        "provider": order.provider,
        "quote": {
            "basePriceCents": order.base_price_cents,
            "currency": order.currency,
            "platformFeeRate": str(order.platform_fee_rate.normalize()),
            "platformFeeCents": order.platform_fee_cents,
            "totalPriceCents": order.total_price_cents,
        },
        "checkoutUrl": base_url.rstrip("/") + reverse("payments:order", args=[order.public_id]),
        "createdAt": api_time(order.created_at),
        "paidAt": api_time(order.paid_at),
        "refundedAt": api_time(order.refunded_at),
        "cancelledAt": api_time(order.cancelled_at),
    }
