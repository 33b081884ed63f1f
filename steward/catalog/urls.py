from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("datasets", views.dataset_list, name="dataset-list"),
    path("datasets/<str:dataset_id>", views.dataset_detail, name="dataset-detail"),
    path("datasets/<str:dataset_id>/terms", views.dataset_terms, name="dataset-terms"),
    path("languages", views.language_list, name="language-list"),
    path("organizations/<slug:slug>", views.organization_detail, name="organization-detail"),
    path("submissions", views.submission_list, name="submission-list"),
    path("submissions/new", views.submission_new, name="submission-new"),
    path("submissions/<str:public_id>", views.submission_edit, name="submission-edit"),
    path("submissions/<str:public_id>/submit", views.submission_submit, name="submission-submit"),
    path(
        "submissions/<str:public_id>/withdraw",
        views.submission_withdraw,
        name="submission-withdraw",
    ),
    path("submissions/<str:public_id>/delete", views.submission_delete, name="submission-delete"),
    path(
        "submissions/<str:public_id>/comments",
        views.submission_comment,
        name="submission-comment",
    ),
    # The datacollective SDK's schema registry, mirrored for load_dataset.
    path(
        "schema-registry/main/registry/<str:dataset_id>/schema.yaml",
        views.dataset_schema,
        name="dataset-schema",
    ),
]
