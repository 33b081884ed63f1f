from django.core.management.base import BaseCommand, CommandError

from steward.lib.console import add_output_arguments, write_json
from steward.payments import ledger


class Command(BaseCommand):
    help = (
        "The payments ledger: `ledger verify` checks every posting against orders and payouts "
        "(exit status 1 when a problem is found)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check balances, orders, refunds and payouts")
        add_output_arguments(
            verify,
            json_help=(
                'print {"ok": true|false, "problems": [S], "transactions": N, "entries": N, '
                '"orders": N}: each problem in words, and what was checked'
            ),
        )

    def handle(self, *args, action, **options):
        problems = ledger.verify()
        counts = ledger.counts()
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "ok": not problems,
                    "problems": problems,
                    "transactions": counts.transactions,
                    "entries": counts.entries,
                    "orders": counts.orders,
                },
            )
        elif problems:
            for problem in problems:
                self.stderr.write(problem)
        if problems:
            raise CommandError(f"Ledger verification found {len(problems)} problem(s).")
        if not options["json"]:
            self.stdout.write(
                f"Ledger verified: {counts.transactions} transactions, {counts.entries} entries, "
                f"{counts.orders} orders."
            )
