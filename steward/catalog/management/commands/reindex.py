from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from steward.catalog.models import Dataset
from steward.catalog.services import reindex_datasets
from steward.lib.console import (
    Progress,
    add_output_arguments,
    progress_wanted,
    quiet_from,
    write_json,
)

BATCH = 500


class Command(BaseCommand):
    help = (
        "Rebuild the search index: each dataset's searched words and filter values, from its "
        "current version, its language and its organization. Run it after an upgrade that "
        "changes how datasets are indexed, or after editing organizations or languages in the "
        "admin; the site stays up meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; exit with status 1 when a dataset's index entry is out of date",
        )
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"checked": N, "stale": N, "updated": N}: datasets read, those whose '
                "entry was out of date, and those rewritten (0 with --check)"
            ),
        )

    def handle(self, *args, check, **options):
        show = progress_wanted(self.stderr, quiet=quiet_from(options))
        total = Dataset.objects.count()
        checked = stale = 0
        last_id = 0
        with Progress(
            self.stderr, label="Re-indexing", total=total, unit="datasets", enabled=show
        ) as progress:
            while True:
                batch, changed = reindex_datasets(after=last_id, write=not check, size=BATCH)
                if not batch:
                    break
                last_id = batch[-1].pk
                checked += len(batch)
                stale += changed
                progress.advance(len(batch))
        if not check and connection.vendor == "sqlite":
            # The FTS5 table (catalog/migrations/_fulltext.py) copies the columns through
            # triggers; rebuilding it also repairs what a lost trigger let drift.
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO catalog_dataset_fts(catalog_dataset_fts) VALUES ('rebuild')"
                )
        updated = 0 if check else stale
        if options["json"]:
            write_json(self.stdout, {"checked": checked, "stale": stale, "updated": updated})
        elif check:
            self.stdout.write(f"Search index checked: {checked} datasets, {stale} out of date.")
        else:
            self.stdout.write(f"Search index rebuilt: {checked} datasets, {updated} updated.")
        if check and stale:
            raise CommandError(f"{stale} dataset(s) need `steward reindex`.")
