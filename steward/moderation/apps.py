from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "steward.moderation"
    label = "moderation"
