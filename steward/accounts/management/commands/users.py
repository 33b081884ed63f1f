import sys

from django.core.management.base import BaseCommand, CommandError

from steward.accounts import services
from steward.lib.console import add_output_arguments, write_json
from steward.lib.errors import DomainError


class Command(BaseCommand):
    help = "Manage users: `users add NAME --email E [--staff] [--password-stdin]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("username")
        add.add_argument("--email", required=True)
        add.add_argument("--name", default="", help="full name")
        add.add_argument("--staff", action="store_true", help="platform staff (reviewer)")
        add.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        add_output_arguments(
            add,
            json_help=(
                'print {"username": S, "email": S, "full_name": S, "is_staff": B, '
                '"has_password": B} instead of text'
            ),
        )

    def handle(self, *args, action, **options):
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("No password on standard input.")
        try:
            user = services.create_user(
                options["username"],
                email=options["email"],
                password=password,
                is_staff=options["staff"],
                full_name=options["name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            write_json(
                self.stdout,
                {
                    "username": user.username,
                    "email": user.email,
                    "full_name": user.full_name,
                    "is_staff": user.is_staff,
                    "has_password": user.has_usable_password(),
                },
            )
            return
        self.stdout.write(f"Created user {user.username}{' (staff)' if user.is_staff else ''}.")
