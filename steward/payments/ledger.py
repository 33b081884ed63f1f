"""The double-entry ledger: the only code that writes Transaction and Entry rows.

Entries are debits positive, credits negative; each transaction sums to zero per currency.
Accounts are made on demand, one per purpose and currency (lower-case ISO 4217 code):

- `clearing:<provider>:<cur>` (asset): money buyers paid through a provider.
- `fees:<cur>` (revenue): the platform's fees.
- `payable:org:<organization id>:<cur>` (liability): what the platform owes an organization.
- `payable:recipient:<recipient id>:<cur>` (liability): what it owes a revenue-share recipient.
- `payouts:<cur>` (asset, credit balance): money paid out to organizations and recipients.
  The platform holds the clearing accounts plus this one; payouts carry no provider, so
  they leave through an account of their own rather than one provider's clearing.

A refund is the exact reverse of its purchase (every entry negated), so it needs no account
of its own: the refund transactions are the refunds' record.

Lock order: payouts and refunds lock the payable accounts' rows, then audit.record() locks the
audit chain's head. Like any row lock, take them first: call the ledger before recording other
audit events in the same database transaction, or two writers can deadlock on PostgreSQL.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.lib.errors import Conflict
from steward.lib.ids import new_public_id
from steward.organizations.models import Organization

from .models import Account, Entry, Order, Payout, Recipient, Transaction
from .pricing import split

Kind = Transaction.Kind

# Balances are shown in each account's natural sign: what it holds (assets) or what is owed
# or earned (liabilities, revenue) is positive.
CREDIT_NORMAL = {Account.Kind.LIABILITY, Account.Kind.REVENUE}


class LedgerError(Conflict):
    """A posting that contradicts the ledger or the order. Codes: unbalanced, zero_amount,
    no_entries, order_not_paid, no_purchase, payout_cancelled, recipient_elsewhere,
    insufficient_balance."""


# Accounts


def _account(code: str, *, name: str, kind: str, currency: str, **owner) -> Account:
    # get_or_create re-reads inside a savepoint when a concurrent insert wins the unique code.
    account, _created = Account.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "currency": currency, **owner}
    )
    return account


def clearing_account(provider: str, currency: str) -> Account:
    cur = currency.lower()
    return _account(
        f"clearing:{provider}:{cur}",
        name=f"Payments clearing ({provider}, {cur.upper()})",
        kind=Account.Kind.ASSET,
        currency=cur,
    )


def fees_account(currency: str) -> Account:
    cur = currency.lower()
    return _account(
        f"fees:{cur}",
        name=f"Platform fees ({cur.upper()})",
        kind=Account.Kind.REVENUE,
        currency=cur,
    )


def payouts_account(currency: str) -> Account:
    cur = currency.lower()
    return _account(
        f"payouts:{cur}", name=f"Payouts ({cur.upper()})", kind=Account.Kind.ASSET, currency=cur
    )


def organization_account(organization: Organization, currency: str) -> Account:
    cur = currency.lower()
    return _account(
        f"payable:org:{organization.pk}:{cur}",
        name=f"Payable to {organization.name} ({cur.upper()})",
        kind=Account.Kind.LIABILITY,
        currency=cur,
        organization=organization,
    )


def recipient_account(recipient: Recipient, currency: str) -> Account:
    cur = currency.lower()
    return _account(
        f"payable:recipient:{recipient.pk}:{cur}",
        name=f"Payable to {recipient.name} ({cur.upper()})",
        kind=Account.Kind.LIABILITY,
        currency=cur,
        organization_id=recipient.organization_id,
        recipient=recipient,
    )


# Writing


def _post(
    kind: str,
    entries: list[tuple[Account, int]],
    *,
    order: Order | None = None,
    payout: Payout | None = None,
    memo: str = "",
    actor=None,
) -> Transaction:
    """Write one balanced transaction and its audit event; refuse zero or unbalanced entries."""
    if not entries:
        raise LedgerError("A ledger transaction needs entries.", code="no_entries")
    totals: dict[str, int] = defaultdict(int)
    for account, amount in entries:
        if amount == 0:
            raise LedgerError(f"A ledger entry of 0 on {account.code}.", code="zero_amount")
        totals[account.currency] += amount
    unbalanced = {cur: total for cur, total in totals.items() if total}
    if unbalanced:
        raise LedgerError(f"Unbalanced ledger entries: {unbalanced}.", code="unbalanced")
    with transaction.atomic():
        txn = Transaction.objects.create(
            public_id=new_public_id(), kind=kind, order=order, payout=payout, memo=memo[:300]
        )
        Entry.objects.bulk_create(
            Entry(transaction=txn, account=account, amount_cents=amount, currency=account.currency)
            for account, amount in entries
        )
        owner = order or payout
        record(
            actor=actor,
            action=f"payments.ledger.{kind}",
            target=txn,
            organization_id=owner.organization_id if owner else None,
            data={
                "order": order.public_id if order else None,
                "payout": payout.public_id if payout else None,
                "entries": {account.code: amount for account, amount in entries},
            },
        )
    return txn


def _post_once(kind: str, entries_for, **links) -> Transaction:
    """Post a transaction at most once per (kind, order or payout): return the existing one
    if it is there, including when a concurrent caller inserts it first."""
    existing = Transaction.objects.filter(kind=kind, **links).first()
    if existing is not None:
        return existing
    try:
        # The savepoint lets the caller's transaction go on after losing the race.
        with transaction.atomic():
            return entries_for()
    except IntegrityError:
        # On PostgreSQL the loser's insert waits for the winner's commit, then fails on the
        # unique (kind, order) or (kind, payout); the winner's row is now visible.
        existing = Transaction.objects.filter(kind=kind, **links).first()
        if existing is None:
            raise
        return existing


def purchase_entries(order: Order) -> list[tuple[Account, int]]:
    """Clearing is debited the total; fees credited the fee; the base price is credited in
    full to the organization and its active recipients (their shares, remainder-cent rule)."""
    recipients = list(order.organization.recipients.filter(active=True).order_by("pk"))
    parts = split(order.base_price_cents, [(r, r.share_basis_points) for r in recipients])
    entries = [
        (clearing_account(order.provider, order.currency), order.total_price_cents),
        (fees_account(order.currency), -order.platform_fee_cents),
        (organization_account(order.organization, order.currency), -parts.pop(None)),
    ]
    entries += [(recipient_account(r, order.currency), -cents) for r, cents in parts.items()]
    # A share can round to nothing (0.5% of 100 cents), a fee can be 0: no entry for those.
    return [(account, amount) for account, amount in entries if amount]


def post_purchase(order: Order, *, actor=None) -> Transaction:
    """Post a paid order's money: once per order, however often it is called."""
    if order.status not in (Order.Status.PAID, Order.Status.REFUNDED):
        raise LedgerError(
            _("Order %(id)s is not paid.") % {"id": order.public_id}, code="order_not_paid"
        )
    return _post_once(
        Kind.PURCHASE,
        lambda: _post(
            Kind.PURCHASE,
            purchase_entries(order),
            order=order,
            memo=f"Order {order.public_id}",
            actor=actor,
        ),
        order=order,
    )


