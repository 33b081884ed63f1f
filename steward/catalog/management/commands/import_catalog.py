from django.core.management.base import BaseCommand, CommandError

from steward.catalog.services import import_catalog


class Command(BaseCommand):
    help = "Import datasets from a JSON-lines file in the MDC dataset shape (idempotent by slug)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl file, one dataset per line ('-' for stdin)")

    def handle(self, *args, file, **options):
        import sys

        try:
            stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        with stream:
            try:
                report = import_catalog(stream)
            except UnicodeDecodeError as exc:
                raise CommandError(f"{file} is not UTF-8 text ({exc.reason})") from None
        for name in report.unknown_fields:
            self.stderr.write(f"warning: unknown field {name!r} ignored")
        for number, reason in report.errors:
            self.stderr.write(f"line {number}: {reason}")
        self.stdout.write(f"Imported: {report.summary}.")
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("No line could be imported.")
