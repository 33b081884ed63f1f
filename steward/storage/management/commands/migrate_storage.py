from dataclasses import asdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from steward.lib.console import (
    add_output_arguments,
    format_size,
    progress_maker,
    write_json,
)
from steward.storage import objectstore
from steward.storage.migration import MigrationError, migrate_storage


class Command(BaseCommand):
    help = (
        "Copy every stored file to another store (local folder or S3) and check each copy's "
        "SHA-256 there; the site keeps reading meanwhile. Run it again after an interruption: "
        "files already verified are skipped. docs/deploy.md describes the whole move."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", required=True, choices=["s3", "local"], help="the store to move files to"
        )
        parser.add_argument(
            "--delete-source",
            action="store_true",
            help="once every file is verified in the target, delete the files from the source "
            "(only when Steward's configuration already stores files in the target)",
        )
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="read every copy in the target again, even those a previous run verified",
        )
        add_output_arguments(
            parser,
            progress=True,
            json_help=(
                'print {"source": S, "target": S, "files": N, "bytes": N, "copied": N, '
                '"present": N, "already_verified": N, "deleted": N, "problems": [S], '
                '"next_step": S}: what was copied, found identical, or verified before, and '
                "each file that could not be moved"
            ),
        )

    def handle(self, *args, to, delete_source, recheck, **options):
        make_progress = progress_maker(self.stderr, options)

        try:
            report = migrate_storage(
                to, delete_source=delete_source, recheck=recheck, make_progress=make_progress
            )
        except MigrationError as exc:
            raise CommandError(str(exc)) from None
        step = "" if report.problems else next_step(to)
        if options["json"]:
            write_json(self.stdout, {**asdict(report), "next_step": step})
        else:
            for problem in report.problems:
                self.stderr.write(problem)
            self.stdout.write(
                f"{report.files} files ({format_size(report.bytes)}) in {to}: {report.copied} "
                f"copied, {report.present} already there, {report.already_verified} verified "
                f"before; {len(report.problems)} could not be moved."
            )
            if report.deleted:
                self.stdout.write(f"Deleted {report.deleted} files from {report.source}.")
            if step:
                self.stdout.write(step)
        if report.problems:
            raise CommandError(
                f"{len(report.problems)} file(s) could not be moved; nothing was deleted. "
                "Run the command again once they are repaired."
            )


def next_step(to: str) -> str:
    """What the operator does next, from the configuration this command runs with."""
    source = "local" if to == "s3" else "s3"
    moving_from = settings.STEWARD_STORAGE_MIGRATING_FROM
    if objectstore.get_store().kind != to:
        return (
            f"Every file is also in {to}. Now switch: set STEWARD_STORAGE_MIGRATING_FROM="
            f"{source} (keeping the S3 settings), restart Steward, and run this command again "
            "to copy the files stored meanwhile."
        )
    if moving_from == source:
        unset = "STEWARD_STORAGE_MIGRATING_FROM" + (" and STEWARD_S3_*" if to == "local" else "")
        return (
            f"Every file is in {to}. Remove {unset} and restart Steward; to free the {source} "
            "store first, run this command again with --delete-source."
        )
    # Only reached for S3, the store these settings select, which the running site may not
    # use yet when they were given to this command alone.
    return (
        f"Every file is in {to}. If the running Steward still stores files in {source}, "
        f"switch now: give it these S3 settings and STEWARD_STORAGE_MIGRATING_FROM={source}, "
        "restart it, and run this command again."
    )
