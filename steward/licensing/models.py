from functools import cached_property

from django.conf import settings
from django.db import models

from steward.organizations.models import Organization

from . import engine
from .document import policy_from_stored


class UsagePolicy(models.Model):
    """The terms of one dataset over time: a series of versions, the latest in force.

    A new version affects only grants made after it; each grant keeps the version it accepted.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="usage_policies"
    )
    current = models.ForeignKey(
        "PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"usage policy {self.pk} of {self.organization}"


class PolicyVersion(models.Model):
    """One version of a usage policy, immutable: the stored policy document (see
    licensing/document.py), with a snapshot of the licence's facts as they were."""

    policy = models.ForeignKey(UsagePolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "number"], name="licensing_policyversion_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    @cached_property
    def terms(self) -> engine.Policy:
        return policy_from_stored(self.document)
