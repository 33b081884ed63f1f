"""The double-entry ledger: purchases credit creators 100% of the base price and the platform
its fee, refunds reverse purchases exactly, payouts never exceed a balance, every posting
happens once, and `ledger verify` finds any tampering."""

import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from steward.access import services as access_services
from steward.audit.models import AuditEvent
from steward.audit.services import verify_chain
from steward.catalog.tests.factories import make_dataset
from steward.lib.ids import new_public_id
from steward.organizations.models import Organization
from steward.payments import ledger, pricing
from steward.payments.models import Account, Entry, Order, Payout, Transaction
from steward.payments.shares import set_recipients

pytestmark = pytest.mark.django_db

REQUEST = {"purpose": "research", "country": "KE", "organizationType": "academic"}
RATE = Decimal("0.05")


def make_order(organization, buyer, *, slug="priced", base=25000, provider="manual", paid=True):
    """An order for a new dataset of `organization` priced `base`, paid unless told."""
    dataset = make_dataset(
        organization,
        slug=slug,
        archive=b"paid archive bytes",
        usage_policy={"pricing": {"basePriceCents": base}},
    )
    grant = access_services.request_access(
        dataset, user=buyer, data={**REQUEST, "acceptTerms": True}
    ).grant
    amounts = pricing.quote(base, "usd", RATE)
    return Order.objects.create(
        public_id=new_public_id(),
        buyer=buyer,
        dataset=dataset,
        organization=organization,
        grant=grant,
        status=Order.Status.PAID if paid else Order.Status.PENDING,
        paid_at=timezone.now() if paid else None,
        provider=provider,
        currency=amounts.currency,
        base_price_cents=amounts.base_price_cents,
        platform_fee_rate=amounts.platform_fee_rate,
        platform_fee_cents=amounts.platform_fee_cents,
        total_price_cents=amounts.total_price_cents,
    )


def make_payout(organization, requested_by, amount, *, recipient=None, status="requested"):
    return Payout.objects.create(
        public_id=new_public_id(),
        organization=organization,
        recipient=recipient,
        amount_cents=amount,
        currency="usd",
        requested_by=requested_by,
        status=status,
    )


def refund(order):
    order.status, order.refunded_at = Order.Status.REFUNDED, timezone.now()
    order.save(update_fields=["status", "refunded_at"])
    return ledger.post_refund(order)


def pay_out(payout, by):
    """Post a payout and mark it paid, as staff do."""
    with transaction.atomic():
        txn = ledger.post_payout(payout)
        payout.status, payout.paid_at, payout.paid_by = Payout.Status.PAID, timezone.now(), by
        payout.save(update_fields=["status", "paid_at", "paid_by"])
    return txn


def amounts_of(txn):
    return {e.account.code: e.amount_cents for e in txn.entries.select_related("account")}


@pytest.fixture
def order(organization, outsider):
    return make_order(organization, outsider)


# Purchases


def test_a_purchase_credits_the_whole_base_price_to_the_organization(organization, order):
    txn = ledger.post_purchase(order)

    org = f"payable:org:{organization.pk}:usd"
    assert amounts_of(txn) == {"clearing:manual:usd": 26250, "fees:usd": -1250, org: -25000}
    assert txn.kind == "purchase" and txn.order == order
    assert ledger.organization_balance(organization, "usd") == 25000
    assert ledger.organization_balance(organization, "USD") == 25000
    assert ledger.balance(Account.objects.get(code="fees:usd")) == 1250
    assert ledger.balance(Account.objects.get(code="clearing:manual:usd")) == 26250
    assert ledger.verify() == []


def test_recipients_get_their_floor_and_the_organization_the_rest(organization, owner, order):
    fund, singer = set_recipients(
        organization,
        actor=owner,
        recipients=[
            {"name": "Community fund", "share_percent": "10"},
            {"name": "Singer", "share_basis_points": 3333},
        ],
    )
    txn = ledger.post_purchase(order)

    # 33.33% of 25000 is 8332.5: the recipient gets 8332 and the organization the half cent's
    # worth, 25000 - 2500 - 8332.
    assert ledger.recipient_balance(fund, "usd") == 2500
    assert ledger.recipient_balance(singer, "usd") == 8332
    assert ledger.organization_balance(organization, "usd") == 14168
    payables = sum(a for code, a in amounts_of(txn).items() if code.startswith("payable:"))
    assert payables == -order.base_price_cents
    assert ledger.verify() == []


