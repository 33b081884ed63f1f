"""Time-boxed grants: reminders before the end, renewal by the holder under the current
terms (with the usage report the terms ask for), refusals that change nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from steward.access import services
from steward.access.models import Grant
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db

REQUEST = {"purpose": "research", "country": "KE", "organizationType": "academic"}


@pytest.fixture
def grant(organization, outsider):
    dataset = make_dataset(
        organization,
        slug="yearly",
        archive=ARCHIVE,
        usage_policy={
            "purposes": ["research"],
            "grantDays": 365,
            "renewalReportRequired": True,
        },
    )
    request = services.request_access(dataset, user=outsider, data={**REQUEST, "acceptTerms": True})
    return request.grant


def renew(client, auth, grant, **body):
    return client.post(
        f"/api/grants/{grant.public_id}/renew",
        {"acceptTerms": True, **body},
        content_type="application/json",
        **auth,
    )


def ends_in(grant, days: float) -> None:
    Grant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() + timedelta(days=days), reminded_at=None
    )


def test_holders_are_reminded_once_before_the_end(
    grant, outsider, django_capture_on_commit_callbacks
):
    ends_in(grant, 30)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("access_reminders")
    assert mail.outbox == []  # not yet: 14 days before

    ends_in(grant, 10)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("access_reminders")
        call_command("access_reminders")
    assert [m.to for m in mail.outbox] == [[outsider.email]]
    assert "ends soon" in mail.outbox[0].subject
    assert "what you built" in mail.outbox[0].body


def test_renewal_needs_the_report_then_extends_the_grant(client, grant, outsider, auth_for):
    ends_in(grant, 10)
    before = Grant.objects.get(pk=grant.pk).expires_at
    missing = renew(client, auth_for(outsider), grant)
    assert missing.status_code == 400 and missing.json()["field"] == "usageReport"
    assert Grant.objects.get(pk=grant.pk).expires_at == before

    done = renew(client, auth_for(outsider), grant, usageReport="A Lingala ASR model, WER 18%.")
    assert done.status_code == 200, done.content
    renewed = Grant.objects.get(pk=grant.pk)
    assert renewed.expires_at - before == timedelta(days=365)
    assert renewed.usage_report == "A Lingala ASR model, WER 18%."
    assert done.json()["status"] == "active"


def test_renewal_is_refused_too_early_without_terms_or_to_others(
    client, grant, outsider, owner, auth_for
):
    early = renew(client, auth_for(outsider), grant, usageReport="x")
    assert early.status_code == 409 and early.json()["code"] == "too_early"
    ends_in(grant, 5)
    no_terms = renew(client, auth_for(outsider), grant, acceptTerms=False, usageReport="x")
    assert no_terms.status_code == 400 and no_terms.json()["field"] == "acceptTerms"
    # The organization sees the grant but renewing is the holder's act.
    assert renew(client, auth_for(owner), grant, usageReport="x").status_code == 404


def test_a_revoked_grant_cannot_be_renewed(client, grant, outsider, owner, auth_for):
    services.revoke_grant(grant, actor=owner, reason="Terms broken.")
    ends_in(grant, 5)
    refused = renew(client, auth_for(outsider), grant, usageReport="x")
    assert refused.status_code == 403 and refused.json()["code"] == "grant_revoked"


def test_revoking_twice_and_revoking_without_a_reason(client, grant, owner, auth_for):
    url = f"/api/grants/{grant.public_id}/revoke"
    empty = client.post(url, {}, content_type="application/json", **auth_for(owner))
    assert empty.status_code == 400 and empty.json()["field"] == "reason"
    first = client.post(url, {"reason": "x"}, content_type="application/json", **auth_for(owner))
    assert first.status_code == 200
    again = client.post(url, {"reason": "x"}, content_type="application/json", **auth_for(owner))
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_only_the_organization_revokes(request, client, grant, auth_for, persona):
    user = request.getfixturevalue(persona)
    response = client.post(
        f"/api/grants/{grant.public_id}/revoke",
        {"reason": "x"},
        content_type="application/json",
        **auth_for(user),
    )
    # The holder sees their grant but may not revoke it; a plain member does not see it.
    assert response.status_code == (403 if persona == "outsider" else 404)
    assert Grant.objects.get(pk=grant.pk).revoked_at is None
