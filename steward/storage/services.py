from typing import BinaryIO

from django.db import IntegrityError, transaction

from steward.lib.ids import new_public_id

from . import objectstore
from .models import Blob


def store_blob(source: BinaryIO, *, prefix: str, filename: str, content_type: str) -> Blob:
    """Stream `source` into storage and record it; the bytes are written before the row."""
    key = f"{prefix}/{new_public_id()}/{filename}"
    # Storage I/O stays outside any transaction: a rolled-back row must not
    # leave a transaction open for the length of a large upload.
    size, sha256 = objectstore.put(key, source)
    try:
        with transaction.atomic():
            return Blob.objects.create(
                key=key, size_bytes=size, sha256=sha256, content_type=content_type
            )
    except IntegrityError:
        objectstore.delete(key)
        raise
