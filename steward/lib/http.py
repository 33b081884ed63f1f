"""Reading HTTP requests: the JSON body of an API call."""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _

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
    return data
