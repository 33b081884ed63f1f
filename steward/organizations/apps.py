from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "steward.organizations"
    label = "organizations"
