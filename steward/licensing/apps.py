from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "steward.licensing"
    label = "licensing"
