from django.urls import path

from . import views

app_name = "moderation"

# Mounted at staff/.
urlpatterns = [
    path("submissions", views.submission_queue, name="submission-queue"),
    path("submissions/<str:public_id>", views.submission_review, name="submission-review"),
    path("submissions/<str:public_id>/start", views.submission_start, name="submission-start"),
    path(
        "submissions/<str:public_id>/comments",
        views.submission_comment,
        name="submission-comment",
    ),
]
