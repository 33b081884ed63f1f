from django.contrib import admin
from django.urls import include, path

from steward.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    # set_language: the language switcher in base.html posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("steward.accounts.urls")),
    path("files/", include("steward.storage.urls")),
    # Before the catalogue, whose organizations/<slug> would otherwise take organizations/apply.
    path("", include("steward.organizations.urls")),
    path("", include("steward.moderation.urls")),
    path("", include("steward.catalog.urls")),
    path("", include("steward.access.urls")),
    path("", include("steward.payments.urls")),
    path("", include("steward.search.urls")),
    path("", include("steward.exports.urls")),
    path("", include("steward.operations.urls")),
]
