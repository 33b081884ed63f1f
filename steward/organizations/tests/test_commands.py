"""`steward orgs add`, `orgs approve` and `orgs reject`."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from steward.accounts.services import create_user
from steward.audit.models import AuditEvent
from steward.organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_orgs_add_creates_an_approved_organization_owned_by_the_user():
    user = create_user("marie", email="marie@example.org")
    call_command(
        "orgs",
        "add",
        "radio-kinshasa",
        "--name",
        "Radio Kinshasa",
        "--owner",
        "marie",
        "--approved",
    )
    org = Organization.objects.get(slug="radio-kinshasa")
    assert org.is_approved and org.approved_at is not None
    assert Membership.objects.get(organization=org).user == user
    assert Membership.objects.get(organization=org).role == Membership.Role.OWNER


def test_orgs_add_without_approved_is_pending():
    create_user("marie", email="marie@example.org")
    call_command("orgs", "add", "archive", "--name", "Archive", "--owner", "marie")
    assert Organization.objects.get(slug="archive").status == Organization.Status.PENDING


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Slug!", "--name", "X", "--owner", "marie"], "slug"),
        (["taken", "--name", "X", "--owner", "marie"], "taken"),
        (["fresh", "--name", "X", "--owner", "ghost"], "No user"),
        (["fresh", "--name", "   ", "--owner", "marie"], "name"),
        (["fresh", "--name", "X", "--owner", "marie", "--website", "not a url"], "URL"),
    ],
)
def test_orgs_add_refuses_bad_input_and_writes_nothing(args, message):
    create_user("marie", email="marie@example.org")
    call_command("orgs", "add", "taken", "--name", "Taken", "--owner", "marie")
    with pytest.raises(CommandError, match=message):
        call_command("orgs", "add", *args)
    assert Organization.objects.count() == 1
    assert Membership.objects.count() == 1


def test_orgs_approve_approves_as_the_system_and_emails_the_owner(
    django_capture_on_commit_callbacks,
):
    create_user("marie", email="marie@example.org")
    call_command("orgs", "add", "archive", "--name", "Archive", "--owner", "marie")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("orgs", "approve", "archive", stdout=out)
    org = Organization.objects.get(slug="archive")
    assert org.status == Organization.Status.APPROVED and org.decided_by is None
    assert "approved" in out.getvalue()
    event = AuditEvent.objects.get(action="organizations.organization.approved")
    assert (event.actor, event.actor_label) == (None, "system")
    assert [m.to for m in mail.outbox] == [["marie@example.org"]]


def test_orgs_reject_needs_a_reason_and_sends_it(django_capture_on_commit_callbacks):
    create_user("marie", email="marie@example.org")
    call_command("orgs", "add", "archive", "--name", "Archive", "--owner", "marie")
    with pytest.raises(CommandError, match="--reason"):
        call_command("orgs", "reject", "archive")
    with pytest.raises(CommandError, match="Say why"):
        call_command("orgs", "reject", "archive", "--reason", "  ")
    assert Organization.objects.get(slug="archive").status == Organization.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        call_command("orgs", "reject", "archive", "--reason", "No consent records.")
    org = Organization.objects.get(slug="archive")
    assert (org.status, org.decision_reason) == (
        Organization.Status.REJECTED,
        "No consent records.",
    )
    assert "No consent records." in mail.outbox[0].body


def test_orgs_reject_refuses_an_approved_organization():
    create_user("marie", email="marie@example.org")
    call_command("orgs", "add", "archive", "--name", "Archive", "--owner", "marie", "--approved")
    with pytest.raises(CommandError, match="cannot become rejected"):
        call_command("orgs", "reject", "archive", "--reason", "Too late.")
    assert Organization.objects.get(slug="archive").is_approved


@pytest.mark.parametrize("action", [["approve"], ["reject", "--reason", "R"]])
def test_orgs_approve_and_reject_name_an_unknown_slug(action):
    with pytest.raises(CommandError, match="No organization"):
        call_command("orgs", action[0], "ghost", *action[1:])
