"""The HTTP API: one NinjaAPI, each app's router mounted here with its prefix.

Errors always come back as JSON `{"error": message, "code": ..., "field": ...}`,
the shape the MDC clients read."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from steward.access.api import grants_router, requests_router
from steward.access.api import router as access_router
from steward.accounts.api import router as accounts_router
from steward.accounts.auth import ApiKeyAuth
from steward.catalog.api import router as catalog_router
from steward.catalog.api import submissions_router, uploads_router
from steward.catalog.schemas import ErrorOut
from steward.exports.api import router as exports_router
from steward.lib.errors import DomainError
from steward.payments.api import router as orders_router
from steward.search.api import router as assistant_router


class StewardAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The schema, with the answers every operation can give besides its own: 401 where
        a key is checked, and 429 (with Retry-After) wherever rate limits apply."""
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {"$ref": "#/components/schemas/ErrorOut"}
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorOut", ErrorOut.model_json_schema()
        )
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                if operation.get("security"):
                    responses.setdefault(
                        401,
                        {
                            "description": "Unauthorized",
                            "content": {"application/json": {"schema": error}},
                        },
                    )
                if operation["operationId"] != "steward_api_health":
                    responses.setdefault(
                        429,
                        {
                            "description": "Too Many Requests",
                            "headers": {
                                "Retry-After": {
                                    "description": "seconds until a request will be accepted",
                                    "schema": {"type": "integer"},
                                }
                            },
                            "content": {"application/json": {"schema": error}},
                        },
                    )
        return schema


api = StewardAPI(
    title="Steward API",
    version="1",
    description="The Mozilla Data Collective API, served by Steward.",
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request, status: int, message: str, code: str | None = None, field: str | None = None):
    return api.create_response(
        request, {"error": message, "code": code, "field": field}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.message, exc.code, exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    location = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    message = first.get("msg", _("Invalid input"))
    return _error(
        request, 400, f"{location}: {message}" if location else message, "invalid", location
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(
        request,
        401,
        _("A valid API key is required (Authorization: Bearer <key>)."),
        "unauthorized",
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, str(exc) or _("Not found"), "not_found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


@api.get("/health", auth=None, tags=["meta"], summary="Liveness")
def health(request):
    return {"status": "ok"}


api.add_router("/me", accounts_router)
api.add_router("/datasets", catalog_router)
api.add_router("/datasets", access_router)
api.add_router("/datasets", exports_router)
api.add_router("/submissions", submissions_router)
api.add_router("/uploads", uploads_router)
api.add_router("/access-requests", requests_router)
api.add_router("/grants", grants_router)
api.add_router("/orders", orders_router)
api.add_router("/assistant", assistant_router)
