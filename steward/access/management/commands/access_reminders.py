from django.core.management.base import BaseCommand

from steward.access.services import lapse_deletion_requests, remind_expiring_grants
from steward.lib.console import add_output_arguments, write_json


class Command(BaseCommand):
    help = (
        "Email holders whose access ends within 14 days, and record in the audit log each"
        " request to delete a withdrawn version left unconfirmed past its deadline (run it"
        " daily from a scheduler)."
    )

    def add_arguments(self, parser):
        add_output_arguments(
            parser,
            json_help=(
                'print {"reminded": N, "lapsed": N}: grant holders emailed, and deletion '
                "requests newly recorded as unconfirmed past their deadline"
            ),
        )

    def handle(self, *args, **options):
        reminded = remind_expiring_grants()
        lapsed = lapse_deletion_requests()
        if options["json"]:
            write_json(self.stdout, {"reminded": reminded, "lapsed": lapsed})
            return
        self.stdout.write(
            f"Reminded {reminded} grant holder{'' if reminded == 1 else 's'};"
            f" {lapsed} deletion request{'' if lapsed == 1 else 's'} passed their deadline"
            " unconfirmed."
        )
