"""Inviting people by email and accepting: organizations/invitations/<token>."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.organizations.models import Invitation, Membership
from steward.organizations.services import (
    InvitationGone,
    OrganizationError,
    OrganizationForbidden,
    accept_invitation,
    invite_member,
)
from steward.organizations.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return make_user("newcomer", email="newcomer@example.org")


@pytest.fixture
def invitation(organization, owner):
    return invite_member(organization, actor=owner, email="Newcomer@Example.org", role="admin")


def accept_url(invitation: Invitation) -> str:
    return reverse("organizations:invitation", args=[invitation.token])


def snapshot(organization) -> tuple:
    return (
        sorted(Membership.objects.filter(organization=organization).values_list("user_id", "role")),
        list(Invitation.objects.values_list("accepted_at", "revoked_at")),
        AuditEvent.objects.filter(action__startswith="organizations.").count(),
    )


def test_an_owner_invites_by_email_and_the_link_is_sent(
    client, organization, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizations:members", args=[organization.slug]),
            {"email": "Newcomer@Example.org", "role": "admin"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "newcomer@example.org",
        "admin",
        owner,
    )
    assert len(invitation.token) >= 40
    lifetime = invitation.expires_at - timezone.now()
    assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14)
    [message] = mail.outbox
    assert message.to == ["newcomer@example.org"]
    assert message.subject == "[Steward] Join Radio Kinshasa Community on Steward"
    assert f"/organizations/invitations/{invitation.token}" in message.body
    event = AuditEvent.objects.get(action="organizations.invitation.sent")
    assert (event.actor, event.organization_id) == (owner, organization.pk)
    # The token is the secret in the link: it never goes into the audit log.
    assert event.data == {"email": "newcomer@example.org", "role": "admin"}


def test_an_admin_cannot_invite_an_owner(client, organization, admin):
    with pytest.raises(OrganizationForbidden):
        invite_member(organization, actor=admin, email="boss@example.org", role="owner")
    client.force_login(admin)
    response = client.post(
        reverse("organizations:members", args=[organization.slug]),
        {"email": "boss@example.org", "role": "owner"},
    )
    assert response.status_code == 400
    assert "role" in response.context["invite_form"].errors
    assert not Invitation.objects.exists()


def test_a_member_is_not_invited_again(organization, owner, member):
    with pytest.raises(OrganizationError) as excinfo:
        invite_member(organization, actor=owner, email="MEMBER@example.org", role="member")
    assert excinfo.value.code == "already_member"


def test_a_new_invitation_replaces_the_open_one(organization, owner, invitation):
    second = invite_member(organization, actor=owner, email="newcomer@example.org", role="member")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and second.is_open


def test_accepting_with_the_invited_address_makes_a_member(
    client, organization, newcomer, invitation
):
    client.force_login(newcomer)
    page = client.get(accept_url(invitation))
    assert page.status_code == 200 and "Radio Kinshasa Community" in page.content.decode()

    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:members", args=[organization.slug])
    assert Membership.objects.get(organization=organization, user=newcomer).role == "admin"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    actions = list(
        AuditEvent.objects.filter(actor=newcomer, action__startswith="organizations.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["organizations.invitation.accepted", "organizations.membership.added"]
    assert AuditEvent.objects.get(action="organizations.membership.added").organization_id == (
        organization.pk
    )


def test_accepting_twice_changes_nothing_the_second_time(
    client, organization, newcomer, invitation
):
    client.force_login(newcomer)
    client.post(accept_url(invitation))
    before = snapshot(organization)
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert snapshot(organization) == before
    assert accept_invitation(invitation, user=newcomer).role == "admin"


def test_someone_with_another_address_cannot_accept(client, organization, outsider, invitation):
    before = snapshot(organization)
    client.force_login(outsider)
    page = client.get(accept_url(invitation))
    assert page.status_code == 403
    # The holder of a forwarded link learns nothing about the organization.
    assert "Radio Kinshasa" not in page.content.decode()
    response = client.post(accept_url(invitation))
    assert response.status_code == 403
    assert snapshot(organization) == before
    with pytest.raises(OrganizationForbidden):
        accept_invitation(invitation, user=outsider)


def test_an_expired_invitation_cannot_be_accepted(client, organization, newcomer, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    before = snapshot(organization)
    client.force_login(newcomer)
    assert client.get(accept_url(invitation)).status_code == 410
    response = client.post(accept_url(invitation))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert snapshot(organization) == before


def test_a_replaced_invitation_cannot_be_accepted(organization, owner, newcomer, invitation):
    invite_member(organization, actor=owner, email="newcomer@example.org", role="member")
    with pytest.raises(InvitationGone) as excinfo:
        accept_invitation(invitation, user=newcomer)
    assert excinfo.value.code == "invitation_revoked"


def test_signing_in_comes_first(client, invitation):
    response = client.get(accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Membership.objects.filter(role="admin").exists()


def test_an_unknown_token_is_not_found(client, newcomer):
    client.force_login(newcomer)
    assert client.get(reverse("organizations:invitation", args=["nope"])).status_code == 404


def test_my_organizations_lists_invitations_to_me(client, newcomer, invitation):
    client.force_login(newcomer)
    html = client.get(reverse("organizations:mine")).content.decode()
    assert accept_url(invitation) in html
