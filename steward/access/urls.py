from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path(
        "datasets/<str:dataset_id>/download",
        views.dataset_download,
        {"role": "archive"},
        name="dataset-download",
    ),
    path(
        "datasets/<str:dataset_id>/sample-download",
        views.dataset_download,
        {"role": "sample"},
        name="sample-download",
    ),
    path("datasets/<str:dataset_id>/preview/<int:number>", views.preview, name="preview"),
    # The signed link that API sessions and the page's buttons hand out.
    path("downloads/<str:token>", views.download, name="download"),
    # Access requests: asking, the requester's own page, the organization's queue.
    path(
        "datasets/<str:dataset_id>/request-access",
        views.request_access,
        name="request-access",
    ),
    path("access/", views.my_access, name="my-access"),
    path("access/grants/<str:grant_id>/renew", views.grant_renew, name="grant-renew"),
    path("access/deletions/<str:token>", views.confirm_deletion, name="confirm-deletion"),
    path(
        "organizations/<slug:slug>/access-requests",
        views.request_queue,
        name="request-queue",
    ),
    path(
        "organizations/<slug:slug>/access-requests/<str:request_id>/approve",
        views.request_approve,
        name="request-approve",
    ),
    path(
        "organizations/<slug:slug>/access-requests/<str:request_id>/deny",
        views.request_deny,
        name="request-deny",
    ),
    path(
        "organizations/<slug:slug>/grants/<str:grant_id>/revoke",
        views.grant_revoke,
        name="grant-revoke",
    ),
    # Withdrawing a version, and who confirmed deleting their copy.
    path(
        "organizations/<slug:slug>/datasets/<str:dataset_id>/versions/<int:number>/withdraw",
        views.withdraw_version,
        name="withdraw-version",
    ),
    path(
        "organizations/<slug:slug>/datasets/<str:dataset_id>/withdrawals",
        views.withdrawals,
        name="withdrawals",
    ),
    # Usage figures, for the organization's members.
    path("organizations/<slug:slug>/usage", views.organization_usage, name="organization-usage"),
    path(
        "organizations/<slug:slug>/datasets/<str:dataset_id>/usage",
        views.dataset_usage,
        name="dataset-usage",
    ),
    path(
        "organizations/<slug:slug>/datasets/<str:dataset_id>/usage.csv",
        views.dataset_usage_csv,
        name="dataset-usage-csv",
    ),
]