def test_a_share_that_rounds_to_nothing_posts_no_entry(organization, owner, outsider):
    set_recipients(organization, actor=owner, recipients=[{"name": "Tiny", "share_percent": "0.5"}])
    cheap = make_order(organization, outsider, base=100)  # its share: 0.5 cents, so 0
    txn = ledger.post_purchase(cheap)
    assert sorted(amounts_of(txn).values()) == [-100, -5, 105]
    assert ledger.verify() == []


def test_a_purchase_is_posted_once_however_often_it_is_reported(order):
    first = ledger.post_purchase(order)
    again = ledger.post_purchase(order)
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1 and Entry.objects.count() == 3
    assert AuditEvent.objects.filter(action="payments.ledger.purchase").count() == 1
    assert verify_chain().ok


def test_an_unpaid_order_is_not_posted(organization, outsider):
    pending = make_order(organization, outsider, paid=False)
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.post_purchase(pending)
    assert refused.value.code == "order_not_paid"
    assert not Transaction.objects.exists()


def test_unbalanced_or_zero_postings_are_refused(organization):
    fees = ledger.fees_account("usd")
    clearing = ledger.clearing_account("manual", "usd")
    euro = ledger.fees_account("eur")
    for entries, code in [
        ([(clearing, 100), (fees, -99)], "unbalanced"),
        ([(clearing, 100), (euro, -100)], "unbalanced"),  # balanced only across currencies
        ([(clearing, 0), (fees, 0)], "zero_amount"),
        ([], "no_entries"),
    ]:
        with pytest.raises(ledger.LedgerError) as refused:
            ledger._post("purchase", entries)
        assert refused.value.code == code
    assert not Transaction.objects.exists() and not Entry.objects.exists()


# Refunds


def test_a_refund_reverses_the_purchase_exactly(organization, owner, order):
    set_recipients(organization, actor=owner, recipients=[{"name": "Fund", "share_percent": "5"}])
    purchase = ledger.post_purchase(order)
    reversal = refund(order)

    assert amounts_of(reversal) == {code: -a for code, a in amounts_of(purchase).items()}
    assert refund(order).pk == reversal.pk  # reported twice, posted once
    for account in Account.objects.all():
        assert ledger.balance(account) == 0, account.code
    assert AuditEvent.objects.filter(action="payments.ledger.refund").count() == 1
    assert ledger.verify() == []


def test_no_refund_without_a_purchase(order):
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.post_refund(order)
    assert refused.value.code == "no_purchase"


# Payouts


def test_a_payout_moves_the_balance_out_and_never_more(organization, owner, staff, order):
    ledger.post_purchase(order)
    payout = make_payout(organization, owner, 20000)
    txn = pay_out(payout, staff)

    org = f"payable:org:{organization.pk}:usd"
    assert amounts_of(txn) == {org: 20000, "payouts:usd": -20000}
    assert ledger.organization_balance(organization, "usd") == 5000
    assert ledger.balance(Account.objects.get(code="payouts:usd")) == -20000
    assert ledger.post_payout(payout).pk == txn.pk  # once per payout

    too_much = make_payout(organization, owner, 5001)
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.post_payout(too_much)
    assert refused.value.code == "insufficient_balance" and refused.value.status == 409
    assert "50.01 USD" in refused.value.message and "50.00 USD" in refused.value.message
    assert Transaction.objects.filter(kind="payout").count() == 1

    pay_out(make_payout(organization, owner, 5000), staff)
    assert ledger.organization_balance(organization, "usd") == 0
    assert ledger.verify() == []


def test_a_recipient_is_paid_out_of_its_own_balance(organization, owner, staff, order):
    (fund,) = set_recipients(
        organization, actor=owner, recipients=[{"name": "Fund", "share_percent": "20"}]
    )
    ledger.post_purchase(order)
    with pytest.raises(ledger.LedgerError):
        ledger.post_payout(make_payout(organization, owner, 5001, recipient=fund))
    pay_out(make_payout(organization, owner, 5000, recipient=fund), staff)
    assert ledger.recipient_balance(fund, "usd") == 0
    assert ledger.organization_balance(organization, "usd") == 20000
    assert ledger.verify() == []


def test_a_payout_to_another_organizations_recipient_is_refused(organization, owner, outsider):
    other = Organization.objects.get(slug="other-org")
    (theirs,) = set_recipients(
        other, actor=outsider, recipients=[{"name": "Fund", "share_percent": "10"}]
    )
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.post_payout(make_payout(organization, owner, 100, recipient=theirs))
    assert refused.value.code == "recipient_elsewhere"


