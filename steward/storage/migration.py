"""Moving the stored files between the local folder and S3, and copying one file with proof.

`copy_verified` is the one way a file goes from one store to another (this move, backups and
restores): the bytes are streamed, hashed on the way, then read back from the target, so a
copy counts only once its SHA-256 has been seen there.

The move itself never makes a file unreadable. The site keeps reading the old store while
the command copies (run it before the switch), or, after the switch, reads from the old
store whatever the new one does not hold yet (STEWARD_STORAGE_MIGRATING_FROM, see
objectstore.FallbackStore); running the command again then copies what arrived meanwhile.
"""

import hashlib
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Sum

from steward.lib.console import CountingReader, Progress

from . import objectstore
from .models import Blob
from .objectstore import LocalStore, S3Store, StorageError, hash_object

Store = LocalStore | S3Store
KINDS = ("local", "s3")


def no_progress(**kwargs) -> Progress:
    """A progress bar that draws nothing, for services called without one."""
    return Progress(sys.stderr, enabled=False, **kwargs)


def holds(store, key: str, *, size: int, sha256: str) -> bool:
    """Whether `store` holds exactly these bytes under `key` (it reads them to know)."""
    try:
        return store.size(key) == size and hash_object(store, key) == (size, sha256)
    except StorageError:
        return False


def copy_verified(
    source, target, key: str, *, size: int, sha256: str, progress: Progress | None = None
) -> str:
    """Make `target` hold the object `key` of `source`, whose size and SHA-256 are known:
    "present" when it already did, "copied" once the copy reads back right.

    Raises StorageError naming the key when the source lacks the object or holds other
    bytes, or when the copy reads back different; a wrong copy is removed from the target."""
    if holds(target, key, size=size, sha256=sha256):
        return "present"
    try:
        reader = source.open(key)
    except StorageError:
        raise StorageError(f"{key}: missing from the {source.kind} store") from None
    with closing(reader):
        stream = CountingReader(reader, progress) if progress is not None else reader
        written = target.put(key, stream)
    if written != (size, sha256):
        target.delete(key)
        raise StorageError(
            f"{key}: the {source.kind} store holds {written[0]} bytes with SHA-256 {written[1]}, "
            f"not the {size} bytes with SHA-256 {sha256} that were stored"
        )
    if not holds(target, key, size=size, sha256=sha256):
        target.delete(key)
        raise StorageError(f"{key}: the copy in the {target.kind} store reads back different")
    return "copied"


class MigrationError(Exception):
    """The move cannot start: a store is not configured, or deleting would break reads."""


@dataclass
class MigrationReport:
    source: str
    target: str
    files: int = 0
    bytes: int = 0
    copied: int = 0
    present: int = 0
    # Verified by an earlier run (the journal) and still of the right size in the target;
    # with --delete-source, still the right bytes, read again.
    already_verified: int = 0
    deleted: int = 0
    problems: list[str] = field(default_factory=list)


class Journal:
    """The files an earlier run verified in one target, one `key size sha256` line each,
    so that an interrupted move resumes without reading every copy again."""

    def __init__(self, target: Store):
        where = (
            f"s3:{target.client.meta.endpoint_url}/{target.bucket}"
            if isinstance(target, S3Store)
            else f"local:{target.root.resolve()}"
        )
        name = hashlib.sha256(where.encode()).hexdigest()[:16]
        self.path = Path(settings.STEWARD_HOME) / "storage-migration" / f"{target.kind}-{name}"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def load(self) -> set[tuple[str, int, str]]:
        if not self.path.exists():
            return set()
        entries = set()
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                key, size, sha256 = line.rstrip("\n").rsplit("\t", 2)
                entries.add((key, int(size), sha256))
        return entries

    def add(self, key: str, size: int, sha256: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{key}\t{size}\t{sha256}\n")


def _prune_empty_folders(store: LocalStore, key: str) -> None:
    # Stored files sit in folders of their own (prefix/<id>/name); drop those left empty.
    folder = store.path(key).parent
    root = store.root.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def migrate_storage(
    to: str,
    *,
    delete_source: bool = False,
    recheck: bool = False,
    make_progress: Callable[..., Progress] | None = None,
) -> MigrationReport:
    """Copy every stored file (every Blob) into the `to` store ("local" or "s3") from the
    other one, each copy's SHA-256 checked in the target. Files a previous run verified are
    skipped when their copy still has the right size (`recheck` reads them again). With
    `delete_source`, every copy is read again in full, and only when every file is verified
    are the files then removed from the source: refused unless this process's configuration
    already stores files in the target, so that reads no longer need them."""
    if to not in KINDS:
        raise MigrationError(f"unknown store {to!r}: local or s3")
    source_kind = "local" if to == "s3" else "s3"
    try:
        target, source = objectstore.store_of_kind(to), objectstore.store_of_kind(source_kind)
    except StorageError as exc:
        raise MigrationError(f"{exc}: both stores must be configured to move files") from None
    if delete_source and objectstore.get_store().kind != to:
        raise MigrationError(
            f"--delete-source: Steward still stores files in {source_kind}; switch to {to} "
            "(STEWARD_STORAGE_MIGRATING_FROM) and restart it first, then run this again"
        )

    report = MigrationReport(source=source_kind, target=to)
    journal = Journal(target)
    verified = set() if recheck else journal.load()
    blobs = Blob.objects.order_by("id")
    total = blobs.aggregate(total=Sum("size_bytes"))["total"] or 0
    progress = (make_progress or no_progress)(label=f"Copying to {to}", total=total, unit="bytes")
    last_id = 0
    with progress:
        for blob in blobs.iterator(chunk_size=500):
            last_id = blob.pk
            report.files += 1
            report.bytes += blob.size_bytes
            entry = (blob.key, blob.size_bytes, blob.sha256)
            if entry in verified:
                if _still_verified(target, blob, reread=delete_source):
                    report.already_verified += 1
                    progress.advance(blob.size_bytes)
                    continue
                if delete_source:
                    # A copy that went bad after it was verified says something is wrong
                    # with the target: it is copied again, but no source file goes this run.
                    report.problems.append(
                        f"{blob.key}: the copy an earlier run verified in the {to} store is "
                        "missing or changed since, so no file was deleted from "
                        f"{source_kind} (it is copied again)"
                    )
            before = progress.done
            try:
                outcome = copy_verified(
                    source,
                    target,
                    blob.key,
                    size=blob.size_bytes,
                    sha256=blob.sha256,
                    progress=progress,
                )
            except StorageError as exc:
                report.problems.append(str(exc))
                continue
            finally:
                progress.advance(before + blob.size_bytes - progress.done)
            journal.add(*entry)
            if outcome == "copied":
                report.copied += 1
            else:
                report.present += 1

    if delete_source and not report.problems:
        for blob in Blob.objects.filter(id__lte=last_id).order_by("id").iterator(chunk_size=500):
            if source.exists(blob.key):
                source.delete(blob.key)
                if isinstance(source, LocalStore):
                    _prune_empty_folders(source, blob.key)
                report.deleted += 1
    return report


def _still_verified(target: Store, blob: Blob, *, reread: bool) -> bool:
    """Whether the copy an earlier run verified is still there: of the right size, or, with
    `reread` (before its source is deleted), of the right SHA-256, read again in full."""
    if reread:
        return holds(target, blob.key, size=blob.size_bytes, sha256=blob.sha256)
    try:
        return target.size(blob.key) == blob.size_bytes
    except StorageError:
        return False  # verified once, gone since: copy it again
