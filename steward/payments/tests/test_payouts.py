"""Payouts: owners (or a recipient) request at most what is available, staff mark them paid
through the ledger, cancelling frees the amount again, and `steward ledger verify` stays clean."""

import pytest
from django.core.management import call_command

from steward.audit.models import AuditEvent
from steward.lib.errors import DomainError
from steward.payments import ledger, queries, services, shares
from steward.payments.models import Payout, Transaction

from .sales import buyer, priced_dataset, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(organization, owner, outsider, staff):
    """One sale of 250.00: the organization is owed USD 250.00."""
    dataset = priced_dataset(organization)
    sell(dataset, outsider, staff=staff)
    return dataset


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_owners_request_up_to_the_available_balance(organization, owner, sold):
    first = services.request_payout(organization, actor=owner, amount_cents=10000)
    assert first.status == "requested" and first.currency == "usd"
    assert first.requested_by == owner and first.recipient is None
    assert queries.available_cents(organization, "usd") == 15000
    # The balance itself moves only when the money is sent.
    assert ledger.organization_balance(organization, "usd") == 25000

    events = AuditEvent.objects.count()
    refused = _refusal(
        lambda: services.request_payout(organization, actor=owner, amount_cents=15001)
    )
    assert refused.status == 409 and refused.code == "insufficient_balance"
    assert "USD" in refused.message and "150.00" in refused.message
    assert Payout.objects.count() == 1 and AuditEvent.objects.count() == events

    services.request_payout(organization, actor=owner, amount_cents=15000)
    assert queries.available_cents(organization, "usd") == 0
    assert AuditEvent.objects.filter(action="payments.payout.requested").count() == 2


def test_nothing_to_pay_out_before_any_sale(organization, owner):
    refused = _refusal(lambda: services.request_payout(organization, actor=owner, amount_cents=1))
    assert refused.status == 409 and refused.code == "insufficient_balance"
    assert not Payout.objects.exists()


@pytest.mark.parametrize("amount", [0, -500, "100", 1.5, True, None])
def test_an_amount_is_a_positive_whole_number_of_cents(organization, owner, sold, amount):
    refused = _refusal(
        lambda: services.request_payout(organization, actor=owner, amount_cents=amount)
    )
    assert refused.status == 400 and refused.code == "invalid_amount"
    assert not Payout.objects.exists()


def test_an_unknown_currency_is_refused(organization, owner, sold):
    refused = _refusal(
        lambda: services.request_payout(
            organization, actor=owner, amount_cents=100, currency="dollars"
        )
    )
    assert refused.status == 400 and refused.code == "invalid_currency"
    # A currency it earned nothing in has nothing available.
    refused = _refusal(
        lambda: services.request_payout(organization, actor=owner, amount_cents=100, currency="eur")
    )
    assert refused.status == 409
    assert not Payout.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "member", "outsider", "staff"])
def test_only_owners_request_the_organizations_payout(organization, sold, persona, request):
    actor = request.getfixturevalue(persona)
    refused = _refusal(lambda: services.request_payout(organization, actor=actor, amount_cents=100))
    assert refused.status == 403 and refused.code == "owners_only"
    assert not Payout.objects.exists()


def test_staff_mark_a_payout_paid_once_and_the_ledger_stays_clean(organization, owner, staff, sold):
    payout = services.request_payout(organization, actor=owner, amount_cents=20000)
    paid = services.mark_payout_paid(payout, actor=staff, reference="  WIRE-77 ")
    assert paid.status == "paid" and paid.paid_by == staff and paid.reference == "WIRE-77"
    assert paid.paid_at is not None
    assert ledger.organization_balance(organization, "usd") == 5000
    assert queries.available_cents(organization, "usd") == 5000
    assert ledger.balance(ledger.payouts_account("usd")) == -20000

    again = services.mark_payout_paid(payout, actor=staff, reference="OTHER")
    assert again.reference == "WIRE-77"
    assert Transaction.objects.filter(kind="payout").count() == 1
    assert AuditEvent.objects.filter(action="payments.payout.paid").count() == 1
    assert ledger.verify() == []
    call_command("ledger", "verify")


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_only_staff_mark_payouts_paid(organization, owner, sold, persona, request):
    payout = services.request_payout(organization, actor=owner, amount_cents=1000)
    actor = request.getfixturevalue(persona)
    refused = _refusal(lambda: services.mark_payout_paid(payout, actor=actor, reference="X"))
    assert refused.status == 403 and refused.code == "staff_only"
    payout.refresh_from_db()
    assert payout.status == "requested" and not payout.transactions.exists()
    assert ledger.organization_balance(organization, "usd") == 25000


