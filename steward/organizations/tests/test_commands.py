"""`steward orgs add`."""

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.services import create_user
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
