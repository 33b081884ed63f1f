"""Reading HTTP requests: the JSON body of an API call."""

import json
from typing import Any

from django.http import HttpRequest

from .errors import DomainError


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object ({} when the body is empty); a 400 for anything else."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DomainError("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise DomainError("The request body must be a JSON object.", code="invalid_json")
    return data
