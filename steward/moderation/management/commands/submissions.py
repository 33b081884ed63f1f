from django.core.management.base import BaseCommand, CommandError

from steward.catalog.models import Submission
from steward.lib.console import add_output_arguments, write_json
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
        add_output_arguments(
            listing,
            json_help=(
                'print {"submissions": [{"id": S, "status": S, "submitted_at": S|null, '
                '"organization": S, "name": S}]} instead of text'
            ),
        )
        for subparser in (approve, reject, changes):
            add_output_arguments(
                subparser,
                json_help=(
                    'print {"id": S, "status": S, "dataset": S|null, "version": N|null}: '
                    "the dataset's slug and version number once approved"
                ),
            )

    def handle(self, *args, action, **options):
        if action == "list":
            return self._list(options.get("status"), as_json=options["json"])
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
        if options["json"]:
            approved = submission.status == Submission.Status.APPROVED
            write_json(
                self.stdout,
                {
                    "id": submission.public_id,
                    "status": submission.status,
                    "dataset": submission.dataset.slug if approved else None,
                    "version": submission.published_version.number if approved else None,
                },
            )
            return
        line = f"{submission.public_id}: {submission.get_status_display()}"
        if submission.status == Submission.Status.APPROVED:
            line += f" as {submission.dataset.slug} version {submission.published_version.number}"
        self.stdout.write(line + ".")

    def _list(self, status: str | None, *, as_json: bool) -> None:
        rows = list(review_queue(status))
        if as_json:
            submissions = [
                {
                    "id": s.public_id,
                    "status": s.status,
                    "submitted_at": s.submitted_at,
                    "organization": s.organization.slug,
                    "name": s.name,
                }
                for s in rows
            ]
            write_json(self.stdout, {"submissions": submissions})
            return
        if not rows:
            self.stdout.write("No submissions.")
            return
        for s in rows:
            when = s.submitted_at.strftime("%Y-%m-%d") if s.submitted_at else "-"
            self.stdout.write(
                f"{s.public_id}  {s.status:<15} {when}  {s.organization.slug:<20} {s.name}"
            )
