"""Where bytes live: a local folder (the default) or any S3-compatible store.

Both backends offer the same operations, including multipart uploads, so uploads and
downloads work alike on either. Reads and writes stream in chunks, never whole files.
Local writes go to a temporary file that is renamed into place, so a reader never sees
a half-written object.
"""

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHUNK_SIZE = 1024 * 1024
# Direct I/O wants the buffer, the file offset and the length aligned to the device's
# logical block (512 or 4096 bytes): the buffer is page-aligned (mmap), and every write but
# the last is a whole CHUNK_SIZE.
DIRECT_ALIGNMENT = 4096
O_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux; elsewhere parts are written through the cache


@dataclass(frozen=True)
class Part:
    number: int
    etag: str  # without quotes
    size: int


class StorageError(Exception):
    """The store refused or failed an operation (missing object, bad part list...)."""


def hash_stream(source: BinaryIO) -> tuple[int, str]:
    """The size and SHA-256 of what `source` yields, read in chunks, never held whole."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def hash_object(store, key: str) -> tuple[int, str]:
    """The size and SHA-256 of an object, read through once; StorageError when missing."""
    with contextlib.closing(store.open(key)) as source:
        return hash_stream(source)


def part_etag(upload_id: str, number: int, stat: os.stat_result) -> str:
    """A local part's ETag names the stored copy, not its content: a digest of the upload,
    the part number and the file's inode, size and modification time. A part sent again is
    a new file, so its ETag changes and a completion naming the earlier copy is refused.
    Hashing the content would cost more CPU than receiving it; the whole file's SHA-256,
    checked after completion, is what proves the bytes (S3's MD5 ETags only tell copies
    apart too)."""
    described = f"{upload_id}/{number}/{stat.st_ino}/{stat.st_size}/{stat.st_mtime_ns}"
    return hashlib.blake2b(described.encode(), digest_size=16).hexdigest()


_buffers = threading.local()


def _part_buffer() -> memoryview:
    """This thread's CHUNK_SIZE buffer for part bodies, reused from request to request so
    memory stays flat; mmap makes it page-aligned, as direct I/O needs."""
    view = getattr(_buffers, "view", None)
    if view is None:
        view = _buffers.view = memoryview(mmap.mmap(-1, CHUNK_SIZE))
    return view


def _readinto(source: BinaryIO, view: memoryview) -> int:
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        return readinto(view) or 0
    data = source.read(len(view))
    view[: len(data)] = data
    return len(data)


def _set_direct(fd: int, on: bool) -> bool:
    """Turn direct I/O on or off for `fd`; whether it is on (the filesystem may refuse to
    turn it on: tmpfs on older kernels, some network filesystems)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | O_DIRECT if on else flags & ~O_DIRECT)
    except OSError:
        if not on:
            raise
        return False
    return on


def _write_all(fd: int, data: memoryview, direct: bool) -> bool:
    """Write all of `data`; whether direct I/O is still on (it is turned off when the
    filesystem takes it at open but refuses the writes)."""
    while data:
        try:
            data = data[os.write(fd, data) :]
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
            direct = _set_direct(fd, False)
    return direct


def _receive_part(fd: int, source: BinaryIO, length: int) -> int:
    """Copy up to `length` bytes from `source` to `fd` through this thread's buffer, with
    direct I/O where the filesystem allows it; the number of bytes received (fewer when
    the source ended early)."""
    direct = bool(O_DIRECT) and _set_direct(fd, True)
    view = _part_buffer()
    received = filled = 0
    while received < length:
        n = _readinto(source, view[filled : min(len(view), filled + length - received)])
        if not n:
            break
        filled += n
        received += n
        if filled == len(view):
            direct = _write_all(fd, view, direct)
            filled = 0
    if filled:
        # The tail: its whole blocks directly, the rest through the cache.
        aligned = filled - filled % DIRECT_ALIGNMENT if direct else 0
        direct = _write_all(fd, view[:aligned], direct)
        if direct:
            _set_direct(fd, False)
        _write_all(fd, view[aligned:filled], False)
    return received


