"""Backups: every row of the database, the manifest of every stored file, and the files.

A backup is a folder:

    manifest.json       what it holds and the checksums to trust it by; written last
    database.jsonl.gz   every row of every table, table after table, parents first
    files.jsonl         one line per stored file (each Blob): key, size, SHA-256
    files/<key>         the files' bytes (not with --no-files)

Steward writes the rows itself, as JSON either database loads, rather than leaving it to
pg_dump or a copy of the SQLite file: a backup made on SQLite restores into PostgreSQL (the
way from one to the other) and back. Each table is streamed in primary-key order from one
consistent snapshot, so memory stays flat and the site keeps running. `dumpdata` would hold
no snapshot across tables and writes datetimes to the millisecond, which would change the
audit log's hashed content.

A restore checks everything before it writes anything: the checksums of the dump and of
every file, that the database schema is the backup's, and that the database holds no data.
It then copies the files into storage and loads every row in one transaction, committed only
when the constraints hold, every table has its rows and the audit log and the ledger verify
as they did at backup time. When it fails, the database is left as it was and the files it
had copied into storage are deleted again.
"""

import gzip
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from steward.audit.services import record, verify_chain
from steward.lib.console import Progress
from steward.lib.errors import DomainError
from steward.payments import ledger
from steward.storage import objectstore
from steward.storage.migration import copy_verified, no_progress
from steward.storage.models import Blob
from steward.storage.objectstore import LocalStore, StorageError, hash_object, hash_stream

FORMAT = "steward-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.jsonl.gz"
FILES = "files.jsonl"
FILES_DIR = "files"
CHUNK = 2000
# Tables that `steward migrate` fills by itself; the database still counts as empty with them.
SEEDED_BY_MIGRATIONS = {"contenttypes.contenttype", "auth.permission", "catalog.language"}
# Problems listed in one error; the rest are counted.
MAX_LISTED = 20

MakeProgress = Callable[..., Progress]


class BackupError(DomainError):
    """A backup that cannot be made or restored. Codes: exists, not_a_backup, unsupported,
    damaged, schema_mismatch, not_empty, files_missing, files_damaged, rows_rejected."""


def models_in_order() -> list[type[models.Model]]:
    """Every table Django manages (many-to-many tables included), each after the tables
    its foreign keys point to where no cycle prevents it."""
    candidates = sorted(
        (
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        ),
        key=lambda model: model._meta.label_lower,
    )
    known = set(candidates)
    ordered: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        for field_ in model._meta.concrete_fields:
            target = field_.related_model if field_.is_relation else None
            if target in known and target is not model:
                visit(target)
        ordered.append(model)

    for model in candidates:
        visit(model)
    return ordered


def _applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


def _sha256_of_file(path: Path) -> str:
    with path.open("rb") as source:
        return hash_stream(source)[1]


# Making a backup.


@dataclass
class BackupSummary:
    path: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    files_included: bool = True
    audit_ok: bool = True
    ledger_ok: bool = True


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the whole database for the length of the dump, without
    holding back the site's writes."""
    if connection.in_atomic_block:
        # Inside a caller's transaction, whose view is already the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite: Django's transactions begin IMMEDIATE and would take the write lock for the
    # whole dump; a deferred one reads a snapshot (WAL) while writers carry on.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def _dump_value(field_: models.Field, obj: models.Model) -> Any:
    value = field_.value_from_object(obj)
    if value is None or isinstance(field_, models.JSONField):
        return value
    if isinstance(value, bool | int | float | str):
        return value
    # Datetimes to the microsecond (isoformat), decimals, UUIDs, durations, bytes (base64):
    # each field's own text form, which its to_python() reads back.
    return field_.value_to_string(obj)


def _write_json_line(out, item: Any) -> None:
    out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


