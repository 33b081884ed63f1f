import re
import secrets
from datetime import timedelta

import pycountry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.lib.errors import DomainError, from_validation_error
from steward.lib.mail import absolute_url, send_after_commit

from . import permissions
from .models import RESERVED_SLUGS, Invitation, Membership, Organization

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
INVITATION_LIFETIME = timedelta(days=14)


class OrganizationError(DomainError):
    """Codes: invalid_slug, reserved_slug, slug_taken, invalid_name, invalid_country, invalid,
    required, unknown_organization, illegal_transition, reason_required, invalid_email,
    invalid_role, already_member, not_a_member, last_owner, organization_closed."""


class OrganizationForbidden(OrganizationError):
    """The actor's role does not allow the change. Codes: forbidden, owners_only, wrong_email."""

    status = 403


class InvitationGone(OrganizationError):
    """Codes: invitation_expired, invitation_revoked, invitation_used."""

    status = 410


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise OrganizationError(
            _("A slug is 1 to 100 lower-case letters, digits and inner hyphens."),
            code="invalid_slug",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise OrganizationError(
            _("The slug %(slug)s is reserved; choose another.") % {"slug": slug},
            code="reserved_slug",
            field="slug",
        )
    return slug


def suggest_slug(name: str) -> str:
    """A free, valid slug made from `name`, or "" when the name has no Latin letters or digits."""
    base = slugify(name)[:90].strip("-")
    if not base or not SLUG_RE.match(base):
        return ""
    taken = set(
        Organization.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    ) | set(RESERVED_SLUGS)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _clean_country(country: str) -> str:
    country = country.strip().upper()
    if country and pycountry.countries.get(alpha_2=country) is None:
        raise OrganizationError(
            _("%(country)s is not an ISO 3166 country code.") % {"country": country},
            code="invalid_country",
            field="country",
        )
    return country


def _new_organization(slug: str, *, name: str, country: str, **fields) -> Organization:
    """Validate and save a new organization; the caller holds the transaction."""
    slug = validate_slug(slug)
    name = name.strip()
    if not name or len(name) > 255:
        raise OrganizationError(
            _("A name of 1 to 255 characters is required."), code="invalid_name", field="name"
        )
    taken = OrganizationError(
        _("The slug %(slug)s is taken.") % {"slug": slug}, code="slug_taken", field="slug"
    )
    if Organization.objects.filter(slug=slug).exists():
        raise taken
    org = Organization(slug=slug, name=name, country=_clean_country(country), **fields)
    try:
        org.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc, OrganizationError) from None
    try:
        # A concurrent application may take the slug between the check and the insert.
        with transaction.atomic():
            org.save()
    except IntegrityError:
        raise taken from None
    return org


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
    with transaction.atomic():
        org = _new_organization(
            slug,
            name=name,
            country=country,
            description=description,
            website=website,
            status=Organization.Status.APPROVED if approved else Organization.Status.PENDING,
            approved_at=timezone.now() if approved else None,
        )
        if owner is not None:
            Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


def apply_for_organization(
    user,
    *,
    name: str,
    slug: str,
    description: str = "",
    country: str = "",
    website: str = "",
    languages_served: str = "",
    communities_served: str = "",
    contact_name: str = "",
    contact_email: str = "",
    motivation: str = "",
) -> Organization:
    """Create a pending organization owned by `user` and tell the reviewers about it."""
    contact_email = contact_email.strip()
    for field, value in (("contact_email", contact_email), ("motivation", motivation.strip())):
        if not value:
            raise OrganizationError(_("This field is required."), code="required", field=field)
    with transaction.atomic():
        org = _new_organization(
            slug,
            name=name,
            country=country,
            description=description.strip(),
            website=website.strip(),
            languages_served=languages_served.strip(),
            communities_served=communities_served.strip(),
            contact_name=contact_name.strip(),
            contact_email=contact_email,
            motivation=motivation.strip(),
            status=Organization.Status.PENDING,
            applied_by=user,
        )
        Membership.objects.create(organization=org, user=user, role=Membership.Role.OWNER)
        record(
            actor=user,
            action="organizations.organization.applied",
            target=org,
            organization_id=org.pk,
            data={"slug": org.slug, "name": org.name},
        )
        reviewers = get_user_model().objects.filter(is_staff=True, is_active=True)
        send_after_commit(
            [reviewer.email for reviewer in reviewers],
            _("New organization application: %(name)s") % {"name": org.name},
            "organizations/email/application_received.txt",
            {
                "organization": org,
                "applicant": user,
                "review_url": absolute_url(reverse("organizations:review-detail", args=[org.slug])),
            },
        )
    return org


