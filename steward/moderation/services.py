from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.catalog import services as catalog_services
from steward.catalog.models import Submission
from steward.lib.errors import DomainError
from steward.lib.mail import send_after_commit

from .models import CHECKLIST, Report, Review


class ReviewError(DomainError):
    """Codes: checklist_incomplete, required, not_staff."""


def applicable_checks(submission: Submission) -> list[str]:
    """The checklist items that apply: file validation only when there are files."""
    has_files = submission.archive_id is not None
    return [key for key, _ in CHECKLIST if key != "files_validated" or has_files]


def review_submission(
    submission: Submission,
    *,
    reviewer,
    decision: str,
    checklist: dict[str, bool],
    reason: str = "",
) -> Review:
    """Record a reviewer's checklist and decision, and carry the decision out.

    Approval needs every applicable checklist item ticked; it publishes a frozen version."""
    if reviewer is not None and not reviewer.is_staff:
        raise ReviewError(_("Only platform staff review submissions."), code="not_staff")
    if decision not in Review.Decision.values:
        raise ReviewError(
            _("%(field)s: %(decision)r is not a decision")
            % {"field": "decision", "decision": decision},
            field="decision",
        )
    checks = {key: bool(checklist.get(key)) for key in applicable_checks(submission)}
    if decision == Review.Decision.APPROVE and not all(checks.values()):
        missing = [key for key, ticked in checks.items() if not ticked]
        raise ReviewError(
            _("%(field)s: tick every item before approving (missing: %(values)s)")
            % {"field": "checklist", "values": ", ".join(missing)},
            code="checklist_incomplete",
            field="checklist",
        )
    target = {
        Review.Decision.APPROVE: Submission.Status.APPROVED,
        Review.Decision.REQUEST_CHANGES: Submission.Status.EDITS_REQUESTED,
        Review.Decision.REJECT: Submission.Status.REJECTED,
    }[decision]
    with transaction.atomic():
        submission = catalog_services.decide_submission(
            submission, actor=reviewer, to=target, reason=reason
        )
        review = Review.objects.create(
            submission=submission,
            reviewer=reviewer,
            checklist=checks,
            decision=decision,
            reason=reason.strip(),
        )
    return review


def review_queue(status: str | None = None):
    """Submissions waiting for staff, oldest first."""
    waiting = [Submission.Status.SUBMITTED, Submission.Status.IN_REVIEW]
    qs = Submission.objects.filter(deleted_at__isnull=True).select_related(
        "organization", "created_by"
    )
    qs = qs.filter(status=status) if status else qs.filter(status__in=waiting)
    return qs.order_by("submitted_at", "id")


@dataclass(frozen=True)
class QueueAge:
    """Submissions waiting between `low` and `high` days (high None: or longer)."""

    low: int
    high: int | None
    submitted: int
    in_review: int


# How long submissions have waited, in days: the bands of the review queue's chart.
QUEUE_AGE_BANDS = ((0, 1), (1, 3), (3, 7), (7, 14), (14, 28), (28, None))


def review_queue_ages(now=None) -> list[QueueAge]:
    """How many submissions wait for review in each age band, by status."""
    now = now or timezone.now()
    waiting = Submission.objects.filter(
        deleted_at__isnull=True,
        status__in=[Submission.Status.SUBMITTED, Submission.Status.IN_REVIEW],
        submitted_at__isnull=False,
    ).values_list("status", "submitted_at")
    counts = {band: [0, 0] for band in QUEUE_AGE_BANDS}
    for status, submitted_at in waiting:
        days = (now - submitted_at).total_seconds() / 86400
        band = next(b for b in QUEUE_AGE_BANDS if b[1] is None or days < b[1])
        counts[band][status == Submission.Status.IN_REVIEW] += 1
    return [QueueAge(low, high, *counts[(low, high)]) for low, high in QUEUE_AGE_BANDS]


def checklist_labels() -> list[tuple[str, Any]]:
    return list(CHECKLIST)


# Takedown reports.