def test_a_cancelled_payout_is_not_posted(organization, owner, order):
    ledger.post_purchase(order)
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.post_payout(make_payout(organization, owner, 100, status="cancelled"))
    assert refused.value.code == "payout_cancelled"


def test_a_refund_after_a_payout_leaves_a_debt_that_blocks_payouts(
    organization, owner, staff, order
):
    ledger.post_purchase(order)
    pay_out(make_payout(organization, owner, 25000), staff)
    refund(order)

    # The organization owes the platform the refunded price; that is not an overdraft.
    assert ledger.organization_balance(organization, "usd") == -25000
    assert ledger.verify() == []
    with pytest.raises(ledger.LedgerError):
        ledger.post_payout(make_payout(organization, owner, 1))


# Reading


def test_statement_lines_carry_a_running_balance(organization, owner, staff, outsider):
    first = make_order(organization, outsider, slug="first")
    second = make_order(organization, outsider, slug="second", base=10000)
    ledger.post_purchase(first)
    ledger.post_purchase(second)
    payout = make_payout(organization, owner, 30000)
    pay_out(payout, staff)
    refund(second)

    account = ledger.organization_account(organization, "usd")
    lines = ledger.statement(account)
    assert [(line.kind, line.amount_cents, line.balance_cents) for line in lines] == [
        ("purchase", 25000, 25000),
        ("purchase", 10000, 35000),
        ("payout", -30000, 5000),
        ("refund", -10000, -5000),
    ]
    assert lines[0].order == first.public_id and lines[0].dataset == first.dataset.name
    assert lines[2].payout == payout.public_id and lines[2].order == ""

    since = Transaction.objects.get(kind="payout").created_at
    later = ledger.statement(account, since=since)
    assert [(line.kind, line.balance_cents) for line in later] == [
        ("payout", 5000),
        ("refund", -5000),
    ]


def test_earnings_are_totalled_per_dataset_net_of_refunds(organization, owner, outsider, staff):
    set_recipients(organization, actor=owner, recipients=[{"name": "Fund", "share_percent": "10"}])
    big = make_order(organization, outsider, slug="big", base=25000)
    small = make_order(organization, outsider, slug="small", base=10000)
    ledger.post_purchase(big)
    ledger.post_purchase(small)
    refund(small)

    earnings = ledger.organization_earnings(organization)
    assert [
        (e.dataset_name, e.sales, e.refunds, e.earned_cents, e.shared_cents) for e in earnings
    ] == [
        (big.dataset.name, 1, 0, 22500, 2500),
        (small.dataset.name, 1, 1, 0, 0),
    ]
    assert earnings[0].dataset_id == big.dataset_id and earnings[0].currency == "usd"


# Verification: it must be able to fail


@pytest.fixture
def posted(organization, owner, staff, outsider):
    """A sound ledger: two paid orders (one refunded), a paid payout and a requested one."""
    set_recipients(organization, actor=owner, recipients=[{"name": "Fund", "share_percent": "10"}])
    kept = make_order(organization, outsider, slug="kept")
    returned = make_order(organization, outsider, slug="returned", base=10000)
    ledger.post_purchase(kept)
    ledger.post_purchase(returned)
    refund(returned)
    pay_out(make_payout(organization, owner, 20000), staff)
    make_payout(organization, owner, 100)
    assert ledger.verify() == []
    return {"kept": kept, "returned": returned}


def test_verify_finds_an_edited_entry(posted):
    entry = Entry.objects.get(
        transaction__order=posted["kept"], account__code__startswith="payable:org:"
    )
    Entry.objects.filter(pk=entry.pk).update(amount_cents=entry.amount_cents + 1)
    problems = "\n".join(ledger.verify())
    assert "does not balance" in problems
    assert "the creators were credited 24999, but the base price is 25000" in problems


def test_verify_finds_a_deleted_entry(posted):
    Entry.objects.filter(transaction__order=posted["kept"], account__code="fees:usd").delete()
    problems = "\n".join(ledger.verify())
    assert "does not balance" in problems
    assert "fees earned 0, but the order's fee is 1250" in problems


def test_verify_finds_a_paid_order_without_a_purchase(organization, outsider, posted):
    unposted = make_order(organization, outsider, slug="unposted")
    assert ledger.verify() == [
        f"Order {unposted.public_id} is paid but has 0 purchase transactions, not 1."
    ]


def test_verify_finds_postings_for_orders_that_are_not_paid(posted):
    Order.objects.filter(pk=posted["kept"].pk).update(status=Order.Status.CANCELLED)
    Order.objects.filter(pk=posted["returned"].pk).update(status=Order.Status.PAID)
    problems = ledger.verify()
    assert f"Order {posted['kept'].public_id} is cancelled but has a purchase transaction." in (
        problems
    )
    assert f"Order {posted['returned'].public_id} is paid but has a refund transaction." in (
        problems
    )


