"""Audit of log-ins, failed log-ins and log-outs, from Django's own auth signals.

Connected in AccountsConfig.ready(); allauth and the admin both send these signals."""

from steward.audit.services import record

from .queries import get_user_by_login


def on_user_logged_in(sender, request, user, **kwargs):
    record(actor=user, action="accounts.user.logged_in", target=user)


def on_user_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`.
    login = credentials.get("username") or credentials.get("email") or ""
    record(
        actor=None,
        action="accounts.user.login_failed",
        target=get_user_by_login(login),
        data={"login": login[:150]},
    )


def on_user_logged_out(sender, request, user, **kwargs):
    # `user` is None when the session had already expired: nobody to record.
    if user is not None:
        record(actor=user, action="accounts.user.logged_out", target=user)
