from django.apps import AppConfig


class StewardConfig(AppConfig):
    """Project-wide pieces with no models of their own: the `serve` command, base templates."""

    name = "steward"
    verbose_name = "Steward"

    def ready(self):
        from steward.lib import geoip  # noqa: F401  (registers its system check)