def test_verify_finds_a_refunded_order_without_its_reversal(organization, outsider, posted):
    order = make_order(organization, outsider, slug="half")
    ledger.post_purchase(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)
    assert ledger.verify() == [
        f"Order {order.public_id} is refunded but has 0 refund transactions, not 1."
    ]


def test_verify_finds_a_refund_that_does_not_reverse_the_purchase(posted):
    refund_txn = Transaction.objects.get(kind="refund")
    fees, clearing = (
        refund_txn.entries.get(account__code=code) for code in ("fees:usd", "clearing:manual:usd")
    )
    # Still balanced, so only the reconciliation with the purchase can notice.
    Entry.objects.filter(pk=fees.pk).update(amount_cents=fees.amount_cents - 1)
    Entry.objects.filter(pk=clearing.pk).update(amount_cents=clearing.amount_cents + 1)
    assert ledger.verify() == [
        f"Order {posted['returned'].public_id}: the refund does not exactly reverse the purchase."
    ]


def test_verify_finds_an_overdrawn_payout(organization, owner, posted):
    # Written around post_payout's balance check, as a bug or a hand edit would.
    greedy = make_payout(organization, owner, 9999, status="paid")
    ledger._post(
        "payout",
        [
            (ledger.organization_account(organization, "usd"), 9999),
            (ledger.payouts_account("usd"), -9999),
        ],
        payout=greedy,
    )
    problems = ledger.verify()
    assert len(problems) == 1 and "overdrew payable:org:" in problems[0]


def test_verify_finds_payouts_whose_status_and_postings_disagree(posted):
    paid = Payout.objects.get(status="paid")
    requested = Payout.objects.get(status="requested")
    Payout.objects.filter(pk=paid.pk).update(status="cancelled")
    Payout.objects.filter(pk=requested.pk).update(status="paid")
    assert sorted(ledger.verify()) == sorted(
        [
            f"Payout {paid.public_id} is cancelled but has a payout transaction.",
            f"Payout {requested.public_id} is paid but has 0 payout transactions, not 1.",
        ]
    )


def test_verify_finds_an_entry_in_the_wrong_currency(posted):
    entry = Entry.objects.filter(account__code="fees:usd").first()
    Entry.objects.filter(pk=entry.pk).update(currency="eur")
    problems = "\n".join(ledger.verify())
    assert "has a EUR entry on account fees:usd" in problems


def test_the_command_prints_the_counts_or_each_problem(organization, outsider, posted, capsys):
    call_command("ledger", "verify")
    out = capsys.readouterr().out
    assert out.strip() == (
        f"Ledger verified: {Transaction.objects.count()} transactions, "
        f"{Entry.objects.count()} entries, {Order.objects.count()} orders."
    )

    unposted = make_order(organization, outsider, slug="unposted")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("ledger", "verify")
    assert f"Order {unposted.public_id} is paid but has 0" in capsys.readouterr().err


# Races (PostgreSQL: SQLite has no row locks and serializes writers anyway)

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


def run_at_once(count: int, work) -> list:
    """Run `work(n)` in `count` threads released together; each result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n):
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_one_payment_post_it_once(organization, owner, outsider):
    set_recipients(organization, actor=owner, recipients=[{"name": "Fund", "share_percent": "7"}])
    order = make_order(organization, outsider)

    def post(_n):
        with transaction.atomic():
            return ledger.post_purchase(Order.objects.get(pk=order.pk)).pk

    results = run_at_once(12, post)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert Transaction.objects.filter(kind="purchase").count() == 1
    assert ledger.organization_balance(organization, "usd") == 25000 - 1750
    assert ledger.verify() == []
    assert verify_chain().ok


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_cannot_overdraw(organization, owner, outsider, staff):
    ledger.post_purchase(make_order(organization, outsider))  # a balance of 25000
    payouts = [make_payout(organization, owner, 10000) for _ in range(10)]

    def request(n):
        return pay_out(Payout.objects.get(pk=payouts[n].pk), staff).pk

    results = run_at_once(10, request)
    posted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ledger.LedgerError)]
    assert len(posted) == 2 and len(refused) == 8, results
    assert all(r.code == "insufficient_balance" for r in refused)
    assert ledger.organization_balance(organization, "usd") == 5000
    assert Payout.objects.filter(status="paid").count() == 2
    assert ledger.verify() == []
