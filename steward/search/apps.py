from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "steward.search"
    label = "search"
