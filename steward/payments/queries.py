"""Reads the earnings pages and the payout services share: balances net of payouts waiting to be
paid, earnings per month, payout lists. Nothing here writes (no ledger account is created by a
read: an account that does not exist yet has a balance of 0 and no lines)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from steward.organizations.models import Organization

from . import ledger
from .models import Account, Entry, Payout, Recipient, Transaction

DEFAULT_CURRENCY = "usd"
# The earnings chart shows this many months, the current one included.
CHART_MONTHS = 12


def payable_code(organization: Organization, currency: str, recipient: Recipient | None) -> str:
    cur = currency.lower()
    if recipient is not None:
        return f"payable:recipient:{recipient.pk}:{cur}"
    return f"payable:org:{organization.pk}:{cur}"


def payable_account(
    organization: Organization, currency: str, recipient: Recipient | None = None
) -> Account | None:
    """The payable account if it exists yet (a read never creates one)."""
    return Account.objects.filter(code=payable_code(organization, currency, recipient)).first()


def requested_cents(
    organization: Organization, currency: str, recipient: Recipient | None = None
) -> int:
    """The payouts requested but not yet paid out of this balance."""
    return (
        Payout.objects.filter(
            organization=organization,
            recipient=recipient,
            currency=currency.lower(),
            status=Payout.Status.REQUESTED,
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )


def balance_cents(
    organization: Organization, currency: str, recipient: Recipient | None = None
) -> int:
    if recipient is not None:
        return ledger.recipient_balance(recipient, currency)
    return ledger.organization_balance(organization, currency)


def available_cents(
    organization: Organization, currency: str, recipient: Recipient | None = None
) -> int:
    """What can still be requested: the balance minus the payouts already requested."""
    return balance_cents(organization, currency, recipient) - requested_cents(
        organization, currency, recipient
    )


def currencies_of(organization: Organization) -> list[str]:
    """The currencies the organization (or its recipients) has accounts in, USD first."""
    found = set(
        Account.objects.filter(organization=organization, code__startswith="payable:").values_list(
            "currency", flat=True
        )
    )
    return sorted(found | {DEFAULT_CURRENCY}, key=lambda cur: (cur != DEFAULT_CURRENCY, cur))


@dataclass(frozen=True)
class Month:
    start: date
    own_cents: int  # the organization's own part of sales, refunds taken off
    shared_cents: int  # its recipients' parts

    @property
    def total_cents(self) -> int:
        return self.own_cents + self.shared_cents


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def earnings_by_month(
    organization: Organization, currency: str, *, months: int = CHART_MONTHS, now=None
) -> list[Month]:
    """Sales minus refunds per calendar month over the last `months` months (every month
    present, empty ones included), split into the organization's and its recipients' parts."""
    today = timezone.localdate(now or timezone.now())
    last = _month_index(today)
    first = last - months + 1
    start = date(first // 12, first % 12 + 1, 1)
    rows = (
        Entry.objects.filter(
            account__code__startswith="payable:",
            account__organization=organization,
            currency=currency.lower(),
            transaction__kind__in=[Transaction.Kind.PURCHASE, Transaction.Kind.REFUND],
            transaction__created_at__date__gte=start,
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .values("month", "account__recipient_id")
        .annotate(total=Sum("amount_cents"))
    )
    own: dict[int, int] = {}
    shared: dict[int, int] = {}
    for row in rows:
        month = row["month"]
        index = _month_index(month.date() if hasattr(month, "date") else month)
        target = own if row["account__recipient_id"] is None else shared
        # Payables are credited (negative) when earned.
        target[index] = target.get(index, 0) - row["total"]
    return [
        Month(
            start=date(index // 12, index % 12 + 1, 1),
            own_cents=own.get(index, 0),
            shared_cents=shared.get(index, 0),
        )
        for index in range(first, last + 1)
    ]


def statement_lines(account: Account | None) -> list[ledger.StatementLine]:
    return ledger.statement(account) if account is not None else []


def payouts_of(organization: Organization, *, recipient: Recipient | None = None):
    payouts = Payout.objects.filter(organization=organization).select_related(
        "recipient", "requested_by", "paid_by"
    )
    if recipient is not None:
        payouts = payouts.filter(recipient=recipient)
    return payouts
