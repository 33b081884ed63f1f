"""Orders and their payments, the double-entry ledger, revenue sharing and payouts.

Money is always an integer number of minor units (cents) with an ISO 4217 currency code.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from steward.access.models import Grant
from steward.catalog.models import Dataset
from steward.organizations.models import Organization


class Order(models.Model):
    """One purchase of access to a dataset: the quote the buyer saw is what they pay."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("order status", "Awaiting payment")
        PAID = "paid", pgettext_lazy("order status", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
        REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")

    public_id = models.CharField(max_length=25, unique=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="orders")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sales")
    # The grant the payment completes: the buyer's access under the terms they accepted.
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    base_price_cents = models.BigIntegerField()
    platform_fee_rate = models.DecimalField(max_digits=6, decimal_places=4)
    platform_fee_cents = models.BigIntegerField()
    total_price_cents = models.BigIntegerField()
    # The client's Idempotency-Key (or the page's form token): a retry returns the same order.
    idempotency_key = models.CharField(max_length=100, blank=True)
    # The provider's reference (a Stripe PaymentIntent id; the manual provider's invoice number).
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    marked_paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_reference = models.CharField(max_length=255, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payments_order_idempotent",
            ),
            # A grant is bought once: one open or paid order at a time.
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(status__in=["pending", "paid"]),
                name="payments_order_one_per_grant",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_price_cents=models.F("base_price_cents") + models.F("platform_fee_cents")
                )
                & Q(base_price_cents__gt=0)
                & Q(platform_fee_cents__gte=0),
                name="payments_order_amounts",
            ),
        ]
        indexes = [models.Index(fields=["external_id"], name="payments_order_external")]

    def __str__(self) -> str:
        return f"order {self.public_id} ({self.status})"


class WebhookEvent(models.Model):
    """A provider notification already handled: a replay of the same event changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}"


class Recipient(models.Model):
    """Someone an organization shares its earnings with (a community fund, a contributor, a
    partner group), for a share in basis points (1/100 of a percent) of every sale."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recipients"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    # Optional: a user who may read this recipient's own statement.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share_basis_points = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_basis_points__gt=0) & Q(share_basis_points__lte=10000),
                name="payments_recipient_share_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.share_basis_points / 100}% of {self.organization})"


class Account(models.Model):
    """A ledger account. Balances are the sum of its entries (debits positive)."""

    class Kind(models.TextChoices):
        ASSET = "asset", "Asset"  # money held: payments clearing
        LIABILITY = "liability", "Liability"  # money owed: organizations' and recipients' payables
        REVENUE = "revenue", "Revenue"  # the platform's fees
        EXPENSE = "expense", "Expense"

    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Transaction(models.Model):
    """One balanced posting: its entries sum to zero in each currency."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        REFUND = "refund", "Refund"
        PAYOUT = "payout", "Payout"

    public_id = models.CharField(max_length=25, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    payout = models.ForeignKey(
        "Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A purchase and its refund are each posted once, however often they are reported.
            models.UniqueConstraint(
                fields=["kind", "order"],
                condition=Q(order__isnull=False),
                name="payments_transaction_once_per_order",
            ),
            models.UniqueConstraint(
                fields=["kind", "payout"],
                condition=Q(payout__isnull=False),
                name="payments_transaction_once_per_payout",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class Entry(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    # Debits positive, credits negative, in minor units of the account's currency.
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["transaction", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="payments_entry_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_cents:+d} {self.currency}"


class Payout(models.Model):
    """Money paid out of an organization's (or a recipient's) balance."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("payout status", "Requested")
        PAID = "paid", pgettext_lazy("payout status", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("payout status", "Cancelled")

    public_id = models.CharField(max_length=25, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payouts")
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payments_payout_positive")
        ]

    def __str__(self) -> str:
        return f"payout {self.public_id} ({self.status})"
