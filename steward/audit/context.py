"""The request being served: its client address, for the audit log, and its request id, for
the logs (and the tasks it enqueues).

Set by RequestContextMiddleware; empty outside a request (commands), except that a task
runs with the request id of the request that enqueued it (steward/operations/taskqueue.py)."""

import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver

from steward.lib import geoip

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# An id from a proxy or a client is kept when it is short and plain (a UUID, a trace id),
# so that it cannot forge log lines or fill them; anything else gets a new id.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")


def incoming_request_id(header: str | None) -> str:
    """The X-Request-ID header's value when it is sane, else a new random id."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """First in MIDDLEWARE, so that every log line of the request carries its id, and every
    response (errors included) names it in X-Request-ID.

    The context stays set until the response is closed (request_finished, below), not only
    while the middleware runs: Django logs 4xx and 5xx answers after the last middleware
    has returned, and a streamed file is sent after that too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = incoming_request_id(request.headers.get("X-Request-ID"))
        # The client's own address, also behind the operator's proxy (STEWARD_BEHIND_PROXY).
        client_ip.set(geoip.client_ip(request))
        request_id.set(request.id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


@receiver(request_finished)
def clear_request_context(**kwargs) -> None:
    # The server's thread goes on to another request, and a test to other work.
    client_ip.set(None)
    request_id.set(None)
