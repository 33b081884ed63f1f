"""Audit log reads shared by the organization and staff pages."""

from django.db.models import QuerySet

from .models import AuditEvent

PAGE_SIZE = 50


def list_events(
    organization_id: int | None = None, action_prefix: str = ""
) -> QuerySet[AuditEvent]:
    """Events newest first: one organization's, or the whole platform's when no id is given;
    `action_prefix` keeps the actions that start with it ("moderation.", "catalog.dataset")."""
    events = AuditEvent.objects.order_by("-seq")
    if organization_id is not None:
        events = events.filter(organization_id=organization_id)
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    # The table shows neither the hashes nor the data, which can be large.
    return events.defer("data", "prev_hash", "hash")
