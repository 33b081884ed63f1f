"""Times as the API writes them."""

from datetime import UTC, datetime


def api_time(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC to the millisecond with a Z, as MDC sends times
    ("2026-03-01T11:00:00.000Z"); None stays None."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
