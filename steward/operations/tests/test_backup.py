"""`steward backup` and `steward restore`: a whole installation (rows, audit chain, ledger,
stored files) comes back exactly, on either database and either store; a damaged or
mismatched backup is refused before anything is written."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from steward.accounts.models import User
from steward.accounts.services import create_user
from steward.audit.models import AuditEvent
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset
from steward.lib.console import Progress
from steward.operations.backup import create_backup
from steward.payments.tests.sales import priced_dataset, sell
from steward.storage import objectstore
from steward.storage.models import Blob

# Each command runs in transactions of its own, as it does for an operator (the backup's
# snapshot, the restore's single transaction); PostgreSQL refuses to empty tables that the
# same transaction has just written.
pytestmark = pytest.mark.django_db(transaction=True)

ARCHIVE = os.urandom(200_000)
SAMPLE = b"sample bytes " * 100


def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table, read with the ORM alone (not with the backup's code)."""
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def stored_files() -> dict[str, bytes]:
    store = objectstore.get_store()
    files = {}
    for key in Blob.objects.values_list("key", flat=True):
        with store.open(key) as f:
            files[key] = f.read()
    return files


def run(command: str, *args: str) -> dict:
    out = io.StringIO()
    call_command(command, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def download(client, dataset: Dataset, auth: dict) -> bytes:
    link = client.post(f"/api/datasets/{dataset.public_id}/download", **auth)
    assert link.status_code == 200, link.content
    response = client.get(link.json()["downloadUrl"])
    if response.status_code == 302:  # S3 serves it
        return requests.get(response["Location"], timeout=30).content
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def installation(organization, owner, member, outsider, staff, client, auth_for):
    """Datasets with files, a paid order with its ledger postings and grant, a download, and
    the audit events all of it recorded."""
    public = make_dataset(organization, slug="public-speech", archive=ARCHIVE, sample=SAMPLE)
    sell(priced_dataset(organization), outsider, staff=staff)
    auth = auth_for(member)
    assert download(client, public, auth) == ARCHIVE
    return {"dataset": public, "auth": auth}


def wipe_database() -> None:
    """A database as `steward migrate` leaves it: no data, and content types and permissions
    made again, under other ids than the backup's."""
    call_command("flush", interactive=False, verbosity=0)


def fresh_storage(settings, tmp_path, storage_backend, s3_client=None) -> None:
    if storage_backend == "s3":
        settings.STEWARD_S3_BUCKET += "-new"
        s3_client.create_bucket(Bucket=settings.STEWARD_S3_BUCKET)
    else:
        settings.STEWARD_FILES_DIR = tmp_path / "new-files"


def no_files_stored(settings) -> bool:
    root = Path(settings.STEWARD_FILES_DIR)
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_a_restore_brings_back_every_row_and_file(
    request, storage_backend, installation, settings, tmp_path, client
):
    s3_client = request.getfixturevalue("s3_storage") if storage_backend == "s3" else None
    rows, files = table_rows(), stored_files()
    assert len(files) == 3 and AuditEvent.objects.count() > 5
    destination = tmp_path / "backup"

    made = run("backup", str(destination))

    assert made["files"] == 3 and made["audit_ok"] and made["ledger_ok"]
    assert made["rows"] == sum(len(r) for r in rows.values())
    wipe_database()
    fresh_storage(settings, tmp_path, storage_backend, s3_client)
    assert stored_files() == {} and not User.objects.exists()

    restored = run("restore", str(destination))

    assert (restored["rows"], restored["files_copied"]) == (made["rows"], 3)
    assert restored["audit_ok"] and restored["ledger_ok"]
    after = table_rows()
    # The restore appends one audit event of its own; everything else is as it was.
    events = after.pop("audit.auditevent")
    assert events[:-1] == rows.pop("audit.auditevent")
    assert AuditEvent.objects.order_by("seq").last().action == "operations.backup.restored"
    after.pop("audit.auditchainhead"), rows.pop("audit.auditchainhead")
    for table, table_rows_before in rows.items():
        assert after[table] == table_rows_before, table
    assert stored_files() == files
    call_command("audit", "verify", stdout=io.StringIO())
    call_command("ledger", "verify", stdout=io.StringIO())
    # The member's API key, the grant and the file: the restored site serves the download.
    assert download(client, installation["dataset"], installation["auth"]) == ARCHIVE
    # The search index (on SQLite a table of its own, filled by triggers) finds it again.
    found = client.get("/api/datasets?q=lingala").json()["items"]
    assert {d["slug"] for d in found} == {"public-speech", "priced"}
    # New rows follow the restored ones (the id sequences moved on).
    assert make_dataset(installation["dataset"].organization, slug="after").pk


@pytest.fixture
def backup(installation, tmp_path) -> Path:
    destination = tmp_path / "backup"
    run("backup", str(destination))
    return destination


@pytest.fixture
def fresh(backup, settings, tmp_path):
    """After the backup: an empty database and an empty file store to restore into."""
    wipe_database()
    fresh_storage(settings, tmp_path, "local")


def assert_nothing_written(settings) -> None:
    assert not User.objects.exists() and not AuditEvent.objects.exists()
    assert no_files_stored(settings)


def test_a_truncated_dump_is_refused(backup, fresh, settings):
    dump = backup / "database.jsonl.gz"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])

    with pytest.raises(CommandError, match="database.jsonl.gz is missing or damaged"):
        run("restore", str(backup))
    assert_nothing_written(settings)


