from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("api-keys", views.apikey_list, name="apikey-list"),
    path("api-keys/<str:prefix>/revoke", views.apikey_revoke, name="apikey-revoke"),
]