def _user_of(actor):
    """The person behind an actor: a User, the owner of an ApiKey, or None for the system."""
    return getattr(actor, "user", actor)


def _applicant_emails(org: Organization) -> list[str]:
    owners = Membership.objects.filter(organization=org, role=Membership.Role.OWNER)
    emails = [membership.user.email for membership in owners.select_related("user")]
    if org.applied_by is not None:
        emails.append(org.applied_by.email)
    return emails


def _illegal_transition(org: Organization, status: Organization.Status) -> OrganizationError:
    return OrganizationError(
        _("An organization that is %(current)s cannot become %(new)s.")
        % {"current": org.get_status_display().lower(), "new": status.label.lower()},
        code="illegal_transition",
        field="status",
    )


def approve_organization(org: Organization, *, actor) -> Organization:
    """Mark the organization approved and tell its owners; approving twice changes nothing."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        if org.status == Organization.Status.APPROVED:
            return org
        if not org.can_become(Organization.Status.APPROVED):
            raise _illegal_transition(org, Organization.Status.APPROVED)
        previous = org.status
        org.status = Organization.Status.APPROVED
        org.approved_at = timezone.now()
        org.decided_by = _user_of(actor)
        org.decision_reason = ""
        org.save(update_fields=["status", "approved_at", "decided_by", "decision_reason"])
        record(
            actor=actor,
            action="organizations.organization.approved",
            target=org,
            organization_id=org.pk,
            data={"from": previous},
        )
        send_after_commit(
            _applicant_emails(org),
            _("%(name)s is approved") % {"name": org.name},
            "organizations/email/organization_approved.txt",
            {
                "organization": org,
                "page_url": absolute_url(reverse("catalog:organization-detail", args=[org.slug])),
                "members_url": absolute_url(reverse("organizations:members", args=[org.slug])),
            },
        )
    return org


def reject_organization(org: Organization, *, actor, reason: str) -> Organization:
    """Reject a pending application with a reason the owners are sent; rejecting twice
    changes nothing."""
    reason = reason.strip()
    if not reason:
        raise OrganizationError(
            _("Say why the application is rejected: the applicant reads it."),
            code="reason_required",
            field="reason",
        )
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        if org.status == Organization.Status.REJECTED:
            return org
        if not org.can_become(Organization.Status.REJECTED):
            raise _illegal_transition(org, Organization.Status.REJECTED)
        previous = org.status
        org.status = Organization.Status.REJECTED
        org.decided_by = _user_of(actor)
        org.decision_reason = reason
        org.save(update_fields=["status", "decided_by", "decision_reason"])
        record(
            actor=actor,
            action="organizations.organization.rejected",
            target=org,
            organization_id=org.pk,
            data={"from": previous, "reason": reason},
        )
        send_after_commit(
            _applicant_emails(org),
            _("Your application for %(name)s") % {"name": org.name},
            "organizations/email/organization_rejected.txt",
            {
                "organization": org,
                "reason": reason,
                "mine_url": absolute_url(reverse("organizations:mine")),
            },
        )
    return org


def get_organization(slug: str) -> Organization:
    try:
        return Organization.objects.get(slug=slug.strip().lower())
    except Organization.DoesNotExist:
        raise OrganizationError(
            _("No organization with the slug %(slug)s.") % {"slug": slug},
            code="unknown_organization",
            field="slug",
        ) from None


# Membership changes lock the organization row first, so two changes to one organization
# run one after the other and the last-owner check cannot be raced.


def _lock(org: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=org.pk)


def _require(actor, org: Organization, capability: str, message: str, code: str) -> None:
    # actor None is the system (CLI), which may do anything.
    if actor is not None and not permissions.can(_user_of(actor), org, capability):
        raise OrganizationForbidden(message, code=code)


def _require_member_manager(actor, org: Organization) -> None:
    _require(
        actor,
        org,
        permissions.MANAGE_MEMBERS,
        _("Only owners and admins can manage members."),
        "forbidden",
    )


def _require_owner_manager(actor, org: Organization) -> None:
    _require(
        actor,
        org,
        permissions.MANAGE_OWNERS,
        _("Only owners can make, change or remove owners."),
        "owners_only",
    )


def _check_role(role: str) -> str:
    if role not in Membership.Role.values:
        raise OrganizationError(_("Choose a valid role."), code="invalid_role", field="role")
    return role


def _check_not_last_owner(membership: Membership, message: str) -> None:
    if membership.role != Membership.Role.OWNER:
        return
    owners = Membership.objects.filter(
        organization_id=membership.organization_id, role=Membership.Role.OWNER
    )
    if owners.count() <= 1:
        raise OrganizationError(message, code="last_owner", field="role")


def _check_open(org: Organization) -> None:
    if org.status in (Organization.Status.REJECTED, Organization.Status.SUSPENDED):
        raise OrganizationError(
            _("%(name)s is %(status)s and cannot take new members.")
            % {"name": org.name, "status": org.get_status_display().lower()},
            code="organization_closed",
        )


def invite_member(org: Organization, *, actor, email: str, role: str) -> Invitation:
    """Send an invitation to join `org` with `role`; it replaces any open invitation to the
    same address and expires after 14 days."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise OrganizationError(
            _("Enter a valid email address."), code="invalid_email", field="email"
        ) from None
    role = _check_role(role)
    with transaction.atomic():
        org = _lock(org)
        _require_member_manager(actor, org)
        if role == Membership.Role.OWNER:
            _require_owner_manager(actor, org)
        _check_open(org)
        if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
            raise OrganizationError(
                _("%(email)s is already a member.") % {"email": email},
                code="already_member",
                field="email",
            )
        now = timezone.now()
        org.invitations.open().filter(email__iexact=email).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organization=org,
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=_user_of(actor),
            expires_at=now + INVITATION_LIFETIME,
        )
        record(
            actor=actor,
            action="organizations.invitation.sent",
            target=invitation,
            organization_id=org.pk,
            data={"email": email, "role": role},
        )
        send_after_commit(
            [email],
            _("Join %(name)s on Steward") % {"name": org.name},
            "organizations/email/invitation.txt",
            {
                "invitation": invitation,
                "organization": org,
                "inviter": _user_of(actor),
                "accept_url": absolute_url(
                    reverse("organizations:invitation", args=[invitation.token])
                ),
            },
        )
    return invitation