def _create_temp(directory: Path, prefix: str) -> tuple[int, str]:
    """A new file in `directory` for writing, like tempfile.mkstemp but created under the
    process's umask (mkstemp's files are 0600): a stored file must be readable by an nginx
    in front of Steward (STEWARD_DOWNLOAD_MODE=x-accel) when the umask and the folder's group
    allow it. Upload parts, which only Steward reads, stay 0600."""
    while True:
        path = directory / f"{prefix}{secrets.token_hex(8)}"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            return os.open(path, flags, 0o666), str(path)
        except FileExistsError:
            continue


class LocalStore:
    """Objects are files under STEWARD_FILES_DIR; multipart uploads keep their parts in
    `.multipart/<upload id>/` until completion joins them."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise StorageError(f"storage key {key!r} leaves the storage folder")
        return path

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        """Store the stream under `key`; returns (size in bytes, SHA-256 hex)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = _create_temp(target.parent, ".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError:
            raise StorageError(f"no object {key!r}") from None

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise StorageError(f"no object {key!r}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    # Multipart uploads.

    def _parts_dir(self, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise StorageError("bad upload id")
        return self.path(f".multipart/{upload_id}")

    def create_multipart(self, key: str) -> str:
        upload_id = hashlib.sha256(os.urandom(32)).hexdigest()[:32]
        self._parts_dir(upload_id).mkdir(parents=True)
        return upload_id

    def write_part(self, upload_id: str, number: int, source: BinaryIO, length: int) -> Part:
        """Write one part from a stream of exactly `length` bytes; a part sent again
        replaces the earlier copy (the last one wins).

        The bytes go to disk with direct I/O where the filesystem allows it, from a reused
        buffer: no copy in the page cache, which a large upload would only flood (the
        verification reads the file once, later), and an acknowledged part is on the
        device, not only in memory. There is no fsync: a part lost or torn by a crash of
        the machine shows as a size or checksum mismatch, and the client sends it again."""
        directory = self._parts_dir(upload_id)
        if not directory.is_dir():
            raise StorageError("no such upload")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".part-")
        try:
            try:
                received = _receive_part(fd, source, length)
                written = os.fstat(fd)
            finally:
                os.close(fd)
            if received != length:
                raise StorageError(f"the part ended after {received} of {length} bytes")
            os.replace(tmp, directory / str(number))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Part(number=number, etag=part_etag(upload_id, number, written), size=received)

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        directory = self._parts_dir(upload_id)
        if not directory.is_dir():
            raise StorageError("no such upload")
        parts = []
        for entry in sorted(
            (p for p in directory.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        ):
            try:
                stat = entry.stat()
            except FileNotFoundError:  # completed or cancelled meanwhile
                continue
            number = int(entry.name)
            parts.append(Part(number, part_etag(upload_id, number, stat), stat.st_size))
        return parts

    def complete_multipart(self, key: str, upload_id: str, numbers: list[int]) -> None:
        """Join the parts, in order, into the object; the caller has checked the ETags."""
        directory = self._parts_dir(upload_id)
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(target.parent, ".join-")
        try:
            with os.fdopen(fd, "wb") as out:
                for number in numbers:
                    with (directory / str(number)).open("rb") as part:
                        _copy_file(part, out)
            os.replace(tmp, target)
        except FileNotFoundError:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError("a listed part was never uploaded") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        shutil.rmtree(directory, ignore_errors=True)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        shutil.rmtree(self._parts_dir(upload_id), ignore_errors=True)

    def part_upload_url(self, key: str, upload_id: str, number: int, expires: int) -> str | None:
        """Local parts are PUT to Steward itself, behind a URL the caller signs."""
        return None

    def download_url(self, key: str, filename: str, expires: int) -> str | None:
        """Local objects are served by Steward itself."""
        return None


def _copy_file(source: BinaryIO, target: BinaryIO) -> None:
    # copy_file_range copies inside the kernel (and clones on filesystems that can),
    # so joining a large upload does not pass its bytes through Python.
    target.flush()
    remaining = os.fstat(source.fileno()).st_size
    try:
        while remaining > 0:
            copied = os.copy_file_range(source.fileno(), target.fileno(), min(remaining, 1 << 30))
            if copied == 0:
                break
            remaining -= copied
        return
    except (AttributeError, OSError):
        pass
    shutil.copyfileobj(source, target, CHUNK_SIZE)


class S3Store:
    """Objects in one bucket of an S3-compatible store. Browsers and SDKs move the bytes
    to and from the store directly, with presigned URLs; Steward never relays them."""

    kind = "s3"

    def __init__(
        self, *, bucket: str, endpoint: str, region: str, access_key: str, secret_key: str
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def _error(self, exc) -> StorageError:
        return StorageError(str(exc))

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0

        class Hashing:
            def read(self, n: int = -1) -> bytes:
                nonlocal size
                chunk = source.read(n if n and n > 0 else CHUNK_SIZE)
                digest.update(chunk)
                size += len(chunk)
                return chunk

        self.client.upload_fileobj(Hashing(), self.bucket, key)
        return size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            raise self._error(exc) from None

    def size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            raise self._error(exc) from None

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except StorageError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def create_multipart(self, key: str) -> str:
        return self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]

    def write_part(self, upload_id: str, number: int, source: BinaryIO, length: int) -> Part:
        raise StorageError("parts go straight to S3 through presigned URLs")

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        from botocore.exceptions import ClientError

        parts: list[Part] = []
        marker = 0
        try:
            while True:
                page = self.client.list_parts(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
                )
                parts += [
                    Part(number=p["PartNumber"], etag=p["ETag"].strip('"'), size=p["Size"])
                    for p in page.get("Parts", [])
                ]
                if not page.get("IsTruncated"):
                    return parts
                marker = page["NextPartNumberMarker"]
        except ClientError as exc:
            raise self._error(exc) from None

    def complete_multipart(self, key: str, upload_id: str, numbers: list[int]) -> None:
        from botocore.exceptions import ClientError

        by_number = {p.number: p for p in self.list_parts(key, upload_id)}
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": f'"{by_number[n].etag}"'} for n in numbers]
                },
            )
        except (ClientError, KeyError) as exc:
            raise self._error(exc) from None

    def abort_multipart(self, key: str, upload_id: str) -> None:
        from botocore.exceptions import ClientError

        with contextlib.suppress(ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def part_upload_url(self, key: str, upload_id: str, number: int, expires: int) -> str | None:
        # Signed without content type or checksum conditions: the SDK sends neither.
        return self.client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
            ExpiresIn=expires,
        )

    def download_url(self, key: str, filename: str, expires: int) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
                "ResponseContentType": "application/gzip",
            },
            ExpiresIn=expires,
        )


