"""The audit pages: owners see their organization's entries, staff see all and verify the chain."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.audit.context import client_ip
from steward.audit.models import AuditEvent
from steward.audit.services import record
from steward.organizations.models import Organization

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "member", "admin", "owner", "staff"]
LOGIN_URL = reverse("account_login")
ORG_AUDIT = reverse("organizations:audit", args=["radio-kinshasa"])
STAFF_AUDIT = reverse("moderation:audit-log")


@pytest.fixture
def world(organization, owner, admin, member, outsider, staff, anonymous):
    """Every persona, and an entry in each organization's log."""
    other = Organization.objects.get(slug="other-org")
    ours = record(
        actor=owner,
        action="organizations.test.ours",
        target=organization,
        organization_id=organization.pk,
    )
    theirs = record(
        actor=outsider, action="organizations.test.theirs", target=other, organization_id=other.pk
    )
    return {
        "organization": organization,
        "ours": ours,
        "theirs": theirs,
        "personas": {
            "anonymous": anonymous,
            "outsider": outsider,
            "member": member,
            "admin": admin,
            "owner": owner,
            "staff": staff,
        },
    }


ACTIONS = {
    "organization audit": lambda c: c.get(ORG_AUDIT),
    "staff audit": lambda c: c.get(STAFF_AUDIT),
    "verify the chain": lambda c: c.post(STAFF_AUDIT),
}
# In PERSONAS order. Members and admins may see the organization but not its log.
EXPECTED = {
    "organization audit": [302, 404, 403, 403, 200, 404],
    "staff audit": [302, 404, 404, 404, 404, 200],
    "verify the chain": [302, 404, 404, 404, 404, 200],
}
CASES = [
    pytest.param(action, persona, EXPECTED[action][i], id=f"{action}-{persona}")
    for action in ACTIONS
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("action", "persona", "expected"), CASES)
def test_persona_may_or_may_not(client, world, action, persona, expected):
    user = world["personas"][persona]
    if user.is_authenticated:
        client.force_login(user)
    before = list(AuditEvent.objects.values_list("seq", "hash"))

    response = ACTIONS[action](client)

    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    # Reading the log, or verifying it, never writes to it.
    assert list(AuditEvent.objects.values_list("seq", "hash")) == before


def test_owners_see_their_organizations_entries_and_no_others(client, world, owner):
    client.force_login(owner)
    response = client.get(ORG_AUDIT)
    events = list(response.context["events"])
    assert world["ours"] in events and world["theirs"] not in events
    assert {event.organization_id for event in events} == {world["organization"].pk}
    page = response.content.decode()
    assert "organizations.test.ours" in page and "organizations.test.theirs" not in page
    # The staff page shows every entry, both organizations' among them.
    client.force_login(world["personas"]["staff"])
    staff_events = list(client.get(STAFF_AUDIT).context["events"])
    assert staff_events == list(AuditEvent.objects.order_by("-seq"))
    assert world["ours"] in staff_events and world["theirs"] in staff_events


def test_the_log_filters_by_the_start_of_the_action(client, world, owner):
    organization = world["organization"]
    other = record(actor=owner, action="catalog.dataset.removed", organization_id=organization.pk)
    client.force_login(owner)
    assert list(client.get(ORG_AUDIT, {"action": "catalog."}).context["events"]) == [other]
    assert list(client.get(ORG_AUDIT, {"action": "organizations.test"}).context["events"]) == [
        world["ours"]
    ]
    assert list(client.get(ORG_AUDIT, {"action": "moderation."}).context["events"]) == []
    response = client.get(ORG_AUDIT, {"action": "'; DROP TABLE"})
    assert response.status_code == 400
    assert world["ours"] in response.context["events"] and other in response.context["events"]


def test_the_log_is_newest_first_fifty_to_a_page(client, world, owner):
    organization = world["organization"]
    for number in range(50):
        record(actor=owner, action=f"organizations.test.n{number}", organization_id=organization.pk)
    client.force_login(owner)
    first = list(client.get(ORG_AUDIT).context["events"])
    second = list(client.get(ORG_AUDIT, {"page": 2}).context["events"])
    assert len(first) == 50 and second == [world["ours"]]
    assert first[0].action == "organizations.test.n49"
    assert [event.seq for event in first] == sorted((event.seq for event in first), reverse=True)
    page = client.get(ORG_AUDIT).content.decode()
    assert "51 entries, newest first" in page and "Page 1 of 2" in page


def test_the_page_costs_the_same_queries_for_few_and_many_entries(client, world, owner):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(ORG_AUDIT)
    for number in range(40):
        record(
            actor=owner,
            action=f"organizations.test.n{number}",
            organization_id=world["organization"].pk,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(ORG_AUDIT)
    assert len(many) == len(few)


def test_people_outside_the_organization_are_not_named(client, world, owner, staff):
    organization = world["organization"]
    token = client_ip.set("203.0.113.9")
    try:
        record(actor=staff, action="moderation.report.taken_down", organization_id=organization.pk)
        record(actor=None, action="moderation.report.created", organization_id=organization.pk)
    finally:
        client_ip.reset(token)
    token = client_ip.set("198.51.100.7")
    try:
        record(actor=owner, action="organizations.test.mine", organization_id=organization.pk)
    finally:
        client_ip.reset(token)
    client.force_login(owner)
    page = client.get(ORG_AUDIT).content.decode()
    assert "moderation.report.taken_down" in page and "Outside the organization" in page
    assert "203.0.113.9" not in page and "reviewer" not in page
    # Members are named, with their address.
    assert "198.51.100.7" in page
    # Staff see everyone.
    client.force_login(staff)
    assert "203.0.113.9" in client.get(STAFF_AUDIT).content.decode()


def test_the_filter_answers_htmx_with_the_table_alone(client, world, owner):
    client.force_login(owner)
    response = client.get(ORG_AUDIT, {"action": "organizations."}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert "organizations.test.ours" in fragment and "<table" in fragment


def test_staff_see_the_chain_is_intact_then_where_it_was_changed(client, world, staff):
    client.force_login(staff)
    total = AuditEvent.objects.count()
    page = client.get(STAFF_AUDIT).content.decode()
    assert "Verify the chain" in page and "The chain is" not in page
    page = client.post(STAFF_AUDIT).content.decode()
    assert f"The chain is intact: {total} entries checked." in page

    # Someone with database access rewrites who did something.
    seq = world["ours"].seq
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", ["mallory", seq]
        )
    page = client.post(STAFF_AUDIT).content.decode()
    assert f"The chain is broken at entry {seq}." in page
    assert f"event #{seq} was changed after it was recorded" in page


def test_verifying_answers_htmx_with_the_result_alone(client, world, staff):
    client.force_login(staff)
    response = client.post(STAFF_AUDIT, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="chain"') and "<html" not in fragment
    assert "The chain is intact" in fragment


def test_owners_find_the_log_from_the_members_page(client, world, owner, admin):
    members_url = reverse("organizations:members", args=["radio-kinshasa"])
    client.force_login(owner)
    assert ORG_AUDIT in client.get(members_url).content.decode()
    client.force_login(admin)
    assert ORG_AUDIT not in client.get(members_url).content.decode()
