from steward.lib.errors import Forbidden, Gone, NotFound
from steward.organizations.permissions import SUBMIT, can

from .models import Submission


def get_submission_for(user, public_id: str, *, edit: bool = False) -> Submission:
    """The submission if `user` belongs to its organization (or is staff, to read it).

    404 unknown, 410 deleted, 403 another organization's (as the MDC API answers)."""
    submission = (
        Submission.objects.select_related("organization", "dataset", "created_by")
        .filter(public_id=public_id.strip())
        .first()
    )
    if submission is None:
        raise NotFound("Submission not found")
    if submission.deleted_at is not None:
        raise Gone("This submission was deleted.", code="deleted")
    member = can(user, submission.organization, SUBMIT)
    if not member and not (user.is_staff and not edit):
        raise Forbidden("This submission belongs to another organization.", code="not_yours")
    return submission
