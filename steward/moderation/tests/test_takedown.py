"""Reports and takedowns: a removed dataset answers 410 with its public reason."""

import pytest
from django.core import mail

from steward.audit.models import AuditEvent
from steward.catalog.services import restore_dataset
from steward.catalog.tests.factories import make_dataset
from steward.moderation.models import Report
from steward.moderation.services import (
    ReviewError,
    dismiss_report,
    report_dataset,
    respond_to_report,
    take_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(organization, owner):
    return make_dataset(organization, slug="lingala-radio", archive=b"bytes")


def test_anyone_can_report_and_staff_are_told(dataset, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_dataset(
            dataset,
            reporter=None,
            email="speaker@example.org",
            kind="consent",
            details="I never agreed to this.",
        )
    assert report.status == Report.Status.OPEN
    assert mail.outbox[-1].to == ["reviewer@example.org"]
    assert "I never agreed" in mail.outbox[-1].body


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "spam"}, "kind"),
        ({"details": "short"}, "details"),
        ({"details": "x" * 10_001}, "details"),
        ({"email": "nope"}, "email"),
        ({"email": ""}, "email"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_saved(dataset, kwargs, field):
    args = {
        "reporter": None,
        "email": "a@example.org",
        "kind": "copyright",
        "details": "This is my recording.",
    }
    with pytest.raises(ReviewError) as excinfo:
        report_dataset(dataset, **{**args, **kwargs})
    assert excinfo.value.field == field
    assert not Report.objects.exists()


def test_take_down_answers_410_everywhere_and_the_organization_can_answer(
    client, dataset, staff, owner, django_capture_on_commit_callbacks
):
    report = report_dataset(
        dataset, reporter=None, email="a@example.org", kind="copyright", details="My song is in it."
    )
    with django_capture_on_commit_callbacks(execute=True):
        take_down(report, actor=staff, public_reason="Removed after a copyright claim.")
    assert mail.outbox[-1].to == ["owner@example.org"]

    api = client.get("/api/datasets/lingala-radio")
    assert api.status_code == 410 and api.json()["error"] == "Removed after a copyright claim."
    page = client.get("/datasets/lingala-radio")
    assert page.status_code == 410 and "Removed after a copyright claim." in page.content.decode()
    assert client.get("/api/datasets").json()["total"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        respond_to_report(report, actor=owner, response="The song is ours; here is the licence.")
    assert mail.outbox[-1].to == ["reviewer@example.org"]
    restore_dataset(dataset, actor=staff)
    assert client.get("/api/datasets/lingala-radio").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "moderation.report.taken_down",
        "catalog.dataset.removed",
        "catalog.dataset.restored",
    } <= actions


def test_take_down_needs_a_public_reason(dataset, staff):
    report = report_dataset(
        dataset, reporter=None, email="a@example.org", kind="other", details="Something is off."
    )
    with pytest.raises(Exception, match="reason"):
        take_down(report, actor=staff, public_reason="  ")
    dataset.refresh_from_db()
    report.refresh_from_db()
    assert dataset.status == "published" and report.status == Report.Status.OPEN


def test_dismissal_closes_the_report_and_keeps_the_dataset(dataset, staff):
    report = report_dataset(
        dataset, reporter=None, email="a@example.org", kind="other", details="Something is off."
    )
    with pytest.raises(ReviewError):
        dismiss_report(report, actor=staff, resolution="")
    dismiss_report(report, actor=staff, resolution="The data is the organization's own.")
    report.refresh_from_db()
    dataset.refresh_from_db()
    assert report.status == Report.Status.DISMISSED and dataset.status == "published"
    with pytest.raises(ReviewError, match="closed"):
        take_down(report, actor=staff, public_reason="Late")
