from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    # /healthz and /readyz are answered by HealthProbeMiddleware, before the host check.
    path("metrics", views.metrics, name="metrics"),
]
