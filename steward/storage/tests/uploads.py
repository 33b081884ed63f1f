"""Helpers that drive an upload the way a client does, on either storage backend."""

import hashlib
import io
import os
import tarfile

import requests

from steward.storage import services

MiB = 1024 * 1024
BASE_URL = "http://testserver"


def payload(size: int) -> bytes:
    return os.urandom(size)


def archive(size: int) -> bytes:
    """A real .tar.gz of about `size` bytes (random content does not compress)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in (
            ("speech/README.txt", b"Read speech from a community radio.\n"),
            ("speech/clips.bin", os.urandom(size)),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split(data: bytes, part_size: int = 5 * MiB) -> list[bytes]:
    return [data[i : i + part_size] for i in range(0, len(data), part_size)]


def put(client, url: str, data: bytes) -> requests.Response:
    """PUT a part to a part URL without credentials: Steward's own (through the test
    client) or the S3 server's."""
    if url.startswith(BASE_URL):
        return client.generic("PUT", url.removeprefix(BASE_URL), data)
    return requests.put(url, data=data, timeout=60)


def send_part(client, upload, number: int, data: bytes) -> str:
    """Ask for the part's URL, PUT the bytes and return the ETag as the SDK keeps it."""
    response = put(client, services.part_url(upload, number, base_url=BASE_URL), data)
    assert response.status_code == 200, response.content
    return response.headers["ETag"].strip('"')


def send_parts(client, upload, data: bytes, part_size: int = 5 * MiB) -> list[dict]:
    return [
        {"partNumber": n, "etag": send_part(client, upload, n, chunk)}
        for n, chunk in enumerate(split(data, part_size), start=1)
    ]
