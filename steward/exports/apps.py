from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """The catalogue in the ecosystem's formats: Croissant, DCAT-AP, dataset cards and
    provenance bundles."""

    name = "steward.exports"
    label = "exports"
