from django.core.management.base import BaseCommand, CommandError

from steward.audit.services import verify_chain
from steward.lib.console import add_output_arguments, write_json


class Command(BaseCommand):
    help = (
        "The audit log: `audit verify` checks that no entry was changed, removed or inserted "
        "(exit status 1 when one was)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the hash chain")
        add_output_arguments(
            verify,
            json_help=(
                'print {"ok": true|false, "checked": N, "problem": S, "seq": N|null}: the '
                "events verified, and the first broken event (empty problem, null seq if none)"
            ),
        )

    def handle(self, *args, action, **options):
        result = verify_chain()
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "ok": result.ok,
                    "checked": result.checked,
                    "problem": result.problem,
                    "seq": result.seq,
                },
            )
        if not result.ok:
            raise CommandError(
                f"Audit log broken: {result.problem} ({result.checked} events verified before it)."
            )
        if not options["json"]:
            self.stdout.write(f"Audit log intact: {result.checked} events verified.")
