from django.core.management.base import BaseCommand, CommandError

from steward.accounts import services
from steward.lib.console import add_output_arguments, write_json
from steward.lib.errors import DomainError


class Command(BaseCommand):
    help = "Manage API keys: `apikeys create USER [--name N]` prints a new key once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it alone on stdout")
        create.add_argument("username")
        create.add_argument("--name", default="", help="a label for the key")
        add_output_arguments(
            create,
            json_help=(
                'print {"key": S, "prefix": S, "name": S, "username": S, "created_at": S} '
                "instead of the key alone"
            ),
        )

    def handle(self, *args, action, username, name, **options):
        try:
            user = services.get_user(username)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        api_key, secret = services.create_api_key(user, name=name or "created by steward apikeys")
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "key": secret,
                    "prefix": api_key.prefix,
                    "name": api_key.name,
                    "username": user.username,
                    "created_at": api_key.created_at,
                },
            )
            return
        # The key alone on stdout, so scripts can capture it; it is not shown again.
        self.stdout.write(secret)
        self.stderr.write(f"Created key {api_key.prefix} for {user.username}; store it now.")
