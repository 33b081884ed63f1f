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
