"""Staff review: checklist, decisions, emails, publication, and the staff CLI."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from steward.audit.models import AuditEvent
from steward.catalog.models import Dataset, Submission
from steward.catalog.services import SubmissionError, add_comment, update_submission
from steward.catalog.tests.submission_factories import make_submission
from steward.moderation.models import Review
from steward.moderation.services import ReviewError, review_submission

pytestmark = pytest.mark.django_db

ALL_TICKED = {
    "rights_cleared": True,
    "consent_documented": True,
    "personal_data_assessed": True,
    "provenance_documented": True,
    "datasheet_complete": True,
}


def test_approval_publishes_a_frozen_version_and_tells_the_organization(
    owner, staff, django_capture_on_commit_callbacks
):
    submission = make_submission(owner)
    with django_capture_on_commit_callbacks(execute=True):
        review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.APPROVED
    dataset = Dataset.objects.get()
    assert dataset.is_listed and dataset.name == "Lingala Radio Speech"
    assert submission.published_version == dataset.current_version
    assert dataset.current_version.datasheet["restrictions"] == "No speaker identification."
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "approved and is published" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="catalog.submission.approved", actor=staff).exists()


def test_approval_needs_every_checklist_item(owner, staff):
    submission = make_submission(owner)
    with pytest.raises(ReviewError, match="consent_documented"):
        review_submission(
            submission,
            reviewer=staff,
            decision="approve",
            checklist={**ALL_TICKED, "consent_documented": False},
        )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED
    assert not Dataset.objects.exists() and not Review.objects.exists()


def test_request_changes_then_resubmit_then_approve(
    owner, staff, django_capture_on_commit_callbacks
):
    submission = make_submission(owner)
    with django_capture_on_commit_callbacks(execute=True):
        review_submission(
            submission,
            reviewer=staff,
            decision="request_changes",
            checklist={},
            reason="Add a consent form.",
        )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.EDITS_REQUESTED
    assert "Add a consent form." in mail.outbox[-1].body

    submission = update_submission(
        submission, actor=owner, data={"ethicalReviewProcess": "Consent forms kept."}
    )
    with django_capture_on_commit_callbacks(execute=True):
        from steward.catalog.services import submit_submission

        submit_submission(submission, actor=owner, agree_to_submit=True)
    assert mail.outbox[-1].to == ["reviewer@example.org"]  # staff are told of the resubmission

    review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    dataset = Dataset.objects.get()
    assert dataset.current_version.datasheet["ethical_review_process"] == "Consent forms kept."


def test_rejection_needs_a_reason(owner, staff):
    submission = make_submission(owner)
    with pytest.raises(SubmissionError, match="reason"):
        review_submission(submission, reviewer=staff, decision="reject", checklist={})
    review_submission(
        submission, reviewer=staff, decision="reject", checklist={}, reason="Not our data."
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    # A decided submission takes no further decision.
    with pytest.raises(SubmissionError, match="cannot become"):
        review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)


def test_only_staff_review(owner, member):
    submission = make_submission(owner)
    with pytest.raises(ReviewError, match="staff"):
        review_submission(submission, reviewer=member, decision="approve", checklist=ALL_TICKED)


def test_a_new_version_of_a_published_dataset_is_reviewed_too(owner, staff):
    from steward.catalog.services import create_submission, submit_submission

    review_submission(
        make_submission(owner), reviewer=staff, decision="approve", checklist=ALL_TICKED
    )
    dataset = Dataset.objects.get()
    revision = create_submission(owner, data={"name": "Lingala Radio Speech"}, dataset=dataset)
    assert (
        revision.datasheet["restrictions"] == "No speaker identification."
    )  # starts from the current datasheet
    revision = update_submission(
        revision, actor=owner, data={"shortDescription": "Now with 20 hours."}
    )
    submit_submission(revision, actor=owner, agree_to_submit=True)
    dataset.refresh_from_db()
    assert (
        dataset.short_description == "Read speech from a community radio."
    )  # unchanged until approval
    review_submission(revision, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    dataset.refresh_from_db()
    assert dataset.current_version.number == 2 and dataset.short_description == "Now with 20 hours."
    assert (
        dataset.versions.get(number=1).datasheet["short_description"]
        == "Read speech from a community radio."
    )


def test_comments_reach_the_other_side(owner, staff, django_capture_on_commit_callbacks):
    submission = make_submission(owner)
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(submission, author=staff, body="Which consent form did speakers sign?")
    assert mail.outbox[-1].to == ["owner@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(submission, author=owner, body="Form B, attached to the datasheet.")
    assert mail.outbox[-1].to == ["reviewer@example.org"]
    with pytest.raises(SubmissionError):
        add_comment(submission, author=owner, body="   ")


def test_cli_lists_approves_and_rejects(owner, capsys):
    first = make_submission(owner, name="First")
    second = make_submission(owner, name="Second")
    make_submission(owner, name="Draft only", submit=False)
    call_command("submissions", "list")
    listing = capsys.readouterr().out
    assert (
        first.public_id in listing and second.public_id in listing and "Draft only" not in listing
    )

    call_command("submissions", "approve", first.public_id)
    assert "Approved and published as first version 1" in capsys.readouterr().out
    call_command("submissions", "reject", second.public_id, "--reason", "Duplicate.")
    second.refresh_from_db()
    assert second.status == Submission.Status.REJECTED
    assert Review.objects.get(submission=second).reviewer is None

    with pytest.raises(CommandError, match="No submission"):
        call_command("submissions", "approve", "nope")
    with pytest.raises(CommandError, match="cannot become"):
        call_command("submissions", "approve", second.public_id)
