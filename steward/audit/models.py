from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One security-relevant action: who did what, to which object, when, from where.

    Rows are only ever appended. Each stores the hash of the row before it and its own
    hash over its content, so `steward audit verify` can tell when a row was changed,
    removed or inserted afterwards.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    # No database constraint: the id must outlive a deleted user, or the hash breaks.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The actor as it was when recorded ("marie", "marie (key 1a2b3c4d)", "system"),
    # kept even if the user is later deleted.
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["action"], name="audit_event_action")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"


class AuditChainHead(models.Model):
    """The single row that points at the newest event. Locking it serializes appends,
    and comparing it with the last row reveals a deleted tail."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"
