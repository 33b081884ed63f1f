import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.lib.errors import DomainError, from_validation_error

from .models import Membership, Organization

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


class OrganizationError(DomainError):
    """Codes: invalid_slug, slug_taken, invalid_name, unknown_organization."""


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise OrganizationError(
            "A slug is 1 to 100 lower-case letters, digits and inner hyphens.",
            code="invalid_slug",
            field="slug",
        )
    return slug


def create_organization(
    slug: str,
    *,
    name: str,
    owner=None,
    description: str = "",
    country: str = "",
    website: str = "",
    approved: bool = False,
) -> Organization:
    """Create an organization (pending unless `approved`), with `owner` as its first owner."""
    slug = validate_slug(slug)
    name = name.strip()
    if not name or len(name) > 255:
        raise OrganizationError(
            "A name of 1 to 255 characters is required.", code="invalid_name", field="name"
        )
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise OrganizationError(f"The slug {slug!r} is taken.", code="slug_taken", field="slug")
        org = Organization(
            slug=slug,
            name=name,
            description=description,
            country=country.upper()[:2],
            website=website,
            status=Organization.Status.APPROVED if approved else Organization.Status.PENDING,
            approved_at=timezone.now() if approved else None,
        )
        try:
            org.full_clean()
        except ValidationError as exc:
            raise from_validation_error(exc, OrganizationError) from None
        org.save()
        if owner is not None:
            Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


def approve_organization(org: Organization) -> Organization:
    """Mark the organization approved; approving twice changes nothing."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        if org.status != Organization.Status.APPROVED:
            org.status = Organization.Status.APPROVED
            org.approved_at = timezone.now()
            org.save(update_fields=["status", "approved_at"])
    return org


def get_organization(slug: str) -> Organization:
    try:
        return Organization.objects.get(slug=slug.strip().lower())
    except Organization.DoesNotExist:
        raise OrganizationError(
            f"No organization with the slug {slug!r}.", code="unknown_organization", field="slug"
        ) from None