def post_refund(order: Order, *, actor=None) -> Transaction:
    """Reverse an order's purchase exactly (every entry negated): once per order."""
    purchase = Transaction.objects.filter(kind=Kind.PURCHASE, order=order).first()
    if purchase is None:
        raise LedgerError(
            _("Order %(id)s has no purchase in the ledger to refund.") % {"id": order.public_id},
            code="no_purchase",
        )
    entries = [(e.account, -e.amount_cents) for e in purchase.entries.select_related("account")]
    with transaction.atomic():
        # A refund lowers payables, as a payout does: it takes the same locks (in pk order),
        # so for each payable the transactions' ids follow the order they were decided in.
        payables = sorted(a.pk for a, _amount in entries if a.kind == Account.Kind.LIABILITY)
        list(Account.objects.select_for_update().filter(pk__in=payables).order_by("pk"))
        return _post_once(
            Kind.REFUND,
            lambda: _post(
                Kind.REFUND,
                entries,
                order=order,
                memo=f"Refund of order {order.public_id}",
                actor=actor,
            ),
            order=order,
        )


def payable_account(payout: Payout) -> Account:
    if payout.recipient_id is not None:
        return recipient_account(payout.recipient, payout.currency)
    return organization_account(payout.organization, payout.currency)


def post_payout(payout: Payout, *, actor=None) -> Transaction:
    """Move a payout's amount from the payable to the payouts account, never more than the
    balance: the payable account's row lock makes concurrent payouts wait for each other."""
    if payout.status == Payout.Status.CANCELLED:
        raise LedgerError(_("This payout was cancelled."), code="payout_cancelled")
    if payout.recipient_id is not None and (
        payout.recipient.organization_id != payout.organization_id
    ):
        raise LedgerError(
            _("The recipient belongs to another organization."), code="recipient_elsewhere"
        )
    with transaction.atomic():
        payable = payable_account(payout)
        paid_out = payouts_account(payout.currency)
        Account.objects.select_for_update().get(pk=payable.pk)
        # Under the lock: a payout posted by the caller that held it before is visible now.
        existing = Transaction.objects.filter(kind=Kind.PAYOUT, payout=payout).first()
        if existing is not None:
            return existing
        available = balance(payable)
        if payout.amount_cents > available:
            raise LedgerError(
                _("The payout of %(amount)s exceeds the balance of %(available)s.")
                % {
                    "amount": format_cents(payout.amount_cents, payout.currency),
                    "available": format_cents(available, payout.currency),
                },
                code="insufficient_balance",
            )
        return _post_once(
            Kind.PAYOUT,
            lambda: _post(
                Kind.PAYOUT,
                [(payable, payout.amount_cents), (paid_out, -payout.amount_cents)],
                payout=payout,
                memo=f"Payout {payout.public_id}",
                actor=actor,
            ),
            payout=payout,
        )


