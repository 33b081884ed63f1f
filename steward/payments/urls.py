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
    path("organizations/<slug:slug>/earnings", views.earnings, name="earnings"),
    path("organizations/<slug:slug>/earnings.csv", views.earnings_csv, name="earnings-csv"),
    path("organizations/<slug:slug>/recipients", views.recipients, name="recipients"),
    path(
        "earnings/recipients/<int:recipient_id>",
        views.recipient_statement,
        name="recipient-statement",
    ),
    path("payouts/<str:payout_id>/cancel", views.payout_cancel, name="payout-cancel"),
    path("staff/payouts", views.staff_payouts, name="staff-payouts"),
    path(
        "staff/payouts/<str:payout_id>/mark-paid",
        views.staff_payout_mark_paid,
        name="staff-payout-mark-paid",
    ),
]
