"""How a local part reaches the disk: read into a reused buffer (straight from gunicorn's
socket when it serves the request), written with direct I/O where the filesystem allows
it, and the same bytes whatever the sizes and whichever path was taken."""

import errno
import io
import os
import socket
import threading

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser

from steward.storage import objectstore
from steward.storage.objectstore import CHUNK_SIZE, LocalStore, StorageError
from steward.storage.request_body import GunicornBody, RequestBody, request_body

from .uploads import payload

SIZES = [0, 1, 4095, 4096, 4097, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 12345]


class Trickle(io.RawIOBase):
    """A stream that hands out at most `step` bytes per read, as a socket does."""

    def __init__(self, data: bytes, step: int = 70_001):
        self.data, self.position, self.step = memoryview(data), 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int:
        n = min(len(view), self.step, len(self.data) - self.position)
        view[:n] = self.data[self.position : self.position + n]
        self.position += n
        return n


def stored(store: LocalStore, upload_id: str, number: int = 1) -> bytes:
    return (store.root / ".multipart" / upload_id / str(number)).read_bytes()


@pytest.mark.parametrize("size", SIZES)
def test_every_size_is_stored_exactly(tmp_path, size):
    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    data = payload(size)
    part = store.write_part(upload_id, 1, Trickle(data), size)
    assert part.size == size and stored(store, upload_id) == data
    assert store.list_parts("k", upload_id) == [part]


def test_direct_io_is_asked_for_and_the_cache_path_gives_the_same_bytes(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    data = payload(3 * CHUNK_SIZE + 999)
    asked = []
    real = objectstore._set_direct
    monkeypatch.setattr(objectstore, "_set_direct", lambda fd, on: asked.append(on) or real(fd, on))
    store.write_part(upload_id, 1, Trickle(data), len(data))
    assert asked[0] is True and stored(store, upload_id) == data

    monkeypatch.setattr(objectstore, "O_DIRECT", 0)  # a platform without direct I/O
    asked.clear()
    store.write_part(upload_id, 2, Trickle(data), len(data))
    assert asked == [] and stored(store, upload_id, 2) == data


def test_a_filesystem_that_refuses_direct_writes_gets_them_through_the_cache(tmp_path, monkeypatch):
    """Some filesystems take O_DIRECT at open and refuse the writes with EINVAL."""
    import fcntl

    real_write = os.write

    def refusing(fd, data):
        if objectstore.O_DIRECT and fcntl.fcntl(fd, fcntl.F_GETFL) & objectstore.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", refusing)
    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    data = payload(2 * CHUNK_SIZE + 5)
    store.write_part(upload_id, 1, Trickle(data), len(data))
    assert stored(store, upload_id) == data


def test_a_stream_without_readinto_is_read(tmp_path):
    class ReadOnly:
        def __init__(self, data):
            self.source = io.BytesIO(data)

        def read(self, n):
            return self.source.read(n)

    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    data = payload(CHUNK_SIZE + 3)
    store.write_part(upload_id, 1, ReadOnly(data), len(data))
    assert stored(store, upload_id) == data


def test_a_failed_write_leaves_no_part_and_no_temporary_file(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space left"):
        store.write_part(upload_id, 1, io.BytesIO(b"x" * 5000), 5000)
    assert list((tmp_path / ".multipart" / upload_id).iterdir()) == []


def test_the_etag_names_the_stored_copy(tmp_path):
    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    first = store.write_part(upload_id, 1, io.BytesIO(b"same"), 4)
    again = store.write_part(upload_id, 1, io.BytesIO(b"same"), 4)
    # The same bytes sent again are another copy: completion must name the one stored.
    assert first.etag != again.etag and len(again.etag) == 32
    assert store.list_parts("k", upload_id)[0].etag == again.etag
    other = LocalStore(tmp_path).create_multipart("k")
    assert store.write_part(other, 1, io.BytesIO(b"same"), 4).etag not in (first.etag, again.etag)


# The request body.


def gunicorn_request(sock: socket.socket) -> tuple[RequestParser, WSGIRequest]:
    """Parse the next request on `sock` as gunicorn does; Django's request for it."""
    config = Config()
    parser = RequestParser(config, sock, ("127.0.0.1", 50000))
    message = next(parser)
    _, environ = gunicorn_wsgi.create(
        message, sock, ("127.0.0.1", 50000), ("127.0.0.1", 8000), config
    )
    return parser, WSGIRequest(environ)


def send_in_background(sock: socket.socket, data: bytes) -> threading.Thread:
    thread = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("size", [10, 3 * CHUNK_SIZE + 77])
def test_under_gunicorn_the_body_comes_from_the_socket_and_the_next_request_is_intact(
    tmp_path, size
):
    """The bytes gunicorn read along with the headers come first, the rest from the socket,
    and a request pipelined behind the body is still read by gunicorn afterwards."""
    server, client = socket.socketpair()
    data = payload(size)
    head = f"PUT /files/parts/t HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n"
    following = b"GET /next HTTP/1.1\r\nHost: t\r\n\r\n"
    sender = send_in_background(client, head.encode() + data + following)
    try:
        parser, request = gunicorn_request(server)
        body = request_body(request, size)
        assert isinstance(body, GunicornBody)
        store = LocalStore(tmp_path)
        upload_id = store.create_multipart("k")
        store.write_part(upload_id, 1, body, size)
        assert stored(store, upload_id) == data
        assert request.read() == b""  # nothing is left for anyone else to read
        assert next(parser).path == "/next"
    finally:
        sender.join(timeout=10)
        server.close()
        client.close()


def test_under_gunicorn_a_body_cut_short_is_refused_and_the_connection_not_reused(tmp_path):
    server, client = socket.socketpair()
    head = b"PUT /files/parts/t HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"
    client.sendall(head + b"x" * 30000)
    client.shutdown(socket.SHUT_WR)  # the client goes away
    try:
        parser, request = gunicorn_request(server)
        store = LocalStore(tmp_path)
        upload_id = store.create_multipart("k")
        with pytest.raises(StorageError, match="ended after 30000 of 100000"):
            store.write_part(upload_id, 1, request_body(request, 100000), 100000)
        assert store.list_parts("k", upload_id) == []
        with pytest.raises(StopIteration):
            next(parser)
    finally:
        server.close()
        client.close()


def test_without_gunicorn_or_once_reading_started_the_request_is_read():
    request = RequestFactory().generic("PUT", "/files/parts/t", b"abcdef")
    assert isinstance(request_body(request, 6), RequestBody)
    server, client = socket.socketpair()
    client.sendall(b"PUT /p HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nabcdef")
    try:
        _, request = gunicorn_request(server)
        assert request.read(2) == b"ab"
        body = request_body(request, 4)
        assert isinstance(body, RequestBody)
        view = memoryview(bytearray(10))
        assert body.readinto(view) == 4 and bytes(view[:4]) == b"cdef"
    finally:
        server.close()
        client.close()
