from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steward.lib.console import (
    add_output_arguments,
    format_size,
    progress_maker,
    write_json,
)
from steward.operations.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `steward backup` into this installation's database and "
        "storage. Everything is checked first (checksums of the dump and of every file, the "
        "schema, an empty database); on any failure nothing is changed. Stop the site first."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SRC", help="the backup's folder")
        parser.add_argument(
            "--check",
            action="store_true",
            help="check the backup against this installation as a restore would, change nothing",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace everything in a database that already holds data",
        )
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"tables": N, "rows": N, "files": N, "bytes": N, "files_copied": N, '
                '"files_present": N, "checked_only": B, "made_at": S, "audit_events": N, '
                '"audit_ok": B, "ledger_ok": B}'
            ),
        )

    def handle(self, *args, source, check, force, **options):
        make_progress = progress_maker(self.stderr, options)

        try:
            summary = restore_backup(
                Path(source), force=force, check_only=check, make_progress=make_progress
            )
        except BackupError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            write_json(self.stdout, asdict(summary))
            return
        what = (
            f"{summary.rows} rows of {summary.tables} tables and {summary.files} files "
            f"({format_size(summary.bytes)}), made {summary.made_at}"
        )
        if summary.checked_only:
            self.stdout.write(f"Backup checked: {what}. Nothing was changed.")
            return
        self.stdout.write(
            f"Restored {what}: {summary.files_copied} files copied into storage, "
            f"{summary.files_present} already there."
        )
        if summary.audit_ok and summary.ledger_ok:
            self.stdout.write(
                f"The audit log ({summary.audit_events} events) and the ledger verify."
            )
        else:
            self.stderr.write(
                "Warning: the audit log or the ledger did not verify when the backup was made, "
                "and still does not: see `steward audit verify` and `steward ledger verify`."
            )
