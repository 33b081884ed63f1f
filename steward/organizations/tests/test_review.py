"""Staff review of organization applications: staff/organizations."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.organizations.models import Organization
from steward.organizations.services import (
    OrganizationError,
    approve_organization,
    reject_organization,
)
from steward.organizations.tests.factories import add_member, make_application, make_user

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("organizations:review-list")


@pytest.fixture
def applicant(db):
    return make_user("marie")


@pytest.fixture
def application(applicant):
    return make_application(applicant)


def decision_events(org: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            organization_id=org.pk,
            action__in=[
                "organizations.organization.approved",
                "organizations.organization.rejected",
            ],
        ).values_list("action", flat=True)
    )


def test_the_queue_lists_pending_applications_oldest_first_with_their_age(
    client, staff, applicant, organization
):
    newer = make_application(applicant, name="Newer", slug="newer")
    older = make_application(applicant, name="Older", slug="older")
    Organization.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    client.force_login(staff)
    response = client.get(QUEUE_URL)
    assert response.status_code == 200
    assert list(response.context["applications"]) == [older, newer]
    html = response.content.decode()
    assert "3\xa0days" in html
    # Approved organizations are not in the queue.
    assert organization.name not in html


def test_the_detail_page_shows_the_whole_application(client, staff, application):
    client.force_login(staff)
    response = client.get(reverse("organizations:review-detail", args=[application.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Lingala Voices",
        "Lingala, French",
        "Lingala speakers in Kinshasa",
        "marie@lingala.example.org",
        "train speech models on our terms",
        "Approve",
        "Reject",
    ):
        assert text in html


def test_approving_from_the_page_approves_audits_and_emails_the_owners(
    client, staff, applicant, application, django_capture_on_commit_callbacks
):
    colleague = make_user("colleague")
    add_member(application, colleague, "owner")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organizations:review-approve", args=[application.slug]))

    assert response.status_code == 302 and response["Location"] == QUEUE_URL
    application.refresh_from_db()
    assert application.status == Organization.Status.APPROVED
    assert application.decided_by == staff and application.approved_at is not None
    event = AuditEvent.objects.get(action="organizations.organization.approved")
    assert (event.actor, event.organization_id, event.data) == (
        staff,
        application.pk,
        {"from": "pending"},
    )
    # Every owner hears it, each in a message of their own.
    assert sorted(m.to[0] for m in mail.outbox) == [colleague.email, applicant.email]
    message = mail.outbox[0]
    assert message.subject == "[Steward] Lingala Voices is approved"
    assert "/organizations/lingala-voices/members" in message.body


def test_rejecting_from_the_page_records_the_reason_and_emails_it(
    client, staff, applicant, application, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    reason = "We could not confirm the recordings were made with consent."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizations:review-reject", args=[application.slug]), {"reason": reason}
        )

    assert response.status_code == 302 and response["Location"] == QUEUE_URL
    application.refresh_from_db()
    assert application.status == Organization.Status.REJECTED
    assert (application.decision_reason, application.decided_by) == (reason, staff)
    event = AuditEvent.objects.get(action="organizations.organization.rejected")
    assert (event.actor, event.organization_id, event.data["reason"]) == (
        staff,
        application.pk,
        reason,
    )
    [message] = mail.outbox
    assert message.to == [applicant.email]
    assert message.subject == "[Steward] Your application for Lingala Voices"
    assert reason in message.body


def test_the_applicant_sees_the_rejection_reason_in_my_organizations(
    client, applicant, application, staff
):
    reject_organization(application, actor=staff, reason="Consent is not documented.")
    client.force_login(applicant)
    html = client.get(reverse("organizations:mine")).content.decode()
    assert "Rejected" in html and "Consent is not documented." in html


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_is_a_form_error_and_changes_nothing(
    client, staff, application, reason, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizations:review-reject", args=[application.slug]), {"reason": reason}
        )
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"]
    application.refresh_from_db()
    assert application.status == Organization.Status.PENDING
    assert decision_events(application) == []
    assert mail.outbox == []


def test_the_service_refuses_an_empty_reason_too(staff, application):
    with pytest.raises(OrganizationError) as excinfo:
        reject_organization(application, actor=staff, reason="  ")
    assert (excinfo.value.code, excinfo.value.field) == ("reason_required", "reason")


def test_approving_an_approved_organization_is_a_quiet_no_op(
    staff, application, django_capture_on_commit_callbacks
):
    approve_organization(application, actor=staff)
    first = Organization.objects.get(pk=application.pk).approved_at
    with django_capture_on_commit_callbacks(execute=True):
        approve_organization(application, actor=staff)
    assert Organization.objects.get(pk=application.pk).approved_at == first
    assert decision_events(application) == ["organizations.organization.approved"]
    assert mail.outbox == []


def test_rejecting_a_rejected_organization_keeps_the_first_reason(staff, application):
    reject_organization(application, actor=staff, reason="First reason.")
    reject_organization(application, actor=staff, reason="Second reason.")
    application.refresh_from_db()
    assert application.decision_reason == "First reason."
    assert decision_events(application) == ["organizations.organization.rejected"]


def test_an_approved_organization_cannot_be_rejected(client, staff, organization):
    with pytest.raises(OrganizationError) as excinfo:
        reject_organization(organization, actor=staff, reason="Changed my mind.")
    assert excinfo.value.code == "illegal_transition"

    client.force_login(staff)
    response = client.post(
        reverse("organizations:review-reject", args=[organization.slug]), {"reason": "Nope."}
    )
    assert response.status_code == 400
    assert "cannot become rejected" in response.content.decode()
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED
    assert decision_events(organization) == []


def test_a_rejection_can_be_reconsidered(staff, application):
    reject_organization(application, actor=staff, reason="Missing consent forms.")
    approve_organization(application, actor=staff)
    application.refresh_from_db()
    assert application.status == Organization.Status.APPROVED
    assert application.decision_reason == ""


def test_a_decided_application_offers_no_buttons_that_cannot_work(client, staff, organization):
    client.force_login(staff)
    response = client.get(reverse("organizations:review-detail", args=[organization.slug]))
    assert response.status_code == 200
    assert not response.context["may_approve"] and not response.context["may_reject"]
