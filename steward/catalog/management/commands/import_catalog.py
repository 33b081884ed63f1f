import os
import sys

from django.core.management.base import BaseCommand, CommandError

from steward.catalog.services import import_catalog
from steward.lib.console import (
    Progress,
    add_output_arguments,
    progress_wanted,
    quiet_from,
    write_json,
)


def count_lines(path: str) -> int:
    """The lines of a file, read in binary chunks: cheap next to importing them."""
    lines = 0
    last = b"\n"
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


class Command(BaseCommand):
    help = (
        "Import datasets from a JSON-lines file in the MDC dataset shape (idempotent by slug). "
        "Exits with status 1 when no line could be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl file, one dataset per line ('-' for stdin)")
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"created": N, "updated": N, "unchanged": N, "invalid": N, '
                '"errors": [{"line": N, "reason": S}], "unknown_fields": [S]} instead of text'
            ),
        )

    def handle(self, *args, file, **options):
        try:
            stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        show = progress_wanted(self.stderr, quiet=quiet_from(options))
        # Lines are counted as they are read; each batch of them is written just after. Only
        # a regular file is counted ahead: a pipe (`<(zcat ...)`) can be read only once.
        total = count_lines(file) if show and file != "-" and os.path.isfile(file) else None
        progress = Progress(self.stderr, label="Importing", total=total, unit="lines", enabled=show)
        with stream, progress:
            try:
                report = import_catalog(progress.track(stream))
            except UnicodeDecodeError as exc:
                raise CommandError(f"{file} is not UTF-8 text ({exc.reason})") from None
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "invalid": len(report.errors),
                    "errors": [{"line": n, "reason": reason} for n, reason in report.errors],
                    "unknown_fields": report.unknown_fields,
                },
            )
        else:
            for name in report.unknown_fields:
                self.stderr.write(f"warning: unknown field {name!r} ignored")
            for number, reason in report.errors:
                self.stderr.write(f"line {number}: {reason}")
            self.stdout.write(f"Imported: {report.summary}.")
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("No line could be imported.")
