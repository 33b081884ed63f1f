from django.db.models import QuerySet

from .models import Invitation, Membership, Organization


def list_memberships_of(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def list_invitations_to(user) -> QuerySet[Invitation]:
    """Open invitations sent to the user's address."""
    if not user.email:
        return Invitation.objects.none()
    return (
        Invitation.objects.open()
        .filter(email__iexact=user.email)
        .select_related("organization")
        .order_by("created_at")
    )


def list_members(organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__username")
    )


def list_open_invitations(organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.open().select_related("invited_by").order_by("created_at")


def list_pending_applications() -> QuerySet[Organization]:
    """Oldest first: the one that has waited longest is reviewed next."""
    return (
        Organization.objects.filter(status=Organization.Status.PENDING)
        .select_related("applied_by")
        .order_by("created_at", "pk")
    )
