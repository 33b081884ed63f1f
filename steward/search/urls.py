from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("assistant", views.assistant_chat, name="assistant"),
]
