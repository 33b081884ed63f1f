"""Where bytes live. The local backend keeps them under STEWARD_FILES_DIR.

Writes go to a temporary file first and are renamed into place, so a reader never
sees a half-written object; reads and writes stream in chunks, never whole files.
"""

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK_SIZE = 1024 * 1024


def _root() -> Path:
    return Path(settings.STEWARD_FILES_DIR)


def path_for(key: str) -> Path:
    root = _root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise ValueError(f"storage key {key!r} leaves the storage folder")
    return path


def put(key: str, source: BinaryIO) -> tuple[int, str]:
    """Store the stream under `key`; returns (size in bytes, SHA-256 hex)."""
    target = path_for(key)
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


def open_for_reading(key: str) -> BinaryIO:
    return path_for(key).open("rb")


def exists(key: str) -> bool:
    return path_for(key).exists()


def delete(key: str) -> None:
    path_for(key).unlink(missing_ok=True)