def report_dataset(dataset, *, reporter, email: str, kind: str, details: str) -> Report:
    """Anyone, signed in or not, reports a dataset; staff are told at once."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from steward.accounts.models import User

    if kind not in Report.Kind.values:
        raise ReviewError(
            _("%(field)s: %(kind)r is not one of %(values)s")
            % {"field": "kind", "kind": kind, "values": ", ".join(Report.Kind.values)},
            field="kind",
        )
    details = details.strip()
    if len(details) < 10:
        raise ReviewError(
            _("%(field)s: describe the problem (at least 10 characters)") % {"field": "details"},
            code="required",
            field="details",
        )
    if len(details) > 10_000:
        raise ReviewError(
            _("%(field)s: the limit is 10,000 characters") % {"field": "details"},
            code="too_long",
            field="details",
        )
    email = (email or (reporter.email if reporter else "")).strip()
    if reporter is None:
        try:
            validate_email(email)
        except ValidationError:
            raise ReviewError(
                _("%(field)s: give an address where we can answer you") % {"field": "email"},
                field="email",
            ) from None
    with transaction.atomic():
        report = Report.objects.create(
            dataset=dataset, kind=kind, details=details, reporter=reporter, reporter_email=email
        )
        record(
            actor=reporter,
            action="moderation.report.created",
            target=report,
            organization_id=dataset.organization_id,
            data={"kind": kind, "dataset": dataset.public_id},
        )
        staff = list(
            User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
        )
        send_after_commit(
            staff,
            _("Report on %(name)s") % {"name": dataset.name},
            "moderation/email/report_created.txt",
            {"report": report},
        )
    return report


def _organization_emails(organization) -> list[str]:
    from steward.organizations.models import Membership

    return list(
        Membership.objects.filter(
            organization=organization, role__in=[Membership.Role.OWNER, Membership.Role.ADMIN]
        ).values_list("user__email", flat=True)
    )


def _lock_report(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("dataset__organization")
        .get(pk=report.pk)
    )


def take_down(report: Report, *, actor, public_reason: str) -> Report:
    """Unpublish the reported dataset with a public reason; its organization is told."""
    with transaction.atomic():
        report = _lock_report(report)
        if report.status == Report.Status.TAKEN_DOWN:
            return report
        if report.status != Report.Status.OPEN:
            raise ReviewError(_("This report is already closed."), code="closed")
        catalog_services.remove_dataset(report.dataset, actor=actor, reason=public_reason)
        report.status = Report.Status.TAKEN_DOWN
        report.resolution = public_reason.strip()
        report.resolved_by = actor
        report.resolved_at = timezone.now()
        report.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        record(
            actor=actor,
            action="moderation.report.taken_down",
            target=report,
            organization_id=report.dataset.organization_id,
        )
        send_after_commit(
            _organization_emails(report.dataset.organization),
            _("Taken down: %(name)s") % {"name": report.dataset.name},
            "moderation/email/taken_down.txt",
            {"report": report},
        )
    return report


def dismiss_report(report: Report, *, actor, resolution: str) -> Report:
    """Close a report without action, saying why."""
    resolution = resolution.strip()
    if not resolution:
        raise ReviewError(
            _("%(field)s: say why the report is dismissed") % {"field": "resolution"},
            code="required",
            field="resolution",
        )
    with transaction.atomic():
        report = _lock_report(report)
        if report.status != Report.Status.OPEN:
            raise ReviewError(_("This report is already closed."), code="closed")
        report.status = Report.Status.DISMISSED
        report.resolution = resolution
        report.resolved_by = actor
        report.resolved_at = timezone.now()
        report.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        record(
            actor=actor,
            action="moderation.report.dismissed",
            target=report,
            organization_id=report.dataset.organization_id,
        )
    return report


def respond_to_report(report: Report, *, actor, response: str) -> Report:
    """The organization answers a report about its dataset; staff are told."""
    from steward.accounts.models import User

    response = response.strip()
    if not response:
        raise ReviewError(
            _("%(field)s: write your answer") % {"field": "response"},
            code="required",
            field="response",
        )
    if len(response) > 10_000:
        raise ReviewError(
            _("%(field)s: the limit is 10,000 characters") % {"field": "response"},
            code="too_long",
            field="response",
        )
    with transaction.atomic():
        report = _lock_report(report)
        report.organization_response = response
        report.responded_at = timezone.now()
        report.save(update_fields=["organization_response", "responded_at"])
        record(
            actor=actor,
            action="moderation.report.answered",
            target=report,
            organization_id=report.dataset.organization_id,
        )
        staff = list(
            User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
        )
        send_after_commit(
            staff,
            _("Answer to a report on %(name)s") % {"name": report.dataset.name},
            "moderation/email/report_answered.txt",
            {"report": report},
        )
    return report
