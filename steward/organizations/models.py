from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Slugs that name pages under organizations/ (mounted before the public
# organizations/<slug> page), so no organization may take them.
RESERVED_SLUGS = frozenset({"apply", "new", "mine", "invitations"})


class Organization(models.Model):
    """A community, archive or project that publishes datasets it created."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("organization status", "Pending review")
        APPROVED = "approved", pgettext_lazy("organization status", "Approved")
        REJECTED = "rejected", pgettext_lazy("organization status", "Rejected")
        SUSPENDED = "suspended", pgettext_lazy("organization status", "Suspended")

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    website = models.URLField(_("website"), blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # What the application said, for the reviewers.
    languages_served = models.TextField(_("languages served"), blank=True)
    communities_served = models.TextField(_("communities served"), blank=True)
    contact_name = models.CharField(_("contact name"), max_length=255, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    motivation = models.TextField(_("why it wants to publish"), blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(slug__in=sorted(RESERVED_SLUGS)),
                name="organizations_organization_slug_not_reserved",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS[self.Status(self.status)]


# A rejection can be reconsidered; a suspension can be lifted by approving again.
TRANSITIONS: dict[Organization.Status, set[Organization.Status]] = {
    Organization.Status.PENDING: {Organization.Status.APPROVED, Organization.Status.REJECTED},
    Organization.Status.APPROVED: {Organization.Status.SUSPENDED},
    Organization.Status.REJECTED: {Organization.Status.APPROVED},
    Organization.Status.SUSPENDED: {Organization.Status.APPROVED},
}


class Membership(models.Model):
    """A user's role in an organization."""

    class Role(models.TextChoices):
        OWNER = "owner", pgettext_lazy("membership role", "Owner")
        ADMIN = "admin", pgettext_lazy("membership role", "Admin")
        MEMBER = "member", pgettext_lazy("membership role", "Member")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Guardians decide access requests together where a policy asks for several approvals.
    is_guardian = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="organizations_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization}"


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Neither accepted, revoked nor expired."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An invitation, sent by email, to join an organization with a role."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    def is_addressed_to(self, user) -> bool:
        """Whether `user` signed in with the address the invitation went to."""
        email = getattr(user, "email", "") or ""
        return bool(email) and email.casefold() == self.email.casefold()
