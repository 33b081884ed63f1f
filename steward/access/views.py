import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from steward.catalog.queries import get_dataset_for
from steward.lib.errors import DomainError, Gone, NotFound
from steward.lib.geoip import client_ip
from steward.storage.objectstore import get_store

from . import services
from .models import DownloadEvent

# What the fallback iterator reads at a time (a server's sendfile does not read at all).
BLOCK_SIZE = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@require_POST
def dataset_download(request: HttpRequest, dataset_id: str, role: str) -> HttpResponse:
    """The page's Download buttons: start a download and send the browser to its link."""
    page = reverse("catalog:dataset-detail", args=[dataset_id])
    if not request.user.is_authenticated:
        return redirect_to_login(page)
    try:
        dataset = get_dataset_for(request.user, dataset_id)
        session = services.start_download(
            request.user,
            dataset,
            role=role,
            channel=DownloadEvent.Channel.WEB,
            client=request.headers.get("User-Agent", ""),
            base_url=request.build_absolute_uri("/"),
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(page)
    return redirect(session.url)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range a `Range` header asks for, clamped to the file; None to send the
    whole file (no header, a malformed one, or several ranges, which are allowed to be
    answered in full). Raises Unsatisfiable when the range starts at or after the end."""
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None
        if start >= size:
            raise Unsatisfiable
        return ByteRange(start, min(int(last) if last else size - 1, size - 1))
    if not last:
        return None
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise Unsatisfiable
    return ByteRange(max(0, size - suffix), size - 1)


class _RangeFile:
    """An open file that reads `length` bytes from `start` and no further.

    It keeps fileno(), so a server's wsgi.file_wrapper can pass the file to sendfile:
    gunicorn sends exactly Content-Length bytes from the descriptor's current offset, which
    is `start` (see Response.sendfile in gunicorn/http/wsgi.py). Servers without sendfile,
    and the test client, call read(), which stops at the end of the range."""

    def __init__(self, file, start: int, length: int):
        file.seek(start)
        self._file = file
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if size < 0 or size > self._left:
            size = self._left
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


def _error(message: str, code: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message, "code": code}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _if_range_matches(request: HttpRequest, etag: str) -> bool:
    # A client resuming with a validator from an older file must get the whole new one.
    validator = request.headers.get("If-Range")
    return validator is None or validator.strip() == etag


@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """The signed download link: no session or key, the token is the permission. Answers
    Range requests with 206 and exactly the bytes asked for, and never compresses."""
    try:
        target = services.open_download(token, ip=client_ip(request))
    except DomainError as exc:
        return _error(exc.message, exc.code, exc.status)

    if target.redirect_url:
        if request.method == "GET":
            services.record_redirect(target)
        response: HttpResponse = HttpResponseRedirect(target.redirect_url)
        response["Cache-Control"] = "no-store"
        return response

    size = target.size_bytes
    etag = f'"{target.sha256}"'
    byte_range = None
    if "Range" in request.headers and _if_range_matches(request, etag):
        try:
            byte_range = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            return _error(
                "The requested range starts after the end of the file.",
                "range_not_satisfiable",
                416,
                Content_Range=f"bytes */{size}",
            )
    start, length = (byte_range.start, byte_range.length) if byte_range else (0, size)
    headers = {
        "Content-Type": target.content_type,
        "Content-Disposition": content_disposition_header(True, target.filename),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        # no-transform: proxies must not compress the archive either.
        "Cache-Control": "private, no-transform",
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    status = 206 if byte_range else 200

    if settings.STEWARD_DOWNLOAD_MODE == "x-accel":
        # nginx serves the file from its internal /_files/ location, ranges included.
        response = HttpResponse(status=200)
        for name, value in headers.items():
            if name != "Content-Range":
                response[name] = value
        response["X-Accel-Redirect"] = "/_files/" + quote(target.key)
        if request.method == "GET":
            services.record_bytes_served(target, length)
        return response

    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        response = HttpResponse(status=status)
        for name, value in headers.items():
            response[name] = value
        return response
    try:
        file = get_store().path(target.key).open("rb")
    except FileNotFoundError:
        return _error("The file is missing from storage.", "file_missing", 404)
    # FileResponse hands the file to the server's wsgi.file_wrapper (zero-copy sendfile on
    # gunicorn); without one it streams BLOCK_SIZE reads. Memory stays constant either way.
    response = FileResponse(_RangeFile(file, start, length), status=status)
    response.block_size = BLOCK_SIZE
    for name, value in headers.items():
        response[name] = value
    services.record_bytes_served(target, length)
    return response


def preview(request: HttpRequest, dataset_id: str, number: int) -> HttpResponse:
    """One short clip of the sample, for the dataset page's player."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
        data, content_type = services.preview_clip(request.user, dataset, number)
    except (NotFound, Gone):
        raise Http404("No such clip") from None
    except DomainError as exc:
        return _error(exc.message, exc.code, 403)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
