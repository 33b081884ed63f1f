from django.core.management.base import BaseCommand, CommandError

from steward.audit.services import verify_chain


class Command(BaseCommand):
    help = "The audit log: `audit verify` checks that no entry was changed, removed or inserted."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the hash chain")

    def handle(self, *args, action, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"Audit log broken: {result.problem} ({result.checked} events verified before it)."
            )
        self.stdout.write(f"Audit log intact: {result.checked} events verified.")