def format_cents(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d} {currency.upper()}"


# Reading


def _natural(account: Account, raw: int) -> int:
    return -raw if account.kind in CREDIT_NORMAL else raw


def balance(account: Account) -> int:
    """The account's balance in its natural sign (what a payable owes is positive)."""
    raw = account.entries.aggregate(total=Sum("amount_cents"))["total"] or 0
    return _natural(account, raw)


def _balance_of(code: str) -> int:
    account = Account.objects.filter(code=code).first()
    return balance(account) if account is not None else 0


def organization_balance(organization: Organization, currency: str) -> int:
    """What the platform owes the organization itself (recipients' shares excluded)."""
    return _balance_of(f"payable:org:{organization.pk}:{currency.lower()}")


def recipient_balance(recipient: Recipient, currency: str) -> int:
    return _balance_of(f"payable:recipient:{recipient.pk}:{currency.lower()}")


@dataclass(frozen=True)
class StatementLine:
    created_at: datetime
    transaction: str  # the transaction's public id
    kind: str
    memo: str
    order: str  # the order's public id, "" for payouts
    dataset: str  # the dataset's name, "" for payouts
    payout: str  # the payout's public id, "" for sales and refunds
    amount_cents: int  # natural sign: what a payable is owed more is positive
    balance_cents: int
    currency: str


def statement(account: Account, since: datetime | None = None) -> list[StatementLine]:
    """The account's entries, oldest first, each with the balance after it (natural sign);
    with `since`, the first line's balance carries everything before it."""
    entries = account.entries.select_related(
        "transaction", "transaction__order__dataset", "transaction__payout"
    ).order_by("transaction__created_at", "transaction_id", "id")
    running = 0
    if since is not None:
        before = entries.filter(transaction__created_at__lt=since)
        running = _natural(account, before.aggregate(total=Sum("amount_cents"))["total"] or 0)
        entries = entries.filter(transaction__created_at__gte=since)
    lines = []
    for entry in entries:
        txn = entry.transaction
        amount = _natural(account, entry.amount_cents)
        running += amount
        lines.append(
            StatementLine(
                created_at=txn.created_at,
                transaction=txn.public_id,
                kind=txn.kind,
                memo=txn.memo,
                order=txn.order.public_id if txn.order else "",
                dataset=txn.order.dataset.name if txn.order else "",
                payout=txn.payout.public_id if txn.payout else "",
                amount_cents=amount,
                balance_cents=running,
                currency=entry.currency,
            )
        )
    return lines


@dataclass(frozen=True)
class DatasetEarnings:
    dataset_id: int
    dataset_name: str
    currency: str
    sales: int  # purchases posted, refunded ones included
    refunds: int
    earned_cents: int  # the organization's own part, refunds taken off
    shared_cents: int  # its recipients' parts, refunds taken off


def organization_earnings(organization: Organization) -> list[DatasetEarnings]:
    """Per dataset and currency: what the organization and its recipients earned from sales,
    minus refunds, largest first."""
    rows = (
        Entry.objects.filter(
            account__code__startswith="payable:",
            account__organization=organization,
            transaction__kind__in=[Kind.PURCHASE, Kind.REFUND],
        )
        .values("transaction__order__dataset_id", "transaction__order__dataset__name", "currency")
        .annotate(
            own=Sum("amount_cents", filter=Q(account__recipient__isnull=True)),
            shared=Sum("amount_cents", filter=Q(account__recipient__isnull=False)),
            sales=Count("transaction", filter=Q(transaction__kind=Kind.PURCHASE), distinct=True),
            refunds=Count("transaction", filter=Q(transaction__kind=Kind.REFUND), distinct=True),
        )
    )
    earnings = [
        DatasetEarnings(
            dataset_id=row["transaction__order__dataset_id"],
            dataset_name=row["transaction__order__dataset__name"],
            currency=row["currency"],
            sales=row["sales"],
            refunds=row["refunds"],
            # Payables are credited (negative) when earned.
            earned_cents=-(row["own"] or 0),
            shared_cents=-(row["shared"] or 0),
        )
        for row in rows
    ]
    return sorted(earnings, key=lambda e: (-(e.earned_cents + e.shared_cents), e.dataset_name))


