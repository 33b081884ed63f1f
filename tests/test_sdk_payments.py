"""The official SDK (0.7.0), unmodified, and a paid dataset: 402 with the amount until the
order is paid, then the download; after a refund, refused again. The ledger balances."""

import pytest
import requests

from steward.access import services as access_services
from steward.accounts.services import create_api_key
from steward.catalog.tests.factories import make_dataset
from steward.payments import ledger
from steward.payments import services as payments

from .test_sdk_downloads import ARCHIVE, sha256

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def sdk(live_server, monkeypatch, outsider):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    _, secret = create_api_key(outsider)
    monkeypatch.setenv("MDC_API_KEY", secret)
    import datacollective

    return datacollective


def test_pay_then_download_then_refund(sdk, organization, outsider, staff, tmp_path):
    dataset = make_dataset(
        organization,
        slug="paid-speech",
        archive=ARCHIVE,
        usage_policy={"pricing": {"basePriceCents": 4000}},
    )
    access_services.request_access(
        dataset,
        user=outsider,
        data={
            "purpose": "commercial",
            "country": "FR",
            "organizationType": "company",
            "acceptTerms": True,
        },
    )
    with pytest.raises(requests.HTTPError, match=r"402.*Pay USD 42.00"):
        sdk.download_dataset(dataset.public_id, str(tmp_path / "a"), show_progress=False)

    order, created = payments.create_order(dataset, buyer=outsider, idempotency_key="sdk-1")
    assert created and order.total_price_cents == 4200
    payments.mark_paid(order, actor=staff, reference="WIRE-7")

    path = sdk.download_dataset(dataset.public_id, str(tmp_path / "b"), show_progress=False)
    assert sha256(path) == dataset.checksum
    assert ledger.organization_balance(organization, "usd") == 4000
    assert ledger.verify() == []

    payments.refund(order, actor=staff, reason="Refused by the buyer's bank.")
    with pytest.raises(PermissionError, match="Refunded"):
        sdk.download_dataset(dataset.public_id, str(tmp_path / "c"), show_progress=False)
    assert ledger.organization_balance(organization, "usd") == 0
    assert ledger.verify() == []
