"""`steward check`: settings of this app that would otherwise be ignored or weak in silence."""

from django.conf import settings
from django.core import checks

LOG_FORMATS = ("text", "json")
# A token that could be guessed exposes the figures of the whole installation.
MIN_METRICS_TOKEN_LENGTH = 24


@checks.register()
def check_log_format(app_configs, **kwargs):
    if settings.STEWARD_LOG_FORMAT in LOG_FORMATS:
        return []
    return [
        checks.Warning(
            f"STEWARD_LOG_FORMAT is {settings.STEWARD_LOG_FORMAT!r}; logs are written as text.",
            hint="Set it to text or json.",
            id="steward.W120",
        )
    ]


@checks.register(deploy=True)
def check_metrics_token(app_configs, **kwargs):
    token = settings.STEWARD_METRICS_TOKEN
    if not token or len(token) >= MIN_METRICS_TOKEN_LENGTH:
        return []
    return [
        checks.Warning(
            f"STEWARD_METRICS_TOKEN is shorter than {MIN_METRICS_TOKEN_LENGTH} characters.",
            hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            id="steward.W121",
        )
    ]
