"""`steward orgs add|approve|reject --json`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.services import create_user

pytestmark = pytest.mark.django_db


def orgs(*args: str) -> dict:
    out = io.StringIO()
    call_command("orgs", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_each_action_prints_the_organization_as_json():
    create_user("marie", email="marie@example.org")
    added = orgs("add", "archive", "--name", "Archive", "--owner", "marie", "--country", "CD")
    assert added == {"slug": "archive", "name": "Archive", "status": "pending", "country": "CD"}
    assert orgs("approve", "archive")["status"] == "approved"
    create_user("ana", email="ana@example.org")
    orgs("add", "other", "--name", "Other", "--owner", "ana")
    assert orgs("reject", "other", "--reason", "Not a community.")["status"] == "rejected"


def test_a_refusal_still_fails_without_json():
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("orgs", "approve", "ghost", "--json", stdout=out)
    assert out.getvalue() == ""
