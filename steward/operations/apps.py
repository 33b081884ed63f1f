from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running Steward: health, metrics, logs, rate limits, backups and storage moves."""

    name = "steward.operations"
    label = "operations"

    def ready(self):
        # Registers the system checks of the STEWARD_RATE_LIMIT_* settings, and of
        # STEWARD_LOG_FORMAT and STEWARD_METRICS_TOKEN.
        from . import checks, ratelimit  # noqa: F401
