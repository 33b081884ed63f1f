"""Who may open every page and send every form of organizations: persona x action.

A refusal (login redirect, 400, 403, 404) must leave everything as it was."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.organizations import permissions
from steward.organizations.models import Invitation, Membership, Organization
from steward.organizations.services import invite_member
from steward.organizations.tests.factories import (
    add_member,
    application_data,
    make_application,
    make_user,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "member", "admin", "owner", "staff"]
LOGIN_URL = reverse("account_login")


@pytest.fixture
def world(organization, owner, admin, member, outsider, staff, anonymous):
    """Every persona, a colleague to act on, a pending application and an invitation
    addressed to the outsider."""
    colleague = make_user("colleague")
    add_member(organization, colleague, "member")
    application = make_application(make_user("applicant"))
    invitation = invite_member(organization, actor=owner, email=outsider.email, role="member")
    return {
        "organization": organization,
        "colleague": colleague,
        "application": application,
        "invitation": invitation,
        "personas": {
            "anonymous": anonymous,
            "outsider": outsider,
            "member": member,
            "admin": admin,
            "owner": owner,
            "staff": staff,
        },
    }


def snapshot() -> tuple:
    return (
        sorted(Organization.objects.values_list("slug", "status", "decision_reason")),
        sorted(Membership.objects.values_list("organization_id", "user_id", "role")),
        sorted(Invitation.objects.values_list("email", "accepted_at", "revoked_at")),
        AuditEvent.objects.filter(action__startswith="organizations.").count(),
    )


def _slug(world) -> str:
    return world["organization"].slug


ACTIONS = {
    "apply page": lambda c, w: c.get(reverse("organizations:apply")),
    "apply": lambda c, w: c.post(
        reverse("organizations:apply"), application_data(slug="new-community")
    ),
    "my organizations": lambda c, w: c.get(reverse("organizations:mine")),
    "members page": lambda c, w: c.get(reverse("organizations:members", args=[_slug(w)])),
    "invite": lambda c, w: c.post(
        reverse("organizations:members", args=[_slug(w)]),
        {"email": "someone@example.org", "role": "member"},
    ),
    "change role": lambda c, w: c.post(
        reverse("organizations:member-role", args=[_slug(w), "colleague"]), {"role": "admin"}
    ),
    "remove member": lambda c, w: c.post(
        reverse("organizations:member-remove", args=[_slug(w), "colleague"])
    ),
    "leave": lambda c, w: c.post(reverse("organizations:leave", args=[_slug(w)])),
    "invitation page": lambda c, w: c.get(
        reverse("organizations:invitation", args=[w["invitation"].token])
    ),
    "accept invitation": lambda c, w: c.post(
        reverse("organizations:invitation", args=[w["invitation"].token])
    ),
    "review queue": lambda c, w: c.get(reverse("organizations:review-list")),
    "review detail": lambda c, w: c.get(
        reverse("organizations:review-detail", args=[w["application"].slug])
    ),
    "approve": lambda c, w: c.post(
        reverse("organizations:review-approve", args=[w["application"].slug])
    ),
    "reject": lambda c, w: c.post(
        reverse("organizations:review-reject", args=[w["application"].slug]),
        {"reason": "Not a community organization."},
    ),
}

# The status each persona gets, in PERSONAS order. Anonymous people are sent to log in.
EXPECTED = {
    "apply page": [302, 200, 200, 200, 200, 200],
    "apply": [302, 302, 302, 302, 302, 302],
    "my organizations": [302, 200, 200, 200, 200, 200],
    "members page": [302, 404, 200, 200, 200, 404],
    "invite": [302, 404, 403, 302, 302, 404],
    "change role": [302, 404, 403, 302, 302, 404],
    "remove member": [302, 404, 403, 302, 302, 404],
    # The owner persona is the only owner, who may not leave.
    "leave": [302, 404, 302, 302, 400, 404],
    "invitation page": [302, 200, 403, 403, 403, 403],
    "accept invitation": [302, 302, 403, 403, 403, 403],
    "review queue": [302, 404, 404, 404, 404, 200],
    "review detail": [302, 404, 404, 404, 404, 200],
    "approve": [302, 404, 404, 404, 404, 302],
    "reject": [302, 404, 404, 404, 404, 302],
}
WRITES = {
    "apply",
    "invite",
    "change role",
    "remove member",
    "leave",
    "accept invitation",
    "approve",
    "reject",
}
CASES = [
    pytest.param(action, persona, EXPECTED[action][i], id=f"{action}-{persona}")
    for action in ACTIONS
    for i, persona in enumerate(PERSONAS)
]


def test_every_action_has_expectations_for_every_persona():
    assert set(EXPECTED) == set(ACTIONS)
    assert all(len(statuses) == len(PERSONAS) for statuses in EXPECTED.values())


@pytest.mark.parametrize(("action", "persona", "expected"), CASES)
def test_persona_may_or_may_not(client, world, action, persona, expected):
    user = world["personas"][persona]
    if user.is_authenticated:
        client.force_login(user)
    before = snapshot()

    response = ACTIONS[action](client, world)

    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    refused = persona == "anonymous" or expected >= 400
    if refused or action not in WRITES:
        assert snapshot() == before
    else:
        assert snapshot() != before


HELPER_CASES = {
    # persona: (view, manage_members, manage_owners) -> None for allowed, else the exception
    "anonymous": ("404", "404", "404"),
    "outsider": ("404", "404", "404"),
    "staff": ("404", "404", "404"),
    "member": (None, "403", "403"),
    "admin": (None, None, "403"),
    "owner": (None, None, None),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_get_organization_for_answers_by_role(world, persona):
    user = world["personas"][persona]
    needs = (permissions.VIEW, permissions.MANAGE_MEMBERS, permissions.MANAGE_OWNERS)
    for need, expected in zip(needs, HELPER_CASES[persona], strict=True):
        if expected is None:
            assert permissions.get_organization_for(user, _slug(world), need=need)
        else:
            error = Http404 if expected == "404" else PermissionDenied
            with pytest.raises(error):
                permissions.get_organization_for(user, _slug(world), need=need)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_staff_get_applications(world, persona):
    user = world["personas"][persona]
    if persona == "staff":
        assert permissions.get_application_for(user, world["application"].slug)
    else:
        with pytest.raises(Http404):
            permissions.get_application_for(user, world["application"].slug)
