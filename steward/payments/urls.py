from django.urls import path

from . import views, webhooks

app_name = "payments"

urlpatterns = [
    path("datasets/<str:dataset_id>/buy", views.buy, name="buy"),
    path("orders/<str:order_id>", views.order, name="order"),
    path("orders/<str:order_id>/cancel", views.cancel, name="cancel"),
    path("staff/orders", views.staff_orders, name="staff-orders"),
    path("staff/orders/<str:order_id>/mark-paid", views.staff_mark_paid, name="staff-mark-paid"),
    path("staff/orders/<str:order_id>/refund", views.staff_refund, name="staff-refund"),
    path("payments/stripe/webhook", webhooks.stripe_webhook, name="stripe-webhook"),
]
