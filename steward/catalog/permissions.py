from django.utils.translation import gettext as _

from steward.lib.errors import Forbidden, Gone, NotFound
from steward.organizations.permissions import SUBMIT, can
from steward.storage.models import Upload

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
        raise NotFound(_("Submission not found"))
    if submission.deleted_at is not None:
        raise Gone(_("This submission was deleted."), code="deleted")
    member = can(user, submission.organization, SUBMIT)
    if not member and not (user.is_staff and not edit):
        raise Forbidden(_("This submission belongs to another organization."), code="not_yours")
    return submission


def get_upload_for(
    user, public_id: str, *, purpose: str, submission_id: str | None = None
) -> tuple[Submission, Upload]:
    """An upload and the submission it was started for, if `user` may upload to that
    submission's organization: 404 unknown (or of another kind, or another submission's),
    410 submission deleted, 403 another organization's."""
    if submission_id is not None:
        submission = get_submission_for(user, submission_id, edit=True)
    upload = Upload.objects.filter(public_id=public_id.strip(), purpose=purpose).first()
    if upload is None or (submission_id is not None and upload.reference != submission.public_id):
        raise NotFound(_("Upload not found"))
    if submission_id is None:
        submission = get_submission_for(user, upload.reference, edit=True)
    return submission, upload