# Verification


@dataclass(frozen=True)
class LedgerCounts:
    transactions: int
    entries: int
    orders: int


def counts() -> LedgerCounts:
    return LedgerCounts(
        transactions=Transaction.objects.count(),
        entries=Entry.objects.count(),
        orders=Order.objects.count(),
    )


def verify() -> list[str]:
    """Every ledger invariant, and orders and payouts reconciled against the entries: the
    problems in plain words, none when the ledger is sound."""
    problems: list[str] = []
    problems += _verify_entries()
    by_order, by_payout = _transactions_by_link()
    problems += _verify_orders(by_order)
    problems += _verify_payouts(by_payout)
    problems += _verify_payables()
    return problems


def _verify_entries() -> list[str]:
    problems = []
    unbalanced = (
        Entry.objects.values("transaction__public_id", "currency")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
        .order_by("transaction_id", "currency")
    )
    for row in unbalanced:
        problems.append(
            f"Transaction {row['transaction__public_id']} does not balance: its "
            f"{row['currency'].upper()} entries sum to {row['total']}, not 0."
        )
    for public_id in Transaction.objects.filter(entries__isnull=True).values_list(
        "public_id", flat=True
    ):
        problems.append(f"Transaction {public_id} has no entries.")
    for public_id in Entry.objects.filter(amount_cents=0).values_list(
        "transaction__public_id", flat=True
    ):
        problems.append(f"Transaction {public_id} has an entry of 0.")
    mismatched = Entry.objects.exclude(currency=F("account__currency")).values_list(
        "transaction__public_id", "currency", "account__code"
    )
    for public_id, currency, code in mismatched:
        problems.append(
            f"Transaction {public_id} has a {currency.upper()} entry on account {code}, "
            "which is in another currency."
        )
    for public_id, kind in Transaction.objects.filter(
        (
            Q(kind__in=[Kind.PURCHASE, Kind.REFUND])
            & (Q(order__isnull=True) | Q(payout__isnull=False))
        )
        | (Q(kind=Kind.PAYOUT) & (Q(payout__isnull=True) | Q(order__isnull=False)))
    ).values_list("public_id", "kind"):
        problems.append(f"Transaction {public_id} ({kind}) is not linked to its order or payout.")
    return problems


def _entries_of(transactions) -> dict[int, list[tuple[str, int, str]]]:
    """(account code, amount, currency) of each transaction's entries, by transaction id."""
    out: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    rows = Entry.objects.filter(transaction__in=transactions).values_list(
        "transaction_id", "account__code", "amount_cents", "currency"
    )
    for txn_id, code, amount, currency in rows.iterator(chunk_size=5000):
        out[txn_id].append((code, amount, currency))
    return out


def _transactions_by_link():
    by_order: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_payout: dict[int, list[int]] = defaultdict(list)
    rows = Transaction.objects.values_list("pk", "kind", "order_id", "payout_id")
    for pk, kind, order_id, payout_id in rows.iterator(chunk_size=5000):
        if order_id is not None:
            by_order[order_id][kind].append(pk)
        if payout_id is not None and kind == Kind.PAYOUT:
            by_payout[payout_id].append(pk)
    return by_order, by_payout