def create_backup(
    destination: Path, *, include_files: bool = True, make_progress: MakeProgress = no_progress
) -> BackupSummary:
    """Write a backup folder at `destination` (which must not exist yet); see the module's
    docstring. The folder appears only once complete: it is written beside it first."""
    destination = Path(destination).absolute()
    if destination.exists():
        raise BackupError(f"{destination} already exists; name a new folder", code="exists")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        summary = _write_backup(partial, include_files=include_files, make_progress=make_progress)
        partial.rename(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    summary.path = str(destination)
    return summary


def _write_backup(root: Path, *, include_files: bool, make_progress: MakeProgress):
    summary = BackupSummary(path=str(root), files_included=include_files)
    tables = []
    # The database's state is as of the snapshot, which begins now.
    created_at = timezone.now()
    with _snapshot():
        ordered = models_in_order()
        counts = {model: model._base_manager.count() for model in ordered}
        with (
            gzip.open(root / DATABASE, "wt", encoding="utf-8") as out,
            (root / FILES).open("w", encoding="utf-8") as files_out,
            make_progress(label="Backing up rows", total=sum(counts.values()), unit="rows") as bar,
        ):
            for model in ordered:
                fields = model._meta.concrete_fields
                _write_json_line(
                    out, {"model": model._meta.label_lower, "fields": [f.attname for f in fields]}
                )
                rows = 0
                for obj in model._base_manager.order_by("pk").iterator(chunk_size=CHUNK):
                    _write_json_line(out, [_dump_value(f, obj) for f in fields])
                    if model is Blob:
                        _write_json_line(
                            files_out,
                            {"key": obj.key, "size": obj.size_bytes, "sha256": obj.sha256},
                        )
                        summary.files += 1
                        summary.bytes += obj.size_bytes
                    rows += 1
                    bar.advance()
                tables.append({"model": model._meta.label_lower, "rows": rows})
                summary.rows += rows
        # Checked in the same snapshot: a restore must find them exactly as here.
        audit = verify_chain()
        problems = ledger.verify()
        migrations = _applied_migrations()
    summary.tables = len(tables)
    summary.audit_ok, summary.ledger_ok = audit.ok, not problems

    if include_files:
        _copy_files_into(root, summary, make_progress)

    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": created_at.isoformat(),
        "steward_version": version("steward"),
        "database_vendor": connection.vendor,
        "migrations": migrations,
        "tables": tables,
        "database": {"path": DATABASE, "sha256": _sha256_of_file(root / DATABASE)},
        "files": {
            "path": FILES,
            "sha256": _sha256_of_file(root / FILES),
            "count": summary.files,
            "bytes": summary.bytes,
            "included": include_files,
        },
        "checks": {
            "audit": {"ok": audit.ok, "events": audit.checked, "problem": audit.problem},
            "ledger": {"ok": not problems, "problems": problems[:MAX_LISTED]},
        },
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def _file_entries(root: Path) -> Iterator[dict[str, Any]]:
    with (root / FILES).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _raise_problems(problems: list[str], total: int, *, what: str, code: str) -> None:
    listed = "\n".join(f"  {problem}" for problem in problems)
    more = f"\n  ... and {total - len(problems)} more" if total > len(problems) else ""
    raise BackupError(f"{what}:\n{listed}{more}", code=code)


def _copy_files_into(root: Path, summary: BackupSummary, make_progress: MakeProgress) -> None:
    store = objectstore.get_store()
    target = LocalStore(root / FILES_DIR)
    problems: list[str] = []
    failed = 0
    with make_progress(label="Backing up files", total=summary.bytes, unit="bytes") as bar:
        for entry in _file_entries(root):
            try:
                copy_verified(
                    store, target, entry["key"], size=entry["size"], sha256=entry["sha256"],
                    progress=bar,
                )  # fmt: skip
            except StorageError as exc:
                failed += 1
                if len(problems) < MAX_LISTED:
                    problems.append(str(exc))
    if problems:
        _raise_problems(
            problems,
            failed,
            what=(
                "Stored files are missing or damaged, so no backup was written (back up the "
                "database alone with --no-files, and repair or restore these files)"
            ),
            code="files_damaged",
        )


# Restoring a backup.


@dataclass
class RestoreSummary:
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    files_copied: int = 0
    files_present: int = 0
    checked_only: bool = False
    made_at: str = ""
    audit_events: int = 0
    audit_ok: bool = True
    ledger_ok: bool = True


@dataclass
class Backup:
    root: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def files_included(self) -> bool:
        return bool(self.manifest["files"]["included"])


def open_backup(source: Path) -> Backup:
    """The backup at `source`, its manifest read and its dump and file list checked."""
    root = Path(source)
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{root} is not a Steward backup, or an unfinished one: it has no {MANIFEST}",
            code="not_a_backup",
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{root / MANIFEST} cannot be read: {exc}", code="damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{root / MANIFEST} is not a Steward backup manifest", code="not_a_backup"
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {manifest.get('version')}; this Steward reads "
            f"version {FORMAT_VERSION}",
            code="unsupported",
        )
    missing = {"created_at", "migrations", "tables", "database", "files", "checks"} - set(manifest)
    if missing:
        raise BackupError(
            f"{root / MANIFEST} lacks {', '.join(sorted(missing))}: it was changed or cut short",
            code="damaged",
        )
    backup = Backup(root=root, manifest=manifest)
    for part, name in (("database", DATABASE), ("files", FILES)):
        path = root / name
        if not path.is_file() or _sha256_of_file(path) != manifest[part]["sha256"]:
            raise BackupError(
                f"{path.name} is missing or damaged (truncated or changed since the backup was "
                "made): its SHA-256 is not the manifest's",
                code="damaged",
            )
    return backup


