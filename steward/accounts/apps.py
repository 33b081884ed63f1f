from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "steward.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth import signals as auth_signals

        from . import signals

        auth_signals.user_logged_in.connect(signals.on_user_logged_in, dispatch_uid="accounts")
        auth_signals.user_login_failed.connect(
            signals.on_user_login_failed, dispatch_uid="accounts"
        )
        auth_signals.user_logged_out.connect(signals.on_user_logged_out, dispatch_uid="accounts")
