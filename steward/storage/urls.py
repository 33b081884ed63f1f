from django.urls import path

from . import views

app_name = "storage"

urlpatterns = [
    path("parts/<str:token>", views.upload_part, name="part-upload"),
]