def _check_schema(backup: Backup) -> None:
    theirs, ours = set(backup.manifest["migrations"]), set(_applied_migrations())
    if theirs == ours:
        return
    if not ours:
        raise BackupError(
            "This database has no tables yet: run `steward migrate`, then restore",
            code="schema_mismatch",
        )
    only_theirs, only_ours = sorted(theirs - ours)[:5], sorted(ours - theirs)[:5]
    raise BackupError(
        f"The backup was made by Steward {backup.manifest.get('steward_version')} with another "
        "database schema than this one's (migrations only in the backup: "
        f"{', '.join(only_theirs) or 'none'}; only here: {', '.join(only_ours) or 'none'}). "
        "Restore it with the Steward version that made it and migrated as far, then upgrade",
        code="schema_mismatch",
    )


def _require_empty() -> None:
    for model in models_in_order():
        if model._meta.label_lower in SEEDED_BY_MIGRATIONS:
            continue
        if model._base_manager.exists():
            raise BackupError(
                f"This database already holds data ({model._meta.label_lower} has rows). "
                "Restore into a new database, or pass --force to replace everything in it",
                code="not_empty",
            )


def _check_files(backup: Backup, make_progress: MakeProgress) -> tuple[int, int]:
    """Read every file the backup lists, in the backup or, for a --no-files backup, in
    storage; raise unless each has its size and SHA-256. Returns (files, bytes)."""
    files = backup.manifest["files"]
    store = (
        LocalStore(backup.root / FILES_DIR) if backup.files_included else objectstore.get_store()
    )
    where = "in the backup" if backup.files_included else f"in the {store.kind} store"
    problems: list[str] = []
    failed = count = 0
    with make_progress(label="Checking files", total=files["bytes"], unit="bytes") as bar:
        for entry in _file_entries(backup.root):
            count += 1
            key = entry["key"]
            try:
                found = hash_object(store, key)
            except StorageError:
                found = None
            bar.advance(entry["size"])
            if found == (entry["size"], entry["sha256"]):
                continue
            failed += 1
            if len(problems) < MAX_LISTED:
                problems.append(
                    f"{key}: missing {where}"
                    if found is None
                    else f"{key}: changed {where} ({found[0]} bytes with SHA-256 {found[1]}, "
                    f"not {entry['size']} bytes with {entry['sha256']})"
                )
    if problems:
        _raise_problems(
            problems, failed, what="Files are missing or damaged; nothing was restored",
            code="files_missing" if backup.files_included else "files_damaged",
        )  # fmt: skip
    if count != files["count"]:
        raise BackupError(f"{FILES} lists {count} files, not {files['count']}", code="damaged")
    return count, files["bytes"]


class _RowLoader:
    """Inserts the dump's rows, table by table, in batches."""

    def __init__(self, by_label: dict[str, type[models.Model]]):
        self.by_label = by_label
        self.model: type[models.Model] | None = None
        self.fields: list[models.Field] = []
        self.batch: list[models.Model] = []
        self.loaded: dict[str, int] = {}

    def take(self, item: Any, number: int) -> None:
        """One line of the dump: a table's header, or a row of the current table."""
        if isinstance(item, dict):
            self.flush()
            self.model = self.by_label.get(item.get("model"))
            self.fields = list(self.model._meta.concrete_fields) if self.model else []
            if self.model is None or [f.attname for f in self.fields] != item.get("fields"):
                raise BackupError(
                    f"{DATABASE} line {number}: the table {item.get('model')} does not have "
                    "this installation's columns",
                    code="schema_mismatch",
                )
            self.loaded[self.model._meta.label_lower] = 0
            return
        if self.model is None or not isinstance(item, list) or len(item) != len(self.fields):
            raise BackupError(f"{DATABASE} line {number}: a row out of place", code="damaged")
        values = [
            value if value is None or isinstance(f, models.JSONField) else f.to_python(value)
            for f, value in zip(self.fields, item, strict=True)
        ]
        self.batch.append(self.model(*values))
        self.loaded[self.model._meta.label_lower] += 1
        if len(self.batch) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        # bulk_create would give auto_now fields the time of the restore: a raw insert, as
        # loaddata's save_base(raw=True) does row by row, keeps every value as it was.
        size = max(1, connection.ops.bulk_batch_size(self.fields, self.batch))
        for start in range(0, len(self.batch), size):
            self.model._base_manager._insert(
                self.batch[start : start + size], fields=self.fields, raw=True
            )
        self.batch.clear()