def _verify_orders(by_order) -> list[str]:
    problems = []
    entries = _entries_of(Transaction.objects.filter(order__isnull=False))
    orders = Order.objects.values_list(
        "pk",
        "public_id",
        "status",
        "provider",
        "currency",
        "base_price_cents",
        "platform_fee_cents",
        "total_price_cents",
    )
    for pk, public_id, status, provider, currency, base, fee, total in orders.iterator(
        chunk_size=2000
    ):
        txns = by_order.get(pk, {})
        purchases, refunds = txns.get(Kind.PURCHASE, []), txns.get(Kind.REFUND, [])
        if txns.get(Kind.PAYOUT):
            problems.append(f"Order {public_id} has a payout transaction.")
        if status in (Order.Status.PAID, Order.Status.REFUNDED):
            if len(purchases) != 1:
                problems.append(
                    f"Order {public_id} is {status} but has {len(purchases)} purchase "
                    "transactions, not 1."
                )
            else:
                problems += _check_purchase(
                    public_id,
                    entries[purchases[0]],
                    provider=provider,
                    currency=currency.lower(),
                    base=base,
                    fee=fee,
                    total=total,
                )
        elif purchases:
            problems.append(f"Order {public_id} is {status} but has a purchase transaction.")
        if status == Order.Status.REFUNDED:
            if len(refunds) != 1:
                problems.append(
                    f"Order {public_id} is refunded but has {len(refunds)} refund "
                    "transactions, not 1."
                )
            elif len(purchases) == 1:
                bought = sorted((code, amount) for code, amount, _cur in entries[purchases[0]])
                returned = sorted((code, -amount) for code, amount, _cur in entries[refunds[0]])
                if bought != returned:
                    problems.append(
                        f"Order {public_id}: the refund does not exactly reverse the purchase."
                    )
        elif refunds:
            problems.append(f"Order {public_id} is {status} but has a refund transaction.")
    return problems


def _check_purchase(
    public_id: str,
    entries: list[tuple[str, int, str]],
    *,
    provider: str,
    currency: str,
    base: int,
    fee: int,
    total: int,
) -> list[str]:
    problems = []
    clearing = fees = payables = 0
    for code, amount, entry_currency in entries:
        if entry_currency != currency:
            problems.append(
                f"Order {public_id} is in {currency.upper()} but its purchase has an "
                f"entry in {entry_currency.upper()}."
            )
        if code == f"clearing:{provider}:{currency}":
            clearing += amount
        elif code == f"fees:{currency}":
            fees += amount
        elif code.startswith("payable:"):
            payables += amount
        else:
            problems.append(
                f"Order {public_id}: its purchase posts to an unexpected account {code}."
            )
    if clearing != total:
        problems.append(
            f"Order {public_id}: clearing received {clearing}, but the order's total is {total}."
        )
    if -fees != fee:
        problems.append(f"Order {public_id}: fees earned {-fees}, but the order's fee is {fee}.")
    if -payables != base:
        problems.append(
            f"Order {public_id}: the creators were credited {-payables}, but the base price is "
            f"{base}."
        )
    return problems


def _verify_payouts(by_payout) -> list[str]:
    problems = []
    entries = _entries_of(Transaction.objects.filter(kind=Kind.PAYOUT))
    payouts = Payout.objects.values_list(
        "pk", "public_id", "status", "amount_cents", "currency", "organization_id", "recipient_id"
    )
    for pk, public_id, status, amount, currency, org_id, recipient_id in payouts.iterator(
        chunk_size=2000
    ):
        txns = by_payout.get(pk, [])
        if status != Payout.Status.PAID:
            if txns:
                problems.append(f"Payout {public_id} is {status} but has a payout transaction.")
            continue
        if len(txns) != 1:
            problems.append(
                f"Payout {public_id} is paid but has {len(txns)} payout transactions, not 1."
            )
            continue
        cur = currency.lower()
        payable = (
            f"payable:recipient:{recipient_id}:{cur}"
            if recipient_id is not None
            else f"payable:org:{org_id}:{cur}"
        )
        expected = sorted([(payable, amount), (f"payouts:{cur}", -amount)])
        if sorted((code, a) for code, a, _cur in entries[txns[0]]) != expected:
            problems.append(
                f"Payout {public_id}: its transaction does not move {amount} from {payable} "
                f"to payouts:{cur}."
            )
    return problems


def _verify_payables() -> list[str]:
    """Nobody was paid out more than they had earned at the time: a payable's balance is never
    below zero right after a payout. (A refund after a payout may leave an organization owing
    the platform; later sales make that good, so only payouts are held to it.)"""
    problems = []
    running: dict[int, int] = defaultdict(int)
    entries = (
        Entry.objects.filter(account__kind=Account.Kind.LIABILITY)
        .order_by("account_id", "transaction_id", "id")
        .values_list(
            "account_id", "account__code", "amount_cents", "transaction__kind",
            "transaction__public_id",
        )
    )  # fmt: skip
    for account_id, code, amount, kind, public_id in entries.iterator(chunk_size=5000):
        running[account_id] -= amount
        if kind == Kind.PAYOUT and running[account_id] < 0:
            problems.append(
                f"Payout transaction {public_id} overdrew {code}: its balance fell to "
                f"{running[account_id]}."
            )
    return problems
