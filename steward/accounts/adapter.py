from allauth.account.adapter import DefaultAccountAdapter
from axes.handlers.proxy import AxesProxyHandler

from . import services


class AccountAdapter(DefaultAccountAdapter):
    """Steward's hooks into allauth: sign-up goes through our service, lockout through axes."""

    def save_user(self, request, user, form, commit=True):
        # allauth hands over an empty User; the service creates the real one so that sign-up
        # is validated and audited like every other account. allauth's account flow always
        # commits (commit=False only comes from social accounts, which are not installed).
        data = form.cleaned_data
        return services.sign_up_user(
            data["username"],
            email=data["email"],
            password=data["password1"],
            full_name=data["full_name"],
            country=data["country"],
            organization_type=data["organization_type"],
        )

    def pre_authenticate(self, request, **credentials):
        # allauth counts failed log-ins too, and at the same limit it would answer with a
        # form error before axes could. Asking axes first gives a locked-out log-in the
        # lockout page every time, even with the right password.
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = {k: v for k, v in credentials.items() if k != "password"}
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)
