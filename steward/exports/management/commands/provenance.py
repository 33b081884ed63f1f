from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steward.exports.provenance import verify_bundle
from steward.lib.console import add_output_arguments, write_json


class Command(BaseCommand):
    help = (
        "Provenance bundles: `provenance verify FILE` checks a bundle downloaded from "
        "/api/datasets/{id}/versions/{n}/provenance (exit status 1 when anything differs, or "
        "when Steward's database cannot be reached to check it: --offline checks the bundle "
        "alone)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help=(
                "check every member against the manifest, the bundle against Steward's "
                "records and the stored files re-read from storage; fails when Steward's "
                "database cannot be reached, unless --offline"
            ),
        )
        verify.add_argument("file", type=Path, help="the bundle (.zip)")
        verify.add_argument(
            "--dataset-files",
            type=Path,
            metavar="DIR",
            help="also check the dataset's downloaded files in DIR against the bundle",
        )
        verify.add_argument(
            "--offline",
            action="store_true",
            help=(
                "check the bundle alone, without Steward's database and storage (a manifest "
                "rewritten to match changed members then goes unnoticed)"
            ),
        )
        add_output_arguments(
            verify,
            json_help=(
                'print {"ok": true|false, "file": S, "sha256": S, "dataset": S, "version": N, '
                '"checked": [S], "unchecked": [S], "problems": [S], "notes": [S]}: what the '
                "bundle was checked against, what could not be checked, and each difference "
                "found, in words"
            ),
        )

    def handle(self, *args, action, file, dataset_files, offline, **options):
        if dataset_files is not None and not dataset_files.is_dir():
            raise CommandError(f"--dataset-files: {dataset_files} is not a folder.")
        result = verify_bundle(file, dataset_files=dataset_files, use_database=not offline)
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "ok": result.ok,
                    "file": str(file),
                    "sha256": result.sha256,
                    "dataset": result.dataset,
                    "version": result.version,
                    "checked": result.checked,
                    "unchecked": result.unchecked,
                    "problems": result.problems,
                    "notes": result.notes,
                },
            )
        else:
            for checked in result.checked:
                self.stdout.write(f"Checked {checked}.")
            for note in result.notes:
                self.stdout.write(f"Note: {note}.")
            for unchecked in result.unchecked:
                self.stderr.write(f"Not checked: {unchecked}")
            for problem in result.problems:
                self.stderr.write(f"Differs: {problem}")
        if result.problems:
            raise CommandError(
                f"Provenance bundle {file} does not verify: {len(result.problems)} problem(s)."
            )
        if result.unchecked:
            raise CommandError(
                f"Provenance bundle {file} was not verified: Steward's database cannot be "
                "reached, so the bundle was not compared with Steward's records. Run with "
                "--offline to check the bundle alone."
            )
        if not options["json"]:
            self.stdout.write(
                f"Provenance bundle verified: dataset {result.dataset}, version "
                f"{result.version}, SHA-256 {result.sha256}."
            )
