from django.urls import path

from . import views

app_name = "moderation"

# Mounted at the site root before the catalogue: the report form and the organization's
# answer are public paths, the rest sits under staff/.
urlpatterns = [
    path("datasets/<str:dataset_id>/report", views.report_new, name="report-new"),
    path("reports/<int:pk>/answer", views.report_answer, name="report-answer"),
    path("staff/submissions", views.submission_queue, name="submission-queue"),
    path("staff/submissions/<str:public_id>", views.submission_review, name="submission-review"),
    path(
        "staff/submissions/<str:public_id>/start",
        views.submission_start,
        name="submission-start",
    ),
    path(
        "staff/submissions/<str:public_id>/comments",
        views.submission_comment,
        name="submission-comment",
    ),
    path("staff/reports", views.report_list, name="report-list"),
    path("staff/reports/<int:pk>", views.report_detail, name="report-detail"),
    path("staff/reports/<int:pk>/take-down", views.report_take_down, name="report-take-down"),
    path("staff/reports/<int:pk>/dismiss", views.report_dismiss, name="report-dismiss"),
    path("staff/reports/<int:pk>/restore", views.report_restore, name="report-restore"),
    path("staff/audit", views.audit_log, name="audit-log"),
]
