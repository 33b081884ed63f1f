"""Where bytes live: a local folder (the default) or any S3-compatible store.

Both backends offer the same operations, including multipart uploads, so uploads and
downloads work alike on either. Reads and writes stream in chunks, never whole files.
Local writes go to a temporary file that is renamed into place, so a reader never sees
a half-written object.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Part:
    number: int
    etag: str  # without quotes
    size: int


class StorageError(Exception):
    """The store refused or failed an operation (missing object, bad part list...)."""


def part_etag(digest) -> str:
    """A local part's ETag: the first 128 bits of its SHA-256 (S3 uses MD5; both only tell
    copies apart, the whole file's SHA-256 proves its integrity). SHA-256 is the faster of
    the two on processors with SHA instructions."""
    return digest.hexdigest()[:32]


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
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
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
        replaces the earlier copy (the last one wins)."""
        directory = self._parts_dir(upload_id)
        if not directory.is_dir():
            raise StorageError("no such upload")
        digest = hashlib.sha256()
        received = 0
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while received < length:
                    chunk = source.read(min(CHUNK_SIZE, length - received))
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
            if received != length:
                raise StorageError(f"the part ended after {received} of {length} bytes")
            written = os.stat(tmp)
            os.replace(tmp, directory / str(number))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        etag = part_etag(digest)
        # Remember the ETag so that completing a large upload does not read every part again
        # (clients give completion 60 s). It names the exact file it describes: when the
        # same part is sent twice at once, a note about the other copy is simply ignored.
        note = f"{etag} {written.st_ino} {written.st_size} {written.st_mtime_ns}"
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".etag-")
        with os.fdopen(fd, "w") as out:
            out.write(note)
        os.replace(tmp, directory / f"{number}.etag")
        return Part(number=number, etag=etag, size=received)

    def _part_etag(self, path: Path) -> str:
        stat = path.stat()
        try:
            etag, *described = path.with_name(f"{path.name}.etag").read_text().split()
            if [int(n) for n in described] == [stat.st_ino, stat.st_size, stat.st_mtime_ns]:
                return etag
        except (FileNotFoundError, ValueError):
            pass
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
        return part_etag(digest)

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        directory = self._parts_dir(upload_id)
        if not directory.is_dir():
            raise StorageError("no such upload")
        parts = []
        for entry in sorted(
            (p for p in directory.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        ):
            parts.append(
                Part(number=int(entry.name), etag=self._part_etag(entry), size=entry.stat().st_size)
            )
        return parts

    def complete_multipart(self, key: str, upload_id: str, numbers: list[int]) -> None:
        """Join the parts, in order, into the object; the caller has checked the ETags."""
        directory = self._parts_dir(upload_id)
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".join-")
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


def get_store() -> "LocalStore | S3Store":
    """The configured store: S3 when STEWARD_S3_BUCKET is set, else the local folder."""
    if settings.STEWARD_S3_BUCKET:
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
    return _store(("local", str(settings.STEWARD_FILES_DIR)))


# The functions the rest of Steward has used since before multipart uploads.


def put(key: str, source: BinaryIO) -> tuple[int, str]:
    return get_store().put(key, source)


def open_for_reading(key: str) -> BinaryIO:
    return get_store().open(key)


def exists(key: str) -> bool:
    return get_store().exists(key)


def delete(key: str) -> None:
    get_store().delete(key)
