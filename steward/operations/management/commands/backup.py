from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steward.lib.console import (
    add_output_arguments,
    format_size,
    progress_maker,
    write_json,
)
from steward.operations.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (every table, from one consistent snapshot, in a form that "
        "SQLite and PostgreSQL both restore) and every stored file into a new folder DEST. "
        "The site can keep running. `steward restore DEST` puts it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", metavar="DEST", help="a folder that does not exist yet")
        parser.add_argument(
            "--no-files",
            action="store_true",
            help="leave the stored files out, listing them only (for a bucket backed up by its "
            "own means); a restore then checks that storage holds each of them",
        )
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"path": S, "tables": N, "rows": N, "files": N, "bytes": N, '
                '"files_included": B, "audit_ok": B, "ledger_ok": B}'
            ),
        )

    def handle(self, *args, destination, no_files, **options):
        make_progress = progress_maker(self.stderr, options)

        try:
            summary = create_backup(
                Path(destination), include_files=not no_files, make_progress=make_progress
            )
        except BackupError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            write_json(self.stdout, asdict(summary))
            return
        files = "with their bytes" if summary.files_included else "listed only (--no-files)"
        self.stdout.write(
            f"Backed up {summary.rows} rows of {summary.tables} tables and {summary.files} files "
            f"({format_size(summary.bytes)}, {files}) to {summary.path}."
        )
        if not summary.audit_ok or not summary.ledger_ok:
            self.stderr.write(
                "Warning: `steward audit verify` or `steward ledger verify` finds problems in "
                "this database; the backup holds it as it is."
            )
