import time

from django.http import HttpResponse, JsonResponse

from . import health, logs, metrics, security


class SecurityHeadersMiddleware:
    """Content-Security-Policy (see security.py) and Permissions-Policy on every response;
    a view that set its own Content-Security-Policy keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            is_page = response.get("Content-Type", "").startswith("text/html")
            response["Content-Security-Policy"] = (
                security.page_policy() if is_page else security.NOT_A_PAGE_POLICY
            )
        response.setdefault("Permissions-Policy", security.PERMISSIONS_POLICY)
        return response


class HealthProbeMiddleware:
    """Answers GET or HEAD /healthz and /readyz.

    Ahead of Django's host check and HTTPS redirect: an orchestrator's or load balancer's
    probe usually addresses the process by its own IP, over plain HTTP, and would be
    refused. Neither answer shows anything a client could abuse (see health.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if request.path_info == "/healthz":
            return _probe_response(request, {"status": "ok"}, 200)
        if request.path_info == "/readyz":
            results = health.readiness()
            failed = [name for name, result in results.items() if not result.ok]
            body = {
                "status": "unavailable" if failed else "ok",
                "failed": failed,
                "checks": {name: {"ok": r.ok, **r.details} for name, r in results.items()},
            }
            return _probe_response(request, body, 503 if failed else 200)
        return self.get_response(request)


def _probe_response(request, body: dict, status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if request.method == "HEAD":
        response.content = b""
    return response


class RequestMetricsMiddleware:
    """Counts and times each request for /metrics, and writes its access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(request, response.status_code, started)
        logs.log_request(request, response, started)
        return response
