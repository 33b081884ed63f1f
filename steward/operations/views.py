import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from .metrics import render_metrics


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for whoever holds STEWARD_METRICS_TOKEN (Authorization: Bearer).
    Without a configured token the page does not exist."""
    token = settings.STEWARD_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        response = HttpResponse("Send the token: Authorization: Bearer <token>\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not secrets.compare_digest(given.strip().encode(), token.encode()):
        return HttpResponse("Wrong metrics token.\n", status=403)
    body, content_type = render_metrics()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
