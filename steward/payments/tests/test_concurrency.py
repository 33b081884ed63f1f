"""32 buyers at once on PostgreSQL: some buying the same dataset, some different ones, each
retrying their order and each payment confirmed several times at once (a double click, a
replayed notification). One order per buyer, one ledger posting per order, nothing lost."""

import pytest
from django.db import connection

from steward.access import services as access_services
from steward.accounts.services import create_user
from steward.catalog.tests.factories import make_dataset
from steward.payments import ledger
from steward.payments import services as payments
from steward.payments.models import Order, Transaction

from .test_ledger import on_postgres, run_at_once

BUYERS = 32


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_32_buyers_retrying_and_confirming_at_once(organization, staff):
    datasets = [
        make_dataset(
            organization,
            slug=f"paid-{n}",
            archive=b"bytes",
            usage_policy={"pricing": {"basePriceCents": 1000 + n}},
        )
        for n in range(4)
    ]
    buyers = [
        create_user(f"buyer{n}", email=f"buyer{n}@example.org", password="a-long-password-1")
        for n in range(BUYERS)
    ]
    for n, buyer in enumerate(buyers):
        access_services.request_access(
            datasets[n % 4],
            user=buyer,
            data={
                "purpose": "commercial",
                "country": "FR",
                "organizationType": "company",
                "acceptTerms": True,
            },
        )

    def buy(n):
        # Each buyer's request arrives twice at once (a client retry with the same key).
        buyer = buyers[n % BUYERS]
        order, _ = payments.create_order(
            datasets[n % BUYERS % 4], buyer=buyer, idempotency_key=f"key-{n % BUYERS}"
        )
        return order.pk

    results = run_at_once(BUYERS * 2, buy)
    assert all(isinstance(r, int) for r in results), results
    assert Order.objects.count() == BUYERS
    orders = list(Order.objects.all())

    def confirm(n):
        order = orders[n % BUYERS]
        return payments.mark_paid(Order.objects.get(pk=order.pk), actor=staff).status

    results = run_at_once(BUYERS * 2, confirm)
    assert results == ["paid"] * (BUYERS * 2), results
    assert Transaction.objects.filter(kind="purchase").count() == BUYERS
    expected = sum(o.base_price_cents for o in orders)
    assert ledger.organization_balance(organization, "usd") == expected
    assert ledger.verify() == []
    connection.close()