class FallbackStore:
    """The store files are moving to, in front of the one they are moving from, while
    `steward migrate-storage` copies them (STEWARD_STORAGE_MIGRATING_FROM).

    New objects and new uploads go to the new store. A read of an object the new store does
    not hold yet is answered by the old one, so no file is ever missing during the move;
    uploads begun in the old store before the switch finish there (the next run of the
    command copies their files). Deleting removes an object from both, so that it cannot
    come back from the old store."""

    def __init__(self, new: "LocalStore | S3Store", old: "LocalStore | S3Store"):
        self.new = new
        self.old = old

    @property
    def kind(self) -> str:
        return self.new.kind

    def _either(self, name: str, *args):
        try:
            return getattr(self.new, name)(*args)
        except StorageError as refused:
            try:
                return getattr(self.old, name)(*args)
            except StorageError:
                raise refused from None

    def _holder(self, key: str) -> "LocalStore | S3Store":
        if self.new.exists(key) or not self.old.exists(key):
            return self.new
        return self.old

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        return self.new.put(key, source)

    def open(self, key: str) -> BinaryIO:
        return self._either("open", key)

    def size(self, key: str) -> int:
        return self._either("size", key)

    def exists(self, key: str) -> bool:
        return self.new.exists(key) or self.old.exists(key)

    def delete(self, key: str) -> None:
        self.new.delete(key)
        self.old.delete(key)

    def path(self, key: str) -> Path:
        """The file of an object in the local store of the two: the download view asks only
        when download_url was None, that is when the local store holds the object."""
        local = self.new if self.new.kind == "local" else self.old
        return local.path(key)

    def create_multipart(self, key: str) -> str:
        return self.new.create_multipart(key)

    # An upload id belongs to the store that created it: each of these asks the new store
    # first, which refuses an id it does not know, then the old one.

    def write_part(self, upload_id: str, number: int, source: BinaryIO, length: int) -> Part:
        return self._either("write_part", upload_id, number, source, length)

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        return self._either("list_parts", key, upload_id)

    def complete_multipart(self, key: str, upload_id: str, numbers: list[int]) -> None:
        self._either("complete_multipart", key, upload_id, numbers)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        for store in (self.new, self.old):
            with contextlib.suppress(StorageError):
                store.abort_multipart(key, upload_id)

    def part_upload_url(self, key: str, upload_id: str, number: int, expires: int) -> str | None:
        try:
            self.new.list_parts(key, upload_id)
        except StorageError:
            return self.old.part_upload_url(key, upload_id, number, expires)
        return self.new.part_upload_url(key, upload_id, number, expires)

    def download_url(self, key: str, filename: str, expires: int) -> str | None:
        return self._holder(key).download_url(key, filename, expires)


