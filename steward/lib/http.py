"""Reading HTTP requests: the JSON body of an API call, and refusing NUL characters."""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request

from .errors import DomainError


class BodyTooLarge(DomainError):
    status = 413


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object ({} when the body is empty); a 400 for anything else, a
    413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise BodyTooLarge(
            _("The request body is larger than %(data_upload_max_memory_size)s bytes.")
            % {"data_upload_max_memory_size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            code="body_too_large",
        ) from None
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DomainError(_("The request body is not valid JSON."), code="invalid_json") from None
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."), code="invalid_json")
    if (field := _field_with_nul(data)) is not None:
        raise DomainError(
            _("%(field)s: must not contain NUL characters") % {"field": field or "body"},
            code="invalid",
            field=field or None,
        )
    return data


def _field_with_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first key or text holding a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            if "\x00" in key:
                return path
            if (found := _field_with_nul(item, inner)) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _field_with_nul(item, f"{path}.{index}")) is not None:
                return found
    return None


class RefuseNulMiddleware:
    """400 for an address or query string holding a NUL character (%00). None of Steward's
    addresses or parameters contains one, and PostgreSQL refuses it in any text, so it would
    otherwise reach a query and end as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            message = _("The address must not contain NUL characters (%00).")
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"error": message, "code": "invalid", "field": None}, status=400
                )
            return bad_request(request, DomainError(message))
        return self.get_response(request)


def json_body_doc(
    properties: dict[str, Any], *, required: tuple[str, ...] = (), **constraints: Any
) -> dict[str, Any]:
    """`openapi_extra` for an endpoint that reads its body with `json_body`: declares the JSON
    object it takes, so that the OpenAPI schema shows the fields (the endpoint's own checks
    still decide, with their field-naming errors)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, **constraints}
    if required:
        schema["required"] = list(required)
    return {
        "requestBody": {
            "required": bool(required),
            "content": {"application/json": {"schema": schema}},
        }
    }
