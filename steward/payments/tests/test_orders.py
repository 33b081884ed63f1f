"""Buying access with the manual provider, through the API and the pages: 402 until paid,
one order per retry, staff mark it paid, the download opens, a refund closes it again, and the
ledger stays balanced throughout."""

import pytest
from django.core import mail

from steward.access import services as access_services
from steward.access.models import Grant
from steward.audit.models import AuditEvent
from steward.catalog.tests.factories import make_dataset
from steward.payments import ledger
from steward.payments.models import Order

pytestmark = pytest.mark.django_db

ARCHIVE = b"paid archive bytes " * 100
REQUEST = {"purpose": "research", "country": "KE", "organizationType": "academic"}


@pytest.fixture
def dataset(organization):
    return make_dataset(
        organization,
        slug="priced",
        archive=ARCHIVE,
        usage_policy={
            "pricing": {
                "basePriceCents": 25000,
                "rules": [{"places": ["AFRICA"], "purposes": ["education"], "priceCents": 0}],
            }
        },
    )


@pytest.fixture
def grant(dataset, outsider):
    request = access_services.request_access(
        dataset, user=outsider, data={**REQUEST, "acceptTerms": True}
    )
    return request.grant


def order(client, auth, dataset, key="", **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/orders",
        {"datasetId": dataset.public_id, **body},
        content_type="application/json",
        **auth,
        **headers,
    )


def download(client, auth, dataset):
    return client.post(f"/api/datasets/{dataset.public_id}/download", **auth)


def test_paying_opens_the_download_and_credits_the_whole_price(
    client, dataset, grant, outsider, staff, auth_for, django_capture_on_commit_callbacks
):
    buyer = auth_for(outsider)
    assert download(client, buyer, dataset).status_code == 402

    created = order(client, buyer, dataset, key="first-try")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["grantId"] == grant.public_id
    assert body["quote"] == {
        "basePriceCents": 25000,
        "currency": "usd",
        "platformFeeRate": "0.05",
        "platformFeeCents": 1250,
        "totalPriceCents": 26250,
    }
    assert body["checkoutUrl"] == f"http://testserver/orders/{body['id']}"
    # A retry with the same key, or without one while it waits, is the same order.
    assert order(client, buyer, dataset, key="first-try").json()["id"] == body["id"]
    assert order(client, buyer, dataset).json()["id"] == body["id"]
    assert Order.objects.count() == 1
    assert download(client, buyer, dataset).status_code == 402

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(
            f"/api/orders/{body['id']}/mark-paid",
            {"reference": "BANK-123"},
            content_type="application/json",
            **auth_for(staff),
        )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert mail.outbox[-1].to == [outsider.email]
    assert "USD 262.50" in mail.outbox[-1].body
    assert download(client, buyer, dataset).status_code == 200
    assert Grant.objects.get(pk=grant.pk).paid_at is not None
    assert ledger.organization_balance(dataset.organization, "usd") == 25000
    assert ledger.verify() == []
    # Marking paid again changes nothing.
    again = client.post(
        f"/api/orders/{body['id']}/mark-paid", content_type="application/json", **auth_for(staff)
    )
    assert again.status_code == 200
    assert ledger.organization_balance(dataset.organization, "usd") == 25000
    assert AuditEvent.objects.filter(action="payments.order.paid").count() == 1


def test_a_refund_ends_the_access_and_reverses_the_ledger(
    client, dataset, grant, outsider, staff, auth_for
):
    body = order(client, auth_for(outsider), dataset).json()
    client.post(
        f"/api/orders/{body['id']}/mark-paid", content_type="application/json", **auth_for(staff)
    )
    refunded = client.post(
        f"/api/orders/{body['id']}/refund",
        {"reason": "Bought twice by mistake."},
        content_type="application/json",
        **auth_for(staff),
    )
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    answer = download(client, auth_for(outsider), dataset)
    assert answer.status_code == 403 and answer.json()["code"] == "grant_revoked"
    assert ledger.organization_balance(dataset.organization, "usd") == 0
    assert ledger.verify() == []


def test_only_staff_mark_paid_or_refund(client, dataset, grant, outsider, owner, auth_for):
    body = order(client, auth_for(outsider), dataset).json()
    mine = client.post(f"/api/orders/{body['id']}/mark-paid", **auth_for(outsider))
    assert mine.status_code == 403 and mine.json()["code"] == "staff_only"
    theirs = client.post(f"/api/orders/{body['id']}/mark-paid", **auth_for(owner))
    assert theirs.status_code == 404
    assert Order.objects.get().status == "pending"
    assert client.get(f"/api/orders/{body['id']}", **auth_for(owner)).status_code == 404


def test_nothing_to_buy_without_access_for_free_or_for_oneself(
    client, dataset, organization, outsider, member, auth_for
):
    refused = order(client, auth_for(outsider), dataset)
    assert refused.status_code == 403 and refused.json()["code"] == "access_not_requested"
    own = order(client, auth_for(member), dataset)
    assert own.status_code == 400 and own.json()["code"] == "own_dataset"
    access_services.request_access(
        dataset, user=outsider, data={**REQUEST, "purpose": "education", "acceptTerms": True}
    )
    free = order(client, auth_for(outsider), dataset)
    assert free.status_code == 400 and free.json()["code"] == "nothing_to_pay"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"datasetId": None}, "datasetId"), ({"datasetId": 5}, "datasetId")],
)
def test_bad_input_is_a_400(client, grant, outsider, auth_for, body, field):
    response = client.post(
        "/api/orders", body, content_type="application/json", **auth_for(outsider)
    )
    assert response.status_code == 400 and response.json()["field"] == field
    assert not Order.objects.exists()


def test_a_key_reused_for_another_dataset_is_a_conflict(
    client, dataset, grant, organization, outsider, auth_for
):
    order(client, auth_for(outsider), dataset, key="k1")
    other = make_dataset(
        organization,
        slug="priced-2",
        archive=ARCHIVE,
        usage_policy={"pricing": {"basePriceCents": 500}},
    )
    access_services.request_access(other, user=outsider, data={**REQUEST, "acceptTerms": True})
    reused = order(client, auth_for(outsider), other, key="k1")
    assert reused.status_code == 409 and reused.json()["code"] == "key_reused"


def test_the_page_buys_once_and_shows_the_invoice_then_the_receipt(
    client, dataset, grant, outsider, staff
):
    client.force_login(outsider)
    page = client.get(f"/datasets/{dataset.public_id}").content.decode()
    assert "Buy access" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    first = client.post(f"/datasets/{dataset.public_id}/buy", {"token": token})
    second = client.post(f"/datasets/{dataset.public_id}/buy", {"token": token})
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    checkout = client.get(first["Location"]).content.decode()
    assert "INV-" in checkout and "USD 262.50" in checkout

    client.force_login(staff)
    listing = client.get("/staff/orders").content.decode()
    assert Order.objects.get().public_id in listing
    client.post(f"/staff/orders/{Order.objects.get().public_id}/mark-paid", {"reference": "X"})
    client.force_login(outsider)
    receipt = client.get(first["Location"]).content.decode()
    assert "Receipt" in receipt and "Download the dataset" in receipt


def test_staff_pages_are_hidden_from_others(client, dataset, grant, outsider, owner):
    for user in (outsider, owner):
        client.force_login(user)
        assert client.get("/staff/orders").status_code == 404
