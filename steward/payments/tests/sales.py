"""Paid sales for the payout and earnings tests, made through the real services."""

from steward.access import services as access_services
from steward.accounts.services import create_user
from steward.catalog.tests.factories import make_dataset
from steward.payments import services
from steward.payments.models import Order

REQUEST = {"purpose": "research", "country": "KE", "organizationType": "academic"}


def priced_dataset(organization, *, slug: str = "priced", cents: int = 25000):
    return make_dataset(
        organization,
        slug=slug,
        name=f"Dataset {slug}",
        archive=b"paid archive bytes",
        usage_policy={"pricing": {"basePriceCents": cents}},
    )


def buyer(username: str):
    return create_user(username, email=f"{username}@buyers.example", password="a-long-password-1")


def sell(dataset, to, *, staff) -> Order:
    """`to` asks for access, orders and pays; staff mark the order paid."""
    access_services.request_access(dataset, user=to, data={**REQUEST, "acceptTerms": True})
    order, _created = services.create_order(dataset, buyer=to)
    return services.mark_paid(order, actor=staff, reference="BANK-1")
