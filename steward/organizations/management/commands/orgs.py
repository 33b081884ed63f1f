from django.core.management.base import BaseCommand, CommandError

from steward.accounts.services import get_user
from steward.lib.console import add_output_arguments, write_json
from steward.lib.errors import DomainError
from steward.organizations import services


class Command(BaseCommand):
    help = (
        "Manage organizations: `orgs add SLUG --name N --owner USER [--approved]`, "
        "`orgs approve SLUG`, `orgs reject SLUG --reason R`."
    )

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
        approve = sub.add_parser("approve", help="approve an organization (emails its owners)")
        approve.add_argument("slug")
        reject = sub.add_parser("reject", help="reject an application (emails the reason)")
        reject.add_argument("slug")
        reject.add_argument("--reason", required=True, help="sent to the applicant")
        for subparser in (add, approve, reject):
            add_output_arguments(
                subparser,
                json_help='print {"slug": S, "name": S, "status": S, "country": S} instead of text',
            )

    def handle(self, *args, action, **options):
        handler = {"add": self.add, "approve": self.approve, "reject": self.reject}[action]
        try:
            handler(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def add(self, **options):
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
        if not self._json(org, options):
            self.stdout.write(f"Created organization {org.slug} ({org.get_status_display()}).")

    def approve(self, **options):
        org = services.get_organization(options["slug"])
        org = services.approve_organization(org, actor=None)
        if not self._json(org, options):
            self.stdout.write(f"Organization {org.slug} is {org.get_status_display().lower()}.")

    def reject(self, **options):
        org = services.get_organization(options["slug"])
        org = services.reject_organization(org, actor=None, reason=options["reason"])
        if not self._json(org, options):
            self.stdout.write(f"Organization {org.slug} is {org.get_status_display().lower()}.")

    def _json(self, org, options) -> bool:
        """With --json, the organization as one JSON object; False without it."""
        if not options["json"]:
            return False
        write_json(
            self.stdout,
            {"slug": org.slug, "name": org.name, "status": org.status, "country": org.country},
        )
        return True
