from django.core.management.base import BaseCommand, CommandError

from steward.accounts.services import get_user
from steward.lib.errors import DomainError
from steward.organizations import services


class Command(BaseCommand):
    help = "Manage organizations: `orgs add SLUG --name N --owner USER [--approved]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create an organization")
        add.add_argument("slug")
        add.add_argument("--name", required=True)
        add.add_argument("--owner", required=True, help="username of the first owner")
        add.add_argument("--approved", action="store_true", help="approve it at once")
        add.add_argument("--country", default="")
        add.add_argument("--website", default="")
        add.add_argument("--description", default="")

    def handle(self, *args, action, **options):
        try:
            owner = get_user(options["owner"])
            org = services.create_organization(
                options["slug"],
                name=options["name"],
                owner=owner,
                approved=options["approved"],
                country=options["country"],
                website=options["website"],
                description=options["description"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created organization {org.slug} ({org.get_status_display()}).")