def test_a_reference_is_needed_to_mark_paid(organization, owner, staff, sold):
    payout = services.request_payout(organization, actor=owner, amount_cents=1000)
    for reference in ["", "   ", None, "x" * 256]:
        refused = _refusal(
            lambda reference=reference: services.mark_payout_paid(
                payout, actor=staff, reference=reference
            )
        )
        assert refused.status == 400 and refused.field == "reference"
    payout.refresh_from_db()
    assert payout.status == "requested"


def test_a_refund_after_the_request_leaves_too_little_to_pay(
    organization, owner, outsider, staff, sold
):
    payout = services.request_payout(organization, actor=owner, amount_cents=25000)
    order = sold.orders.get()
    services.record_refund(order, reason="Bought by mistake.", actor=staff)
    refused = _refusal(lambda: services.mark_payout_paid(payout, actor=staff, reference="W"))
    assert refused.status == 409 and refused.code == "insufficient_balance"
    payout.refresh_from_db()
    assert payout.status == "requested" and not payout.transactions.exists()
    assert ledger.organization_balance(organization, "usd") == 0
    call_command("ledger", "verify")


def test_cancelling_frees_the_amount(organization, owner, member, staff, sold):
    payout = services.request_payout(organization, actor=owner, amount_cents=25000)
    refused = _refusal(lambda: services.cancel_payout(payout, actor=member))
    assert refused.status == 403
    cancelled = services.cancel_payout(payout, actor=owner)
    assert cancelled.status == "cancelled"
    assert services.cancel_payout(payout, actor=owner).status == "cancelled"
    assert AuditEvent.objects.filter(action="payments.payout.cancelled").count() == 1
    assert queries.available_cents(organization, "usd") == 25000
    refused = _refusal(lambda: services.mark_payout_paid(payout, actor=staff, reference="W"))
    assert refused.status == 409 and refused.code == "payout_cancelled"

    paid = services.request_payout(organization, actor=owner, amount_cents=100)
    services.mark_payout_paid(paid, actor=staff, reference="W")
    refused = _refusal(lambda: services.cancel_payout(paid, actor=staff))
    assert refused.status == 409 and refused.code == "payout_paid"
    call_command("ledger", "verify")


def test_a_recipient_requests_its_own_payout(organization, owner, outsider, staff):
    fund_user = buyer("fund-keeper")
    [fund] = shares.set_recipients(
        organization,
        actor=owner,
        recipients=[{"name": "Community Fund", "share_percent": "20", "user": fund_user}],
    )
    dataset = priced_dataset(organization)
    sell(dataset, outsider, staff=staff)
    assert ledger.organization_balance(organization, "usd") == 20000
    assert ledger.recipient_balance(fund, "usd") == 5000

    # The recipient's user may not touch the organization's own balance.
    refused = _refusal(
        lambda: services.request_payout(organization, actor=fund_user, amount_cents=100)
    )
    assert refused.status == 403
    over = _refusal(
        lambda: services.request_payout(
            organization, actor=fund_user, amount_cents=5001, recipient=fund
        )
    )
    assert over.status == 409
    payout = services.request_payout(
        organization, actor=fund_user, amount_cents=5000, recipient=fund
    )
    # The recipient's request does not lower what the organization has.
    assert queries.available_cents(organization, "usd") == 20000
    services.mark_payout_paid(payout, actor=staff, reference="W")
    assert ledger.recipient_balance(fund, "usd") == 0
    assert ledger.organization_balance(organization, "usd") == 20000
    call_command("ledger", "verify")


def test_another_organizations_recipient_is_not_found(organization, owner, outsider, staff):
    from steward.organizations.models import Organization

    other = Organization.objects.get(slug="other-org")
    [theirs] = shares.set_recipients(
        other, actor=outsider, recipients=[{"name": "Their Fund", "share_percent": "10"}]
    )
    refused = _refusal(
        lambda: services.request_payout(
            organization, actor=owner, amount_cents=100, recipient=theirs
        )
    )
    assert refused.status == 404
    assert not Payout.objects.exists()
