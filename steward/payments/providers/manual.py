"""The manual provider: the buyer is shown invoice details and pays outside Steward; staff
mark the order paid (with the bank's reference). Needs nothing outside Steward."""

from django.conf import settings

from . import Checkout


class ManualProvider:
    name = "manual"

    def start(self, order) -> Checkout:
        invoice = f"INV-{order.public_id.upper()}"
        return Checkout(
            external_id=invoice,
            context={"invoice": invoice, "instructions": settings.STEWARD_INVOICE_DETAILS},
        )

    def refund(self, order) -> None:
        """Staff return the money by the way it came; Steward records the refund."""
