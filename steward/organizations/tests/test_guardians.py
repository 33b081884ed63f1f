"""Owners choose the guardians who decide access requests together."""

import pytest

from steward.audit.models import AuditEvent
from steward.organizations.models import Membership

pytestmark = pytest.mark.django_db


def url(organization, user):
    return f"/organizations/{organization.slug}/members/{user.username}/guardian"


def test_an_owner_makes_a_member_a_guardian_and_back(client, organization, owner, member):
    client.force_login(owner)

    response = client.post(url(organization, member), {"guardian": "1"}, follow=True)

    assert response.status_code == 200
    assert Membership.objects.get(user=member).is_guardian
    assert "is now a guardian" in response.content.decode()
    assert AuditEvent.objects.filter(action="organizations.membership.guardian_changed").exists()
    client.post(url(organization, member), {"guardian": "0"})
    assert not Membership.objects.get(user=member).is_guardian


@pytest.mark.parametrize("persona", ["admin", "member"])
def test_only_owners_choose_guardians(request, client, organization, member, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url(organization, member), {"guardian": "1"})
    assert response.status_code == 403
    assert not Membership.objects.get(user=member).is_guardian


def test_outsiders_and_anonymous_are_refused(client, organization, member, outsider):
    assert client.post(url(organization, member), {"guardian": "1"}).status_code == 302
    client.force_login(outsider)
    assert client.post(url(organization, member), {"guardian": "1"}).status_code == 404
    assert not Membership.objects.get(user=member).is_guardian


def test_a_bad_choice_is_a_400(client, organization, owner, member):
    client.force_login(owner)
    response = client.post(url(organization, member), {"guardian": "maybe"})
    assert response.status_code == 400
    assert not Membership.objects.get(user=member).is_guardian


def test_the_members_page_shows_guardians_and_links_to_requests(
    client, organization, owner, member
):
    Membership.objects.filter(user=member).update(is_guardian=True)
    client.force_login(owner)
    html = client.get(f"/organizations/{organization.slug}/members").content.decode()
    assert "Guardian" in html
    assert f"/organizations/{organization.slug}/access-requests" in html
