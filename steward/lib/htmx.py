"""htmx requests: one view serves the page and its fragments."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True when htmx asks for a fragment. A history restore after a cache miss asks for
    the whole page, so it is not one."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
