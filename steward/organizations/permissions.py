"""Who may do what in an organization: the one table of roles and capabilities."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Invitation, Membership, Organization

VIEW = "view"
SUBMIT = "submit"  # create and edit submissions
MANAGE_MEMBERS = "manage_members"  # invite, change roles and remove members and admins
MANAGE_OWNERS = "manage_owners"  # make, demote and remove owners
MANAGE_ORGANIZATION = "manage_organization"
VIEW_AUDIT = "view_audit"
ANSWER_REPORTS = "answer_reports"  # answer takedown reports about the organization's datasets
DECIDE_ACCESS = "decide_access"  # approve, deny and revoke access to the datasets
MANAGE_TERMS = "manage_terms"  # change usage policies, withdraw versions

CAPABILITIES: dict[str, set[str]] = {
    Membership.Role.OWNER: {
        VIEW,
        SUBMIT,
        MANAGE_MEMBERS,
        MANAGE_OWNERS,
        MANAGE_ORGANIZATION,
        VIEW_AUDIT,
        ANSWER_REPORTS,
        DECIDE_ACCESS,
        MANAGE_TERMS,
    },
    Membership.Role.ADMIN: {
        VIEW,
        SUBMIT,
        MANAGE_MEMBERS,
        ANSWER_REPORTS,
        DECIDE_ACCESS,
        MANAGE_TERMS,
    },
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


def capabilities_of(user, organization: Organization) -> set[str]:
    role = role_of(user, organization)
    return set(CAPABILITIES[role]) if role is not None else set()


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
        raise PermissionDenied(_("Your role in this organization does not allow this."))
    return organization


def get_membership_for(user, organization: Organization, username: str) -> Membership:
    """The membership of `username` in an organization `user` already got through
    get_organization_for; 404 if that person is not a member."""
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=organization, user__username=username)
        .first()
    )
    if membership is None:
        raise Http404("Member not found")
    return membership


def is_reviewer(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def check_reviewer(user) -> None:
    """404 for anyone but staff: the review queue is not even admitted to exist."""
    if not is_reviewer(user):
        raise Http404("Page not found")


def get_application_for(user, slug: str) -> Organization:
    """Any organization, in any status, for a reviewer; 404 for everyone else."""
    check_reviewer(user)
    organization = (
        Organization.objects.select_related("applied_by", "decided_by").filter(slug=slug).first()
    )
    if organization is None:
        raise Http404("Organization not found")
    return organization


def get_invitation_for(user, token: str) -> Invitation:
    """The invitation with this token, to anyone signed in who holds the link; whether they
    may accept it is the service's decision (the address must match)."""
    if user is None or not user.is_authenticated:
        raise Http404("Invitation not found")
    invitation = (
        Invitation.objects.select_related("organization", "invited_by").filter(token=token).first()
    )
    if invitation is None:
        raise Http404("Invitation not found")
    return invitation


def assignable_roles(capabilities: set[str], membership: Membership | None = None) -> list[str]:
    """The roles someone with `capabilities` may give (to `membership`, or to an invitee)."""
    if MANAGE_MEMBERS not in capabilities:
        return []
    if MANAGE_OWNERS in capabilities:
        return list(Membership.Role.values)
    if membership is not None and membership.role == Membership.Role.OWNER:
        return []
    return [Membership.Role.ADMIN, Membership.Role.MEMBER]


def may_remove(capabilities: set[str], membership: Membership) -> bool:
    if MANAGE_MEMBERS not in capabilities:
        return False
    return membership.role != Membership.Role.OWNER or MANAGE_OWNERS in capabilities
