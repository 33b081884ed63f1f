from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from steward.lib.errors import DomainError

from . import services
from .request_body import request_body


@csrf_exempt  # called by upload clients, which hold a signed URL, not a session
@require_http_methods(["PUT"])
def upload_part(request: HttpRequest, token: str) -> HttpResponse:
    """Take one part of a local-storage upload: the signed token in the URL authorizes it.

    The body is streamed to disk (straight from the socket under gunicorn, else with
    request.read()), never through request.body, which would hold the whole part in memory
    and refuse it above DATA_UPLOAD_MAX_MEMORY_SIZE. Answers 200 with a strong, quoted
    ETag, as S3 does."""
    try:
        upload, number = services.upload_for_part_token(token)
        length = request.META.get("CONTENT_LENGTH", "")
        if not length.isdigit():
            return JsonResponse(
                {
                    "error": _("Send the part with a Content-Length header."),
                    "code": "length_required",
                },
                status=411,
            )
        length = int(length)
        part = services.write_part(upload, number, request_body(request, length), length)
    except DomainError as exc:
        return JsonResponse(
            {"error": exc.message, "code": exc.code, "field": exc.field}, status=exc.status
        )
    response = HttpResponse(status=200)
    response["ETag"] = f'"{part.etag}"'
    return response