def test_a_changed_file_is_refused(backup, fresh, settings):
    entry = json.loads((backup / "files.jsonl").read_text().splitlines()[0])
    path = backup / "files" / entry["key"]
    path.write_bytes(b"Y" + path.read_bytes()[1:])

    with pytest.raises(CommandError, match="changed in the backup") as refused:
        run("restore", str(backup))
    assert entry["key"] in str(refused.value)
    assert_nothing_written(settings)


def test_a_missing_file_is_refused(backup, fresh, settings):
    entry = json.loads((backup / "files.jsonl").read_text().splitlines()[-1])
    (backup / "files" / entry["key"]).unlink()

    with pytest.raises(CommandError, match=f"{entry['key']}: missing in the backup"):
        run("restore", str(backup))
    assert_nothing_written(settings)


def test_a_folder_without_a_manifest_is_not_a_backup(backup, fresh, settings):
    (backup / "manifest.json").unlink()

    with pytest.raises(CommandError, match="not a Steward backup"):
        run("restore", str(backup))
    assert_nothing_written(settings)


def test_a_backup_of_another_schema_is_refused(backup, fresh, settings):
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["migrations"].append("catalog.9999_from_the_future")
    (backup / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="catalog.9999_from_the_future"):
        run("restore", str(backup))
    assert_nothing_written(settings)


def test_rows_that_do_not_fit_together_leave_nothing_behind(backup, fresh, settings):
    # A dump whose checksums are right but which lacks every user: the rows pointing at
    # users cannot be loaded, and the files copied before the rows must go again.
    dump, manifest_path = backup / "database.jsonl.gz", backup / "manifest.json"
    lines, in_users = [], False
    with gzip.open(dump, "rt") as f:
        for line in f:
            if line.startswith("{"):
                in_users = json.loads(line)["model"] == "accounts.user"
            elif in_users:
                continue
            lines.append(line)
    with gzip.open(dump, "wt") as f:
        f.writelines(lines)
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    for table in manifest["tables"]:
        if table["model"] == "accounts.user":
            table["rows"] = 0
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="refused the backup's rows"):
        run("restore", str(backup))
    assert_nothing_written(settings)


def test_a_database_with_data_is_refused_unless_forced(backup, settings, tmp_path):
    rows = table_rows()
    with pytest.raises(CommandError, match="already holds data"):
        run("restore", str(backup))
    assert table_rows() == rows

    make_dataset(Dataset.objects.first().organization, slug="made-after-the-backup")
    restored = run("restore", str(backup), "--force")

    assert restored["files_present"] == 3 and restored["files_copied"] == 0
    assert not Dataset.objects.filter(slug="made-after-the-backup").exists()
    after = table_rows()
    for table in ("accounts.user", "catalog.dataset", "payments.entry", "storage.blob"):
        assert after[table] == rows[table]


def test_check_reads_everything_and_changes_nothing(backup, settings):
    rows = table_rows()

    checked = run("restore", str(backup), "--check")

    assert checked["checked_only"] and checked["files"] == 3
    assert table_rows() == rows


def test_a_backup_without_files_restores_against_the_store_that_holds_them(
    installation, settings, tmp_path
):
    destination = tmp_path / "rows-only"
    made = run("backup", str(destination), "--no-files")
    assert not made["files_included"] and not (destination / "files").exists()
    listed = [json.loads(line) for line in (destination / "files.jsonl").read_text().splitlines()]
    assert {e["key"] for e in listed} == set(Blob.objects.values_list("key", flat=True))
    files = stored_files()
    wipe_database()

    restored = run("restore", str(destination))

    assert restored["files"] == 3 and restored["files_copied"] == 0
    assert stored_files() == files


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_a_backup_without_files_is_refused_when_the_store_lost_one(
    installation, settings, tmp_path, damage
):
    destination = tmp_path / "rows-only"
    run("backup", str(destination), "--no-files")
    key = Blob.objects.order_by("id").first().key
    path = objectstore.local_store().path(key)
    path.unlink() if damage == "missing" else path.write_bytes(b"other bytes")
    wipe_database()

    with pytest.raises(CommandError, match=f"{key}: {damage} in the local store"):
        run("restore", str(destination))
    assert not User.objects.exists()


