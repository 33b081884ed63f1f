from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "steward.payments"
    label = "payments"