def accept_invitation(invitation: Invitation, *, user) -> Membership:
    """Make `user` a member with the invited role. Only the invited address may accept;
    accepting again returns the same membership."""
    with transaction.atomic():
        org = _lock(invitation.organization)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        # Checked first, so nobody else learns anything about the invitation's state.
        if not invitation.is_addressed_to(user):
            raise OrganizationForbidden(
                _(
                    "This invitation was sent to another email address. Sign in with the "
                    "account that uses it to accept."
                ),
                code="wrong_email",
            )
        existing = Membership.objects.filter(organization=org, user=user).first()
        if invitation.accepted_at is not None:
            if existing is not None:
                return existing
            raise InvitationGone(_("This invitation was already used."), code="invitation_used")
        if invitation.revoked_at is not None:
            raise InvitationGone(
                _("This invitation was withdrawn. Ask for a new one."), code="invitation_revoked"
            )
        if invitation.is_expired:
            raise InvitationGone(
                _("This invitation has expired. Ask for a new one."), code="invitation_expired"
            )
        _check_open(org)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record(
            actor=user,
            action="organizations.invitation.accepted",
            target=invitation,
            organization_id=org.pk,
            data={"email": invitation.email, "role": invitation.role},
        )
        if existing is not None:
            # Someone added them meanwhile; an invitation never changes an existing role.
            return existing
        membership = Membership.objects.create(organization=org, user=user, role=invitation.role)
        record(
            actor=user,
            action="organizations.membership.added",
            target=membership,
            organization_id=org.pk,
            data={"user": user.username, "role": membership.role, "via": "invitation"},
        )
    return membership


