from django.contrib import admin
from django.urls import include, path

from steward.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("steward.catalog.urls")),
]
