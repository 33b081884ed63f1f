"""Payment providers behind one small interface.

A provider starts a payment for an order (`start`: what the checkout page needs to let the
buyer pay) and refunds a paid one (`refund`). Confirmation comes back separately: staff mark a
manual order paid, Stripe sends a signed webhook; both end in `services.confirm_payment`,
which is idempotent.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from steward.payments.models import Order


@dataclass(frozen=True)
class Checkout:
    """What the checkout page shows or hands to the provider's script."""

    # The provider's reference for this payment (kept on the order as `external_id`).
    external_id: str
    # Template context for the provider's part of the checkout page.
    context: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    name: str

    def start(self, order: "Order") -> Checkout: ...

    def refund(self, order: "Order") -> None: ...


def get_provider(name: str | None = None) -> Provider:
    """The provider called `name`, by default the configured one."""
    from . import manual, stripe

    name = name or settings.STEWARD_PAYMENT_PROVIDER
    providers = {"manual": manual.ManualProvider, "stripe": stripe.StripeProvider}
    if name not in providers:
        raise ImproperlyConfigured(
            f"STEWARD_PAYMENT_PROVIDER: {name!r} is not one of {', '.join(sorted(providers))}"
        )
    return providers[name]()
