from django.conf import settings
from django.db import models

from steward.catalog.models import Dataset, DatasetFile, DatasetVersion


class DownloadEvent(models.Model):
    """One download session granted to a user: who, which file of which version, when, and
    how many bytes were served for it (resumed downloads add to the same session)."""

    class Channel(models.TextChoices):
        API = "api", "API"
        WEB = "web", "Web"

    # Shown to the client as the MDC `accessRecordId`; the integer key stays internal.
    public_id = models.CharField(max_length=25, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="download_events")
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey(DatasetFile, on_delete=models.PROTECT, related_name="+")
    organization_id = models.BigIntegerField(db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    client = models.CharField(max_length=300, blank=True)  # the User-Agent
    bytes_served = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dataset", "created_at"], name="access_download_by_dataset")
        ]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.file}"