def _load_rows(backup: Backup, make_progress: MakeProgress) -> dict[str, int]:
    """Replace every row of the database with the backup's; returns the rows per table.
    Runs inside the caller's transaction."""
    ordered = models_in_order()
    by_label = {model._meta.label_lower: model for model in ordered}
    expected = {table["model"] for table in backup.manifest["tables"]}
    if expected != set(by_label):
        raise BackupError(
            "The backup's tables are not this installation's: "
            f"{', '.join(sorted(expected ^ set(by_label))[:5])}",
            code="schema_mismatch",
        )
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))

    loader = _RowLoader(by_label)
    total = sum(table["rows"] for table in backup.manifest["tables"])
    number = 0
    try:
        with (
            gzip.open(backup.root / DATABASE, "rt", encoding="utf-8") as lines,
            make_progress(label="Restoring rows", total=total, unit="rows") as bar,
        ):
            for number, line in enumerate(lines, 1):
                loader.take(json.loads(line), number)
                bar.advance()
            loader.flush()
    except (OSError, EOFError, ValueError, ValidationError) as exc:
        # The checksum matched, so the dump is as it was written, by another version.
        raise BackupError(f"{DATABASE} line {number}: {exc}", code="damaged") from None
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), ordered):
            cursor.execute(statement)
    return loader.loaded


def _check_loaded(backup: Backup, loaded: dict[str, int], summary: RestoreSummary) -> None:
    """Raise unless the loaded rows are the backup's, whole and consistent, and the audit
    log and the ledger verify as they did when it was made."""
    # Foreign keys are checked at commit; checking now gives the error before the commit.
    connection.check_constraints()
    for table in backup.manifest["tables"]:
        if loaded.get(table["model"], 0) != table["rows"]:
            raise BackupError(
                f"{table['model']}: {loaded.get(table['model'], 0)} rows in the dump, "
                f"{table['rows']} when the backup was made",
                code="damaged",
            )
    checks = backup.manifest["checks"]
    audit = verify_chain()
    if checks["audit"]["ok"] and not audit.ok:
        raise BackupError(
            f"The restored audit log does not verify: {audit.problem}", code="damaged"
        )
    problems = ledger.verify()
    if checks["ledger"]["ok"] and problems:
        raise BackupError(
            f"The restored ledger does not verify: {'; '.join(problems[:5])}", code="damaged"
        )
    summary.audit_events, summary.audit_ok, summary.ledger_ok = (
        audit.checked,
        audit.ok,
        not problems,
    )


def restore_backup(
    source: Path,
    *,
    force: bool = False,
    check_only: bool = False,
    make_progress: MakeProgress = no_progress,
) -> RestoreSummary:
    """Restore the backup at `source` into this database and storage, or with `check_only`
    check it thoroughly and change nothing; see the module's docstring. `force` replaces a
    database that already holds data."""
    backup = open_backup(source)
    summary = RestoreSummary(made_at=backup.manifest["created_at"], checked_only=check_only)
    summary.tables = len(backup.manifest["tables"])
    summary.rows = sum(table["rows"] for table in backup.manifest["tables"])
    _check_schema(backup)
    if not check_only and not force:
        _require_empty()
    summary.files, summary.bytes = _check_files(backup, make_progress)
    if check_only:
        return summary

    store = objectstore.get_store()
    copied: list[str] = []
    try:
        if backup.files_included:
            source_files = LocalStore(backup.root / FILES_DIR)
            with make_progress(label="Restoring files", total=summary.bytes, unit="bytes") as bar:
                for entry in _file_entries(backup.root):
                    outcome = copy_verified(
                        source_files, store, entry["key"], size=entry["size"],
                        sha256=entry["sha256"], progress=bar,
                    )  # fmt: skip
                    if outcome == "copied":
                        copied.append(entry["key"])
        summary.files_copied = len(copied)
        summary.files_present = summary.files - len(copied) if backup.files_included else 0
        try:
            with transaction.atomic():
                loaded = _load_rows(backup, make_progress)
                record(
                    actor=None,
                    action="operations.backup.restored",
                    data={
                        "made_at": summary.made_at,
                        "rows": summary.rows,
                        "files": summary.files,
                        "files_included": backup.files_included,
                    },
                )
                _check_loaded(backup, loaded, summary)
        except DatabaseError as exc:
            raise BackupError(
                f"The database refused the backup's rows: {exc}", code="rows_rejected"
            ) from None
    except BaseException:
        # The database is as it was; the files this restore added must go too.
        for key in copied:
            store.delete(key)
        raise
    ContentType.objects.clear_cache()
    return summary
