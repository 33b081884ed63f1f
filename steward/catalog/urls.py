from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("datasets", views.dataset_list, name="dataset-list"),
    path("datasets/<str:dataset_id>", views.dataset_detail, name="dataset-detail"),
    path("languages", views.language_list, name="language-list"),
    path("organizations/<slug:slug>", views.organization_detail, name="organization-detail"),
]
