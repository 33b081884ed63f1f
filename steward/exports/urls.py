from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    # The public catalogue as DCAT-AP 3.0, for harvesters (CKAN, data.europa.eu).
    path("catalog.ttl", views.catalog, {"fmt": "turtle"}, name="catalog-turtle"),
    path("catalog.jsonld", views.catalog, {"fmt": "json-ld"}, name="catalog-jsonld"),
    # A Hugging Face dataset card, for a community that mirrors its metadata there.
    path("datasets/<str:dataset_id>/README.md", views.dataset_card, name="dataset-card"),
]
