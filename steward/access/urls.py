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
]
