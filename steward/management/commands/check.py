from django.apps import apps
from django.core import checks
from django.core.management.base import CommandError
from django.core.management.commands import check

from steward.lib.console import write_json


class Command(check.Command):
    """Django's `check`, plus `--json` for deployment scripts."""

    help = (
        "Check the configuration (add --deploy for production checks). Exits with status 1 "
        "when a message reaches --fail-level."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--json",
            action="store_true",
            help=(
                'print {"ok": B, "messages": [{"id": S, "level": "debug"|"info"|"warning"|'
                '"error"|"critical", "message": S, "hint": S|null, "object": S|null}]}; '
                "silenced messages are left out"
            ),
        )

    def handle(self, *app_labels, **options):
        if not options["json"] or options["list_tags"]:
            return super().handle(*app_labels, **options)
        for tag in options["tags"] or []:
            if not checks.tag_exists(tag, options["deploy"]):
                raise CommandError(f'There is no system check with the "{tag}" tag.')
        messages = [
            message
            for message in checks.run_checks(
                app_configs=[apps.get_app_config(label) for label in app_labels] or None,
                tags=options["tags"],
                include_deployment_checks=options["deploy"],
                databases=options["databases"],
            )
            if not message.is_silenced()
        ]
        fail_level = getattr(checks, options["fail_level"])
        failed = [m for m in messages if m.level >= fail_level]
        write_json(
            self.stdout,
            {
                "ok": not failed,
                "messages": [
                    {
                        "id": m.id,
                        "level": _level_name(m.level),
                        "message": m.msg,
                        "hint": m.hint,
                        "object": None if m.obj is None else str(m.obj),
                    }
                    for m in messages
                ],
            },
        )
        if failed:
            raise CommandError(f"System check found {len(failed)} problem(s).")


def _level_name(level: int) -> str:
    for name in ("CRITICAL", "ERROR", "WARNING", "INFO"):
        if level >= getattr(checks, name):
            return name.lower()
    return "debug"
