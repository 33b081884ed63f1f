from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run background tasks (checksums of large uploads, file inspections) from the "
        "database queue. Run it beside `steward serve`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run the tasks waiting now, then exit"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="exit after running this many tasks"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at an empty queue (default 1)",
        )

    def handle(self, *args, batch, max_tasks, interval, verbosity, **options):
        # django-tasks-db's worker, on every queue; never with its autoreloader, which
        # could stop a task half-way.
        argv = ["--queue-name", "*", "--interval", str(interval), "--no-reload"]
        if batch:
            argv += ["--batch", "--no-startup-delay"]
        if max_tasks is not None:
            argv += ["--max-tasks", str(max_tasks)]
        call_command("db_worker", *argv, verbosity=verbosity)
