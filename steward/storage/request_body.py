"""A part's request body as a stream with readinto(), so storage can receive it into its
own buffer.

Under gunicorn the bytes are taken straight from the client's socket: gunicorn's
wsgi.input copies every chunk three or four times on its way (into and out of its
buffers), which costs more CPU than receiving and writing the part. Everything else (the
test client, runserver, another server) reads through request.read().
"""

from django.http import HttpRequest
from gunicorn.http.body import Body, LengthReader


class RequestBody:
    """Reads the body through Django's request, `length` bytes at most."""

    def __init__(self, request: HttpRequest, length: int):
        self.request = request
        self.left = length

    def readinto(self, view: memoryview) -> int:
        data = self.request.read(min(len(view), self.left))
        view[: len(data)] = data
        self.left -= len(data)
        return len(data)


class GunicornBody:
    """Reads the body of a gunicorn request from its socket, into the caller's buffer.

    gunicorn's own state stays true at every step, so it goes on as if it had read the
    bytes itself: the bytes it had already received past the headers are served first and
    whatever follows the body (a pipelined request) goes back to its buffer; its reader's
    count of body bytes still on the socket is lowered with each read. Should the client
    stop half-way, gunicorn drains or closes the connection as usual."""

    def __init__(self, sock, reader, buffered: bytes):
        self.sock = sock
        self.reader = reader  # gunicorn.http.body.LengthReader
        self.buffered = memoryview(buffered)

    def readinto(self, view: memoryview) -> int:
        if self.buffered:
            n = min(len(view), len(self.buffered))
            view[:n] = self.buffered[:n]
            self.buffered = self.buffered[n:]
            return n
        want = min(len(view), self.reader.length)
        if want <= 0:
            return 0
        n = self.sock.recv_into(view, want)
        self.reader.length -= n
        return n


def _gunicorn_body(request: HttpRequest, length: int) -> GunicornBody | None:
    """The socket path, when the request came through gunicorn with a Content-Length body
    nobody has read yet; None otherwise."""
    sock = request.META.get("gunicorn.socket")
    body = request.META.get("wsgi.input")
    if sock is None or request._read_started or not isinstance(body, Body):
        return None
    reader = body.reader
    unreader = getattr(reader, "unreader", None)
    if (
        not isinstance(reader, LengthReader)
        or reader.length != length
        or body.buf.tell() != 0
        or getattr(unreader, "sock", None) is not sock
        or not hasattr(unreader, "take_buffered")
    ):
        return None
    request._read_started = True  # request.body must not try to read it again
    buffered = unreader.take_buffered()
    if len(buffered) > length:
        unreader.unread(buffered[length:])
        buffered = buffered[:length]
    reader.length -= len(buffered)
    return GunicornBody(sock, reader, buffered)


def request_body(request: HttpRequest, length: int) -> RequestBody | GunicornBody:
    """The body of `request`, `length` bytes (its Content-Length), as a readinto() stream."""
    return _gunicorn_body(request, length) or RequestBody(request, length)
