from django.core.management.base import BaseCommand

from steward.lib.console import add_output_arguments, write_json
from steward.storage.services import expire_uploads


class Command(BaseCommand):
    help = (
        "Cancel uploads left unfinished past STEWARD_UPLOAD_EXPIRY_DAYS and free their parts"
        " (run it daily from a scheduler)."
    )

    def add_arguments(self, parser):
        add_output_arguments(parser, json_help='print {"expired": N} instead of text')

    def handle(self, *args, **options):
        count = expire_uploads()
        if options["json"]:
            write_json(self.stdout, {"expired": count})
            return
        self.stdout.write(f"Expired {count} unfinished upload{'' if count == 1 else 's'}.")
