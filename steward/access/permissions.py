"""Fetch an access request or a grant and check who may see it, in one step."""

from django.utils.translation import gettext as _

from steward.catalog.models import Dataset
from steward.lib.errors import NotFound
from steward.organizations.models import Membership
from steward.organizations.permissions import CAPABILITIES, DECIDE_ACCESS

from .models import AccessRequest, Grant


def decides_for(user, dataset: Dataset) -> bool:
    """Whether `user` answers the access requests of `dataset`'s organization (its owners
    and admins, and its guardians)."""
    if user is None or not user.is_authenticated:
        return False
    membership = Membership.objects.filter(
        organization_id=dataset.organization_id, user=user
    ).first()
    return membership is not None and (
        membership.is_guardian or DECIDE_ACCESS in CAPABILITIES[membership.role]
    )


def get_request_for(user, public_id: str) -> AccessRequest:
    """The request if `user` made it or decides for its dataset; 404 for anyone else."""
    request = (
        AccessRequest.objects.select_related(
            "dataset__organization", "user", "policy_version", "grant"
        )
        .filter(public_id=public_id)
        .first()
    )
    if request is None or not (request.user_id == user.pk or decides_for(user, request.dataset)):
        raise NotFound(_("Access request not found"))
    return request


def get_grant_for(user, public_id: str) -> Grant:
    """The grant if `user` holds it or decides for its dataset; 404 for anyone else."""
    grant = (
        Grant.objects.select_related("dataset__organization", "user", "policy_version")
        .filter(public_id=public_id)
        .first()
    )
    if grant is None or not (grant.user_id == user.pk or decides_for(user, grant.dataset)):
        raise NotFound(_("Grant not found"))
    return grant
