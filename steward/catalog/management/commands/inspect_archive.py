import os

from django.core.management.base import BaseCommand, CommandError

from steward.catalog.inspection import REJECTED, inspect_archive
from steward.catalog.services import inspection_limits
from steward.lib.console import (
    CountingReader,
    Progress,
    add_output_arguments,
    format_size,
    progress_wanted,
    quiet_from,
    write_json,
)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Inspect an archive on disk as an uploaded one is inspected (same STEWARD_INSPECTION_* "
        "limits), without storing anything: whether it is safe to unpack, what it holds, and "
        "the findings reviewers would see. Exits with status 1 when it would be rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .tar, .tar.gz, .tar.bz2, .tar.xz or .zip file")
        parser.add_argument(
            "--locale", default="", help="the declared language, e.g. sw (checks sampled text)"
        )
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"file": S, "status": "passed"|"warnings"|"rejected", "reason": S, '
                '"report": {...}}: the whole report reviewers see (archive, totals, files, '
                "tables, audio, text, findings, ...)"
            ),
        )

    def handle(self, *args, file, locale, **options):
        try:
            stream = open(file, "rb")  # noqa: SIM115
            size = os.fstat(stream.fileno()).st_size
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        show = progress_wanted(self.stderr, quiet=quiet_from(options))
        progress = Progress(self.stderr, label="Inspecting", total=size, unit="bytes", enabled=show)
        with stream, progress:
            result = inspect_archive(
                CountingReader(stream, progress),
                declared_locale=locale,
                limits=inspection_limits(),
            )
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "file": file,
                    "status": result.status,
                    "reason": result.reason,
                    "report": result.report,
                },
            )
        else:
            self._describe(file, result)
        if result.status == REJECTED:
            raise CommandError(f"{file} would be rejected: {result.reason}")

    def _describe(self, file, result) -> None:
        report = result.report
        findings = report.get("findings", [])
        status = {"passed": "passed", "warnings": f"passed with {_n(len(findings), 'finding')}"}
        self.stdout.write(f"{file}: {status.get(result.status, result.status)}")
        totals = report.get("totals", {})
        archive = report.get("archive", {})
        if archive.get("format"):
            kinds = ", ".join(
                f"{counts['files']} {kind}" for kind, counts in totals["by_kind"].items()
            )
            self.stdout.write(
                f"  {archive['format']}: {_n(totals['files'], 'file')} ({kinds or 'none'}),"
                f" {format_size(totals['bytes'])} from {format_size(archive['compressed_bytes'])}"
            )
        audio = report.get("audio")
        if audio:
            self.stdout.write(
                f"  audio: {_n(audio['clips'], 'clip')}, {audio['measured']} measured,"
                f" {audio['seconds']} seconds"
            )
        text = report.get("text")
        if text:
            self.stdout.write(
                f"  text: {_n(text['files'], 'file')}, {_n(text['lines'], 'line')},"
                f" {_n(text['characters'], 'character')}"
            )
        for finding in findings:
            self.stdout.write(f"  finding {finding['code']}: {finding['message']}")
