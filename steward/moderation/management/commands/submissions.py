from django.core.management.base import BaseCommand, CommandError

from steward.catalog.models import Submission
from steward.lib.errors import DomainError
from steward.moderation.models import Review
from steward.moderation.services import applicable_checks, review_queue, review_submission


class Command(BaseCommand):
    help = (
        "Review submissions: `submissions list [--status S]`, `approve ID`, `reject ID --reason R`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="submissions waiting for review (or with --status)")
        listing.add_argument("--status", choices=Submission.Status.values)
        approve = sub.add_parser("approve", help="approve and publish; you attest the checklist")
        approve.add_argument("id")
        reject = sub.add_parser("reject", help="reject with a reason sent to the organization")
        reject.add_argument("id")
        reject.add_argument("--reason", required=True)
        changes = sub.add_parser("request-changes", help="send back to the organization")
        changes.add_argument("id")
        changes.add_argument("--reason", required=True)

    def handle(self, *args, action, **options):
        if action == "list":
            return self._list(options.get("status"))
        submission = Submission.objects.filter(
            public_id=options["id"], deleted_at__isnull=True
        ).first()
        if submission is None:
            raise CommandError(f"No submission {options['id']!r}.")
        decision = {
            "approve": Review.Decision.APPROVE,
            "reject": Review.Decision.REJECT,
            "request-changes": Review.Decision.REQUEST_CHANGES,
        }[action]
        # From a terminal, running the command is the operator's attestation of the checklist.
        checklist = dict.fromkeys(applicable_checks(submission), True)
        try:
            review_submission(
                submission,
                reviewer=None,
                decision=decision,
                checklist=checklist,
                reason=options.get("reason", ""),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        submission.refresh_from_db()
        line = f"{submission.public_id}: {submission.get_status_display()}"
        if submission.status == Submission.Status.APPROVED:
            line += f" as {submission.dataset.slug} version {submission.published_version.number}"
        self.stdout.write(line + ".")

    def _list(self, status: str | None) -> None:
        rows = list(review_queue(status))
        if not rows:
            self.stdout.write("No submissions.")
            return
        for s in rows:
            when = s.submitted_at.strftime("%Y-%m-%d") if s.submitted_at else "-"
            self.stdout.write(
                f"{s.public_id}  {s.status:<15} {when}  {s.organization.slug:<20} {s.name}"
            )
