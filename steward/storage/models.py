from django.conf import settings
from django.db import models


class Blob(models.Model):
    """One stored file: where its bytes are, how many, and their SHA-256. Never changes."""

    key = models.CharField(max_length=500, unique=True)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_bytes__gte=0), name="storage_blob_size_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Upload(models.Model):
    """One resumable multipart transfer into storage. It ends in a Blob once every part is
    in and the whole file's SHA-256 matches what the uploader claimed."""

    class Status(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        VERIFYING = "verifying", "Verifying"  # parts joined; the checksum is being computed
        COMPLETED = "completed", "Completed"  # verified: `blob` holds the file
        FAILED = "failed", "Failed"  # size or checksum did not match
        ABORTED = "aborted", "Aborted"

    public_id = models.CharField(max_length=25, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the upload is for, in the caller's terms (for example a submission's public id).
    reference = models.CharField(max_length=100, db_index=True)
    purpose = models.CharField(max_length=20)  # "archive" or "sample"
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    size_bytes = models.BigIntegerField()
    key = models.CharField(max_length=500)
    store_upload_id = models.CharField(max_length=1000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADING)
    claimed_sha256 = models.CharField(max_length=64, blank=True)
    # The part list the completion was accepted with, so a repeated completion can be compared.
    parts = models.JSONField(default=list)
    failure = models.TextField(blank=True)
    blob = models.OneToOneField(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="upload"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_bytes__gt=0), name="storage_upload_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
