from django.core.management.base import BaseCommand

from steward.catalog.demo import DEMO_PASSWORD, USERS, seed_demo


class Command(BaseCommand):
    help = "Create demo users, organizations and datasets with real files (idempotent)."

    def handle(self, *args, **options):
        report = seed_demo()
        if not report.created_anything:
            self.stdout.write(
                f"Demo data already exists ({report.existing} items); nothing created."
            )
        else:
            self.stdout.write(
                f"Created {len(report.created_users)} users, "
                f"{len(report.created_organizations)} organizations and "
                f"{len(report.created_datasets)} datasets ({report.existing} already existed)."
            )
        usernames = ", ".join(u.username for u in USERS)
        self.stdout.write(f"Demo users: {usernames} (password: {DEMO_PASSWORD}).")
