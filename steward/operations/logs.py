"""Log lines: the request id on every record, and the two formats STEWARD_LOG_FORMAT chooses.

`text` (the default) is for a person at a terminal; `json` writes one JSON object per line,
for a log collector: time, level, logger, message, request_id, the exception's traceback
when there is one, and any `extra=` fields the caller gave."""

import json
import logging
import re
import time
from datetime import UTC, datetime

from steward.audit.context import request_id

# Attributes every LogRecord has; anything else on a record came from `extra=`, except
# Django's `request` object (its method and path are in the access line) and the text
# format's tag.
_NOT_EXTRA = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "request_id_tag",
    "request",
}

access_log = logging.getLogger("steward.access")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request (or task) it belongs to, or None."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_id_tag)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        rid = getattr(record, "request_id", None)
        record.request_id_tag = f" [{rid}]" if rid else ""
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in vars(record).items():
            if name not in _NOT_EXTRA and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: a stray object in `extra=` must not lose the whole line.
        return json.dumps(line, ensure_ascii=False, default=str)


# URL arguments that are credentials: signed download and upload links, invitations, email
# confirmation and password reset keys. The log keeps the rest of the path.
SECRET_ARGUMENTS = frozenset({"token", "key"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown_path(request) -> str:
    """The request's path as the access log writes it: credentials in it replaced, and
    control characters escaped, so that a path (decoded from %0a...) cannot start a line of
    its own that would pass for another request."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match else ():
        if name in SECRET_ARGUMENTS and isinstance(value, str) and value:
            path = path.replace(value, "[redacted]")
    return _CONTROL.sub(lambda c: f"\\x{ord(c.group()):02x}", path)


def log_request(request, response, started: float) -> None:
    """The access log line of one request: method, path, status and duration."""
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    path = shown_path(request)
    access_log.info(
        "%s %s %s %.1f ms",
        request.method,
        path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
