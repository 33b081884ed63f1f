"""Who calls the API: an API key on every endpoint; on the upload endpoints also the
signed-in browser session, so the web form can upload the way the SDK does."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBasicAuth, HttpBearer, SessionAuth

from steward.lib.errors import Forbidden

from .services import authenticate_api_key


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: the key's user becomes the request's user."""

    def authenticate(self, request: HttpRequest, token: str):
        api_key = authenticate_api_key(token)
        if api_key is not None:
            request.user = api_key.user
            request.api_key = api_key
        return api_key


class BrowserSessionAuth(SessionAuth):
    """The signed-in session, with Django's CSRF check on unsafe methods (ninja's cookie
    auth runs it; the page sends the token as `X-CSRFToken`).

    It is consulted only for a signed-in user whose request carries no key: without that
    guard the CSRF check would run first, and an SDK call with a missing or wrong key would
    get 403 instead of the 401 the SDK turns into AuthenticationError. Staff without an
    authenticator app are refused here as StaffTwoFactorMiddleware refuses them on pages."""

    def __call__(self, request: HttpRequest):
        user = request.user
        if "authorization" in request.headers or not user.is_authenticated:
            return None
        if user.is_staff and not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            return None
        try:
            return super().__call__(request)
        except HttpError as exc:
            if exc.status_code != 403:
                raise
            raise Forbidden(
                _("The CSRF token is missing or wrong: reload the page and try again."),
                code="csrf_failed",
            ) from None


# The upload endpoints (/uploads..., /submissions/{id}/sample...) and nothing else.
UPLOAD_AUTH = [ApiKeyAuth(), BrowserSessionAuth()]


class ApiKeyBasicAuth(HttpBasicAuth):
    """An API key as the password of HTTP Basic (any user name): what tools that only speak
    Basic send, such as mlcroissant (CROISSANT_BASIC_AUTH_USERNAME and _PASSWORD)."""

    def authenticate(self, request: HttpRequest, username: str, password: str):
        return ApiKeyAuth().authenticate(request, password)


def anyone_without_a_key(request: HttpRequest):
    """For public reads: anyone may call; a request that sends a key must send a valid one
    (ApiKeyAuth, listed before this one, answers it)."""
    return "authorization" not in request.headers
