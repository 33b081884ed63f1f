from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from steward.catalog.models import Dataset, DatasetFile, DatasetVersion
from steward.licensing.engine import OrganizationType, Purpose
from steward.licensing.models import PolicyVersion

PURPOSE_CHOICES = [(p.value, p.value.replace("_", "-")) for p in Purpose]
ORGANIZATION_TYPE_CHOICES = [(t.value, t.value) for t in OrganizationType]


class AccessRequest(models.Model):
    """A user's request to use a dataset, under the terms (policy version) they accepted."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("access request status", "Pending")
        APPROVED = "approved", pgettext_lazy("access request status", "Approved")
        DENIED = "denied", pgettext_lazy("access request status", "Denied")

    public_id = models.CharField(max_length=25, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="access_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Why it was denied, or what the automatic decision rested on.
    reason = models.TextField(blank=True)
    purpose = models.CharField(max_length=20, choices=PURPOSE_CHOICES)
    country = models.CharField(max_length=2)
    # The country of the address the request came from, where a GeoIP database is configured.
    ip_country = models.CharField(max_length=2, blank=True)
    organization_name = models.CharField(max_length=300, blank=True)
    organization_type = models.CharField(max_length=20, choices=ORGANIZATION_TYPE_CHOICES)
    organization_website = models.URLField(max_length=500, blank=True)
    # The requester had a confirmed email address on the website's domain when asking.
    organization_verified = models.BooleanField(default=False)
    intended_use = models.TextField(blank=True)
    answers = models.JSONField(default=dict)
    terms_accepted_at = models.DateTimeField()
    # The price this requester was quoted, in minor units (0: free).
    price_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    # A request made again after a denial points at the one it follows.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dataset", "status", "created_at"], name="access_request_queue"),
        ]
        constraints = [
            # One open request per user and dataset at a time.
            models.UniqueConstraint(
                fields=["dataset", "user"],
                condition=Q(status="pending"),
                name="access_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.dataset} ({self.status})"


class Vote(models.Model):
    """One guardian's decision on a request that needs several approvals."""

    class Decision(models.TextChoices):
        APPROVE = "approve", pgettext_lazy("guardian vote", "Approve")
        DENY = "deny", pgettext_lazy("guardian vote", "Deny")

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="votes")
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "guardian"], name="access_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} votes {self.decision} on {self.request}"


class GrantQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Grant(models.Model):
    """Permission for one user to use one dataset, under the policy version they accepted,
    for the purpose and from the country they declared, until it expires or is revoked."""

    public_id = models.CharField(max_length=25, unique=True)
    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=20, choices=PURPOSE_CHOICES)
    country = models.CharField(max_length=2)
    organization_type = models.CharField(max_length=20, choices=ORGANIZATION_TYPE_CHOICES)
    organization_verified = models.BooleanField(default=False)
    price_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    # Set when the price has been paid (payments); a free grant needs none.
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    # What the holder reported building with the data, when they renewed.
    usage_report = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "dataset"], name="access_grant_by_user")]

    def __str__(self) -> str:
        return f"grant {self.public_id} of {self.dataset} to {self.user}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_paid(self) -> bool:
        return self.price_cents == 0 or self.paid_at is not None


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
    # The grant the download rests on (none for open terms and the organization's members),
    # and the purpose and country it declared, for the owners' statistics.
    grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="downloads"
    )
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
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


class DeletionRequest(models.Model):
    """After a version is withdrawn, one user who downloaded it is asked to delete their copy
    and confirm; the organization sees the confirmation, or its absence after the deadline."""

    version = models.ForeignKey(
        DatasetVersion, on_delete=models.PROTECT, related_name="deletion_requests"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=25, unique=True)
    notified_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Set once the deadline passed unconfirmed and the audit log says so.
    lapsed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "user"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="access_deletion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} to delete {self.version}"
