from django.core.management.base import BaseCommand

from steward.storage.services import expire_uploads


class Command(BaseCommand):
    help = (
        "Cancel uploads left unfinished past STEWARD_UPLOAD_EXPIRY_DAYS and free their parts"
        " (run it daily from a scheduler)."
    )

    def handle(self, *args, **options):
        count = expire_uploads()
        self.stdout.write(f"Expired {count} unfinished upload{'' if count == 1 else 's'}.")
