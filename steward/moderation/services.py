from typing import Any

from django.db import transaction

from steward.audit.services import record
from steward.catalog import services as catalog_services
from steward.catalog.models import Submission
from steward.lib.errors import DomainError
from steward.lib.mail import send_after_commit

from .models import CHECKLIST, Comment, Review


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
        raise ReviewError("Only platform staff review submissions.", code="not_staff")
    if decision not in Review.Decision.values:
        raise ReviewError(f"decision: {decision!r} is not a decision", field="decision")
    checks = {key: bool(checklist.get(key)) for key in applicable_checks(submission)}
    if decision == Review.Decision.APPROVE and not all(checks.values()):
        missing = [key for key, ticked in checks.items() if not ticked]
        raise ReviewError(
            f"checklist: tick every item before approving (missing: {', '.join(missing)})",
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


def add_comment(submission: Submission, *, author, body: str) -> Comment:
    """A message between reviewers and the submitting organization; the other side is emailed."""
    from steward.accounts.models import User
    from steward.organizations.models import Membership

    body = body.strip()
    if not body:
        raise ReviewError("body: write a message", code="required", field="body")
    if len(body) > 10_000:
        raise ReviewError("body: the limit is 10,000 characters", code="too_long", field="body")
    with transaction.atomic():
        comment = Comment.objects.create(
            submission=submission, author=author, body=body, by_staff=author.is_staff
        )
        record(
            actor=author,
            action="moderation.comment.added",
            target=submission,
            organization_id=submission.organization_id,
            data={"by_staff": comment.by_staff},
        )
        if comment.by_staff:
            recipients = list(
                Membership.objects.filter(organization=submission.organization).values_list(
                    "user__email", flat=True
                )
            )
        else:
            recipients = list(
                User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
            )
        send_after_commit(
            recipients,
            f"New comment on {submission.name}",
            "moderation/email/comment.txt",
            {"submission": submission, "comment": comment},
        )
    return comment


def review_queue(status: str | None = None):
    """Submissions waiting for staff, oldest first."""
    waiting = [Submission.Status.SUBMITTED, Submission.Status.IN_REVIEW]
    qs = Submission.objects.filter(deleted_at__isnull=True).select_related(
        "organization", "created_by"
    )
    qs = qs.filter(status=status) if status else qs.filter(status__in=waiting)
    return qs.order_by("submitted_at", "id")


def checklist_labels() -> list[tuple[str, Any]]:
    return list(CHECKLIST)