def change_member_role(membership: Membership, *, actor, role: str) -> Membership:
    """Give a member another role. Only owners touch owner roles, and an organization
    always keeps one owner."""
    role = _check_role(role)
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _reload(membership)
        _require_member_manager(actor, org)
        if membership.role == role:
            return membership
        if Membership.Role.OWNER in (membership.role, role):
            _require_owner_manager(actor, org)
        _check_not_last_owner(
            membership,
            _("%(name)s is the only owner. Make someone else an owner before changing this role.")
            % {"name": membership.user.username},
        )
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            actor=actor,
            action="organizations.membership.role_changed",
            target=membership,
            organization_id=org.pk,
            data={"user": membership.user.username, "from": previous, "to": role},
        )
    return membership


def set_guardian(membership: Membership, *, actor, is_guardian: bool) -> Membership:
    """Make a member one of the organization's guardians, who decide access requests
    together where a dataset's terms ask for several approvals, or stop being one. Only
    owners choose guardians."""
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _reload(membership)
        _require(
            actor,
            org,
            permissions.MANAGE_OWNERS,
            _("Only owners choose the guardians."),
            "owners_only",
        )
        if membership.is_guardian == is_guardian:
            return membership
        membership.is_guardian = is_guardian
        membership.save(update_fields=["is_guardian"])
        record(
            actor=actor,
            action="organizations.membership.guardian_changed",
            target=membership,
            organization_id=org.pk,
            data={"user": membership.user.username, "guardian": is_guardian},
        )
    return membership


def remove_member(membership: Membership, *, actor) -> None:
    """Take a member out of the organization. Only owners remove owners, and never the last."""
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _reload(membership)
        _require_member_manager(actor, org)
        if membership.role == Membership.Role.OWNER:
            _require_owner_manager(actor, org)
        _check_not_last_owner(
            membership,
            _("%(name)s is the only owner and cannot be removed. Make someone else an owner first.")
            % {"name": membership.user.username},
        )
        _delete(membership, actor=actor, left=False)


def leave_organization(org: Organization, *, user) -> None:
    """Take `user` out of `org`; the last owner cannot leave."""
    with transaction.atomic():
        org = _lock(org)
        membership = Membership.objects.filter(organization=org, user=user).first()
        if membership is None:
            raise OrganizationError(
                _("You are not a member of %(name)s.") % {"name": org.name}, code="not_a_member"
            )
        _check_not_last_owner(
            membership,
            _("You are the only owner and cannot leave. Make someone else an owner first."),
        )
        _delete(membership, actor=user, left=True)


def _reload(membership: Membership) -> Membership:
    try:
        return Membership.objects.select_related("user").get(pk=membership.pk)
    except Membership.DoesNotExist:
        raise OrganizationError(
            _("This person is no longer a member."), code="not_a_member"
        ) from None


def _delete(membership: Membership, *, actor, left: bool) -> None:
    record(
        actor=actor,
        action="organizations.membership.removed",
        target=membership,
        organization_id=membership.organization_id,
        data={"user": membership.user.username, "role": membership.role, "left": left},
    )
    membership.delete()