@lru_cache(maxsize=4)
def _store(backend: tuple) -> "LocalStore | S3Store":
    kind, *config = backend
    if kind == "s3":
        bucket, endpoint, region, access_key, secret_key = config
        return S3Store(
            bucket=bucket,
            endpoint=endpoint,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
        )
    return LocalStore(Path(config[0]))


def local_store() -> LocalStore:
    """The folder STEWARD_FILES_DIR, whatever store is configured."""
    return _store(("local", str(settings.STEWARD_FILES_DIR)))


def s3_store() -> S3Store:
    """The bucket the STEWARD_S3_* settings name, whatever store is configured."""
    if not settings.STEWARD_S3_BUCKET:
        raise StorageError("no S3 bucket is configured (STEWARD_S3_BUCKET)")
    return _store(
        (
            "s3",
            settings.STEWARD_S3_BUCKET,
            settings.STEWARD_S3_ENDPOINT,
            settings.STEWARD_S3_REGION,
            settings.STEWARD_S3_ACCESS_KEY_ID,
            settings.STEWARD_S3_SECRET_ACCESS_KEY,
        )
    )


def store_of_kind(kind: str) -> "LocalStore | S3Store":
    """The local or the S3 store, by name."""
    if kind == "local":
        return local_store()
    if kind == "s3":
        return s3_store()
    raise StorageError(f"unknown store {kind!r}: local or s3")


def get_store() -> "LocalStore | S3Store | FallbackStore":
    """The configured store: S3 when STEWARD_S3_BUCKET is set, else the local folder. While
    STEWARD_STORAGE_MIGRATING_FROM names one of them, the other one, reading from it what the
    other does not hold yet."""
    moving_from = settings.STEWARD_STORAGE_MIGRATING_FROM
    if moving_from:
        if moving_from not in ("local", "s3") or not settings.STEWARD_S3_BUCKET:
            raise ImproperlyConfigured(
                f"STEWARD_STORAGE_MIGRATING_FROM is {moving_from!r}: it must be local or s3, "
                "beside the STEWARD_S3_* settings of the bucket files move to or from"
            )
        old = store_of_kind(moving_from)
        return FallbackStore(store_of_kind("s3" if moving_from == "local" else "local"), old)
    return s3_store() if settings.STEWARD_S3_BUCKET else local_store()


# The functions the rest of Steward has used since before multipart uploads.


def put(key: str, source: BinaryIO) -> tuple[int, str]:
    return get_store().put(key, source)


def open_for_reading(key: str) -> BinaryIO:
    return get_store().open(key)


def exists(key: str) -> bool:
    return get_store().exists(key)


def delete(key: str) -> None:
    get_store().delete(key)
