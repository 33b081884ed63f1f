from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# allauth's own pages: log-out, email and password management, re-authentication and
# two-factor set-up itself, which staff must reach to comply.
EXEMPT_URL_NAME_PREFIXES = ("account_", "mfa_")


class StaffTwoFactorMiddleware:
    """Platform staff must turn on an authenticator app before they can use the site.

    Staff can approve organizations and datasets, so a stolen password alone must not be
    enough. The API is exempt: it authenticates with API keys, not sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return None
        match = request.resolver_match
        if (match.url_name or "").startswith(EXEMPT_URL_NAME_PREFIXES):
            return None
        if "api" in match.namespaces or request.path.startswith(settings.STATIC_URL):
            return None
        if is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            return None
        messages.warning(
            request,
            _("Platform staff must turn on two-factor authentication before continuing."),
        )
        return redirect("mfa_activate_totp")
