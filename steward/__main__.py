"""The `steward` console script: Django's command runner with Steward's settings.

`steward seed-demo` runs the management command `seed_demo`; `steward --help` lists
the operator's commands."""

import os
import sys

# The operator's commands, in the order the README documents them.
COMMANDS = [
    ("migrate", "Create or upgrade the database tables."),
    ("seed-demo", "Create demo organizations, users and datasets with real files (idempotent)."),
    ("serve", "Run the production web server (gunicorn; static files through whitenoise)."),
    ("worker", "Run background tasks (upload checks, file inspections); run it beside serve."),
    ("check", "Check the configuration (add --deploy for production checks)."),
    ("users", "Manage users: `users add NAME --email E [--staff] [--password-stdin]`."),
    (
        "orgs",
        "Manage organizations: `orgs add`, `orgs approve SLUG`, `orgs reject SLUG --reason R`.",
    ),
    ("apikeys", "Manage API keys: `apikeys create USER [--name N]` prints a new key once."),
    ("import-catalog", "Import datasets from a JSON-lines file in the MDC dataset shape."),
    ("inspect-archive", "Inspect an archive on disk as an upload is inspected; store nothing."),
    ("reindex", "Rebuild the search index of every dataset (after upgrades or admin edits)."),
    (
        "submissions",
        "Review submissions: `list [--status S]`, `approve ID`, `reject ID --reason R`.",
    ),
    (
        "audit",
        "The audit log: `audit verify` checks that no entry was changed, removed or inserted.",
    ),
    (
        "ledger",
        "The payments ledger: `ledger verify` checks every posting against orders and payouts.",
    ),
    (
        "provenance",
        "Provenance bundles: `provenance verify FILE` checks a bundle against Steward's "
        "records and stored files (fails when the database cannot be reached; `--offline` "
        "checks the bundle alone).",
    ),
    ("expire-uploads", "Cancel uploads left unfinished too long (run daily)."),
    ("mcp", "Serve the catalogue to AI assistants over the Model Context Protocol."),
    (
        "access-reminders",
        "Remind holders of expiring access; record unconfirmed deletions (run daily).",
    ),
    ("backup", "Back up the database and every stored file into a new folder; the site stays up."),
    ("restore", "Restore a backup into an empty database (SQLite or PostgreSQL) and storage."),
    (
        "migrate-storage",
        "Move every stored file to S3 or back (`--to s3|local`), each copy checked; reads go on.",
    ),
]


def usage() -> str:
    width = max(len(name) for name, _ in COMMANDS)
    lines = ["usage: steward COMMAND [options]", "", "Commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS]
    lines += [
        "",
        "`steward COMMAND --help` describes a command's options; many take --json.",
        "Every Django management command also works (`steward help --commands` lists them).",
        "Settings come from environment variables; see the README.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(usage())
        return
    argv[1] = argv[1].replace("-", "_") if not argv[1].startswith("-") else argv[1]
    argv[0] = "steward"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
