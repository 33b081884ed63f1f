"""`steward access-reminders --json`."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from steward.access import services
from steward.access.models import Grant
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db


def reminders() -> dict:
    out = io.StringIO()
    call_command("access_reminders", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_counts_of_reminders_and_lapsed_requests_as_json(organization, outsider):
    dataset = make_dataset(
        organization, slug="yearly", archive=ARCHIVE, usage_policy={"grantDays": 365}
    )
    data = {"purpose": "research", "country": "KE", "organizationType": "academic"}
    grant = services.request_access(
        dataset, user=outsider, data={**data, "acceptTerms": True}
    ).grant
    assert reminders() == {"reminded": 0, "lapsed": 0}
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(days=10))
    assert reminders() == {"reminded": 1, "lapsed": 0}
    # Once per term.
    assert reminders() == {"reminded": 0, "lapsed": 0}
