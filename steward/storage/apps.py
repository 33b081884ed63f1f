from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "steward.storage"
    label = "storage"
