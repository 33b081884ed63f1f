from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    """A person with an account: a community member, a reviewer or a data user."""

    class OrganizationType(models.TextChoices):
        INDIVIDUAL = "individual", pgettext_lazy("organization type", "Individual")
        ACADEMIC = "academic", pgettext_lazy("organization type", "Academic")
        NON_PROFIT = "non-profit", pgettext_lazy("organization type", "Non-profit")
        COMPANY = "company", pgettext_lazy("organization type", "Company")
        GOVERNMENT = "government", pgettext_lazy("organization type", "Government")

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    organization_type = models.CharField(
        _("organization type"), max_length=20, choices=OrganizationType.choices, blank=True
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class ApiKey(models.Model):
    """One API key of a user. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
