"""Members of an organization: roles, removal, leaving, and the last-owner rule."""

import pytest
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.organizations.models import Membership
from steward.organizations.services import (
    OrganizationError,
    OrganizationForbidden,
    change_member_role,
    invite_member,
    leave_organization,
    remove_member,
)
from steward.organizations.tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def membership(organization, user) -> Membership:
    return Membership.objects.get(organization=organization, user=user)


def roles(organization) -> dict[str, str]:
    return dict(
        Membership.objects.filter(organization=organization).values_list("user__username", "role")
    )


def membership_events() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="organizations.membership.")
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def colleague(organization):
    user = make_user("colleague")
    add_member(organization, user, "member")
    return user


def role_url(organization, user) -> str:
    return reverse("organizations:member-role", args=[organization.slug, user.username])


def remove_url(organization, user) -> str:
    return reverse("organizations:member-remove", args=[organization.slug, user.username])


def test_every_member_sees_the_members_and_their_roles(client, organization, owner, admin, member):
    client.force_login(member)
    response = client.get(reverse("organizations:members", args=[organization.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert all(name in html for name in ("owner", "orgadmin", "member", "Admin", "Owner"))
    # A plain member manages nothing, so sees neither the invitation form nor the buttons.
    assert response.context["invite_form"] is None
    assert "Change role" not in html and "Remove " not in html


def test_an_admin_is_offered_no_controls_over_owners(client, organization, owner, admin, colleague):
    client.force_login(admin)
    response = client.get(reverse("organizations:members", args=[organization.slug]))
    rows = {row["membership"].user.username: row for row in response.context["rows"]}
    assert rows["owner"]["roles"] == [] and not rows["owner"]["may_remove"]
    assert [role for role, _ in rows["colleague"]["roles"]] == ["admin", "member"]
    assert rows["colleague"]["may_remove"]
    invite_roles = [role for role, _ in response.context["invite_form"].fields["role"].choices]
    assert invite_roles == ["admin", "member"]


def test_an_owner_makes_a_member_admin_and_it_is_audited(client, organization, owner, colleague):
    client.force_login(owner)
    response = client.post(role_url(organization, colleague), {"role": "admin"})
    assert response.status_code == 302
    assert membership(organization, colleague).role == "admin"
    event = AuditEvent.objects.get(action="organizations.membership.role_changed")
    assert (event.actor, event.organization_id, event.data) == (
        owner,
        organization.pk,
        {"user": "colleague", "from": "member", "to": "admin"},
    )


def test_an_admin_changes_members_and_admins(organization, owner, admin, colleague):
    change_member_role(membership(organization, colleague), actor=admin, role="admin")
    change_member_role(membership(organization, colleague), actor=admin, role="member")
    assert membership(organization, colleague).role == "member"


@pytest.mark.parametrize(
    ("target", "new_role"),
    [("colleague", "owner"), ("owner", "admin"), ("owner", "member")],
)
def test_only_owners_make_or_change_owners(
    client, organization, owner, admin, colleague, target, new_role
):
    user = {"owner": owner, "colleague": colleague}[target]
    before = roles(organization)
    with pytest.raises(OrganizationForbidden) as excinfo:
        change_member_role(membership(organization, user), actor=admin, role=new_role)
    assert excinfo.value.code == "owners_only"

    client.force_login(admin)
    response = client.post(role_url(organization, user), {"role": new_role})
    assert response.status_code == 403
    assert "Only owners" in response.content.decode()
    assert roles(organization) == before
    assert membership_events() == []


def test_an_owner_makes_another_owner_who_may_then_step_down(organization, owner, colleague):
    change_member_role(membership(organization, colleague), actor=owner, role="owner")
    change_member_role(membership(organization, owner), actor=owner, role="member")
    assert roles(organization) == {"owner": "member", "colleague": "owner"}


def test_the_last_owner_cannot_be_demoted(client, organization, owner, colleague):
    with pytest.raises(OrganizationError) as excinfo:
        change_member_role(membership(organization, owner), actor=owner, role="admin")
    assert excinfo.value.code == "last_owner"

    client.force_login(owner)
    response = client.post(role_url(organization, owner), {"role": "admin"})
    assert response.status_code == 400
    assert "only owner" in response.content.decode()
    assert membership(organization, owner).role == "owner"
    assert membership_events() == []


def test_the_last_owner_cannot_be_removed(organization, owner):
    with pytest.raises(OrganizationError) as excinfo:
        remove_member(membership(organization, owner), actor=None)
    assert excinfo.value.code == "last_owner"
    assert membership(organization, owner).role == "owner"


def test_the_last_owner_cannot_leave(client, organization, owner):
    client.force_login(owner)
    response = client.post(reverse("organizations:leave", args=[organization.slug]))
    assert response.status_code == 400
    assert "only owner" in response.content.decode()
    assert membership(organization, owner).role == "owner"
    assert membership_events() == []


def test_one_of_two_owners_may_leave(organization, owner, colleague):
    change_member_role(membership(organization, colleague), actor=owner, role="owner")
    leave_organization(organization, user=owner)
    assert roles(organization) == {"colleague": "owner"}


def test_a_member_leaves(client, organization, owner, member):
    client.force_login(member)
    response = client.post(reverse("organizations:leave", args=[organization.slug]))
    assert response.status_code == 302 and response["Location"] == reverse("organizations:mine")
    assert not Membership.objects.filter(organization=organization, user=member).exists()
    event = AuditEvent.objects.get(action="organizations.membership.removed")
    assert (event.actor, event.organization_id, event.data) == (
        member,
        organization.pk,
        {"user": "member", "role": "member", "left": True},
    )


def test_an_admin_removes_a_member_and_it_is_audited(client, organization, owner, admin, colleague):
    client.force_login(admin)
    response = client.post(remove_url(organization, colleague))
    assert response.status_code == 302
    assert roles(organization) == {"owner": "owner", "orgadmin": "admin"}
    event = AuditEvent.objects.get(action="organizations.membership.removed")
    assert (event.actor, event.data) == (
        admin,
        {"user": "colleague", "role": "member", "left": False},
    )


def test_an_admin_cannot_remove_an_owner(client, organization, owner, admin):
    client.force_login(admin)
    response = client.post(remove_url(organization, owner))
    assert response.status_code == 403
    assert membership(organization, owner).role == "owner"


def test_an_owner_removes_another_owner(organization, owner, colleague):
    change_member_role(membership(organization, colleague), actor=owner, role="owner")
    remove_member(membership(organization, colleague), actor=owner)
    assert roles(organization) == {"owner": "owner"}


def test_giving_the_same_role_again_changes_and_records_nothing(organization, owner, colleague):
    change_member_role(membership(organization, colleague), actor=owner, role="member")
    assert membership_events() == []


def test_an_unknown_role_is_refused(client, organization, owner, colleague):
    client.force_login(owner)
    response = client.post(role_url(organization, colleague), {"role": "king"})
    assert response.status_code == 400
    assert membership(organization, colleague).role == "member"
    with pytest.raises(OrganizationError):
        change_member_role(membership(organization, colleague), actor=owner, role="king")


def test_a_person_who_is_not_a_member_is_not_found(client, organization, owner, outsider):
    client.force_login(owner)
    assert client.post(role_url(organization, outsider), {"role": "admin"}).status_code == 404
    assert client.post(remove_url(organization, outsider)).status_code == 404


def test_the_members_page_lists_open_invitations_to_managers(client, organization, owner):
    invite_member(organization, actor=owner, email="newcomer@example.org", role="admin")
    client.force_login(owner)
    response = client.get(reverse("organizations:members", args=[organization.slug]))
    assert "newcomer@example.org" in response.content.decode()