def test_a_damaged_stored_file_fails_the_backup_and_leaves_no_folder(installation, tmp_path):
    key = Blob.objects.order_by("id").first().key
    objectstore.local_store().path(key).write_bytes(b"damaged")
    destination = tmp_path / "backup"

    with pytest.raises(CommandError, match=key):
        run("backup", str(destination))
    assert not destination.exists() and not (tmp_path / "backup.partial").exists()


def test_the_destination_must_be_new(installation, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        run("backup", str(tmp_path / "taken"))


def test_text_output_and_progress_bars(installation, tmp_path, monkeypatch):
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    out, err = io.StringIO(), io.StringIO()

    call_command("backup", str(tmp_path / "b"), stdout=out, stderr=err)

    assert "Backing up rows" in err.getvalue() and "Backing up files" in err.getvalue()
    assert "and 3 files" in out.getvalue()
    out = io.StringIO()
    call_command("restore", str(tmp_path / "b"), "--check", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("Backup checked:")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_the_backup_reads_one_snapshot_while_the_site_writes(installation, tmp_path):
    rows_before = {table: len(rows) for table, rows in table_rows().items()}
    written = []

    def sign_up_meanwhile() -> None:
        try:
            written.append(create_user("late", email="late@example.org", password="x-long-pw-1"))
        finally:
            connection.close()  # this thread's own connection

    def make_progress(**kwargs) -> Progress:
        progress = Progress(io.StringIO(), enabled=False, **kwargs)
        advance = progress.advance

        def advance_and_write(n: int = 1) -> None:
            if kwargs["label"] == "Backing up rows" and not written:
                writer = threading.Thread(target=sign_up_meanwhile)
                writer.start()
                writer.join(timeout=20)
                assert written, "the backup held the site's write back"
            advance(n)

        progress.advance = advance_and_write
        return progress

    create_backup(tmp_path / "b", make_progress=make_progress)

    assert User.objects.filter(username="late").exists()
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    # Every table as it was when the backup began, before or after the new user's rows.
    assert {t["model"]: t["rows"] for t in manifest["tables"]} == rows_before
    with gzip.open(tmp_path / "b" / "database.jsonl.gz", "rt") as dump:
        assert "late@example.org" not in dump.read()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="restores into PostgreSQL")
def test_a_sqlite_backup_restores_into_postgresql(tmp_path, settings, client):
    """The way from SQLite to PostgreSQL: back up the SQLite installation, restore here."""
    home = tmp_path / "sqlite-home"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["STEWARD_HOME"] = str(home)
    seed = (
        "from steward.organizations.services import create_organization;"
        "from steward.catalog.tests.factories import make_dataset;"
        "from steward.accounts.services import create_user, create_api_key;"
        "from steward.payments.tests.sales import priced_dataset, sell;"
        "org = create_organization('coop', name='Co-op', approved=True, country='KE');"
        "staff = create_user('staff', email='s@example.org', password='x-long-pass-1',"
        " is_staff=True);"
        "buyer = create_user('buyer', email='b@example.org', password='x-long-pass-2');"
        f"make_dataset(org, slug='open', archive=bytes.fromhex('{ARCHIVE[:5000].hex()}'));"
        "sell(priced_dataset(org), buyer, staff=staff);"
        "print(create_api_key(buyer)[1])"
    )
    for args in (["migrate", "-v0"], ["shell", "-c", seed], ["backup", str(tmp_path / "b")]):
        done = subprocess.run(
            [sys.executable, "-m", "steward", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        if args[0] == "shell":
            key = done.stdout.strip().splitlines()[-1]
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["database_vendor"] == "sqlite"
    wipe_database()

    restored = run("restore", str(tmp_path / "b"))

    assert restored["audit_ok"] and restored["ledger_ok"] and restored["files_copied"] == 2
    call_command("audit", "verify", stdout=io.StringIO())
    call_command("ledger", "verify", stdout=io.StringIO())
    dataset = Dataset.objects.get(slug="open")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert download(client, dataset, auth) == ARCHIVE[:5000]
    shutil.rmtree(home)
