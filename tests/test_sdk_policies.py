"""The official SDK (0.7.0), unmodified, meets the creators' terms: it is told exactly what is
missing (request access, wait for approval, pay, not in your country), and downloads once the
terms are met; a revoked or expired grant stops it again."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from steward.access import services
from steward.access.models import Grant
from steward.accounts.services import create_api_key
from steward.catalog.tests.factories import make_dataset

from .test_sdk_downloads import ARCHIVE, sha256

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationType": "academic",
    "acceptTerms": True,
}


@pytest.fixture
def sdk(live_server, monkeypatch, outsider):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    _, secret = create_api_key(outsider)
    monkeypatch.setenv("MDC_API_KEY", secret)
    import datacollective

    return datacollective


def publish(organization, policy, **sheet):
    return make_dataset(
        organization, slug="terms", archive=ARCHIVE, sample=b"sample", usage_policy=policy, **sheet
    )


def download(sdk, dataset, tmp_path):
    return sdk.download_dataset(dataset.public_id, str(tmp_path / "dl"), show_progress=False)


def test_the_sdk_is_told_to_request_access_then_downloads(sdk, organization, outsider, tmp_path):
    dataset = publish(organization, {"purposes": ["research"]})
    with pytest.raises(PermissionError, match="Request access to this dataset first"):
        download(sdk, dataset, tmp_path)

    services.request_access(dataset, user=outsider, data=REQUEST)
    path = download(sdk, dataset, tmp_path)
    assert sha256(path) == dataset.checksum


def test_the_sdk_is_told_to_wait_for_approval(sdk, organization, outsider, tmp_path):
    dataset = publish(organization, {}, visibility="restricted", autoApproveAccessRequests=False)
    services.request_access(dataset, user=outsider, data=REQUEST)
    with pytest.raises(PermissionError, match="waiting for the organization"):
        download(sdk, dataset, tmp_path)


def test_the_sdk_is_told_the_country_is_excluded(sdk, organization, outsider, tmp_path):
    dataset = publish(organization, {"geography": {"mode": "deny", "places": ["KE"]}})
    request = services.request_access(dataset, user=outsider, data=REQUEST)
    assert request.status == "denied"
    with pytest.raises(PermissionError, match=r"not available in your country \(Kenya\)"):
        download(sdk, dataset, tmp_path)


def test_the_sdk_is_told_to_pay_but_gets_the_sample(sdk, organization, outsider, tmp_path):
    dataset = publish(organization, {"pricing": {"basePriceCents": 10000}})
    services.request_access(dataset, user=outsider, data=REQUEST)
    with pytest.raises(requests.HTTPError, match=r"402.*Pay USD 105.00"):
        download(sdk, dataset, tmp_path)
    sample = sdk.download_sample(dataset.public_id, str(tmp_path / "s"), show_progress=False)
    assert sample.read_bytes() == b"sample"


def test_a_revoked_or_expired_grant_stops_the_sdk(sdk, organization, owner, outsider, tmp_path):
    dataset = publish(organization, {"purposes": ["research"], "grantDays": 90})
    request = services.request_access(dataset, user=outsider, data=REQUEST)
    assert download(sdk, dataset, tmp_path).exists()

    Grant.objects.filter(pk=request.grant.pk).update(expires_at=timezone.now() - timedelta(1))
    with pytest.raises(PermissionError, match="expired"):
        download(sdk, dataset, tmp_path / "again")

    Grant.objects.filter(pk=request.grant.pk).update(expires_at=timezone.now() + timedelta(9))
    services.revoke_grant(request.grant, actor=owner, reason="Shared outside the project.")
    with pytest.raises(PermissionError, match="Shared outside the project"):
        download(sdk, dataset, tmp_path / "third")
