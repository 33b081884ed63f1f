"""Who may do what in an organization: the one table of roles and capabilities."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Membership, Organization

VIEW = "view"
SUBMIT = "submit"  # create and edit submissions
MANAGE_MEMBERS = "manage_members"
MANAGE_ORGANIZATION = "manage_organization"
VIEW_AUDIT = "view_audit"

CAPABILITIES: dict[str, set[str]] = {
    Membership.Role.OWNER: {VIEW, SUBMIT, MANAGE_MEMBERS, MANAGE_ORGANIZATION, VIEW_AUDIT},
    Membership.Role.ADMIN: {VIEW, SUBMIT, MANAGE_MEMBERS},
    Membership.Role.MEMBER: {VIEW, SUBMIT},
}


def role_of(user, organization: Organization) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(organization=organization, user=user)
        .values_list("role", flat=True)
        .first()
    )


def can(user, organization: Organization, capability: str) -> bool:
    role = role_of(user, organization)
    return role is not None and capability in CAPABILITIES[role]


def get_organization_for(user, slug: str, need: str = VIEW) -> Organization:
    """The organization if `user` holds `need` in it: 404 if they are not a member,
    403 if they are a member without that capability."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Http404("Organization not found")
    role = role_of(user, organization)
    if role is None:
        raise Http404("Organization not found")
    if need not in CAPABILITIES[role]:
        raise PermissionDenied("Your role in this organization does not allow this.")
    return organization
