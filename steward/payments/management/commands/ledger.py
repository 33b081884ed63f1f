from django.core.management.base import BaseCommand, CommandError

from steward.payments import ledger


class Command(BaseCommand):
    help = "The payments ledger: `ledger verify` checks every posting against orders and payouts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check balances, orders, refunds and payouts")

    def handle(self, *args, action, **options):
        problems = ledger.verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Ledger verification found {len(problems)} problem(s).")
        counts = ledger.counts()
        self.stdout.write(
            f"Ledger verified: {counts.transactions} transactions, {counts.entries} entries, "
            f"{counts.orders} orders."
        )
