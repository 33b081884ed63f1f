"""`steward users add --json` and `steward apikeys create --json`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.models import ApiKey
from steward.accounts.services import authenticate_api_key, create_user

pytestmark = pytest.mark.django_db


def test_users_add_json_describes_the_new_user(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret-password\n"))
    out = io.StringIO()
    call_command(
        "users", "add", "marie", "--email", "Marie@Example.org", "--name", "Marie Ilunga",
        "--staff", "--password-stdin", "--json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue()) == {
        "username": "marie",
        "email": "marie@example.org",
        "full_name": "Marie Ilunga",
        "is_staff": True,
        "has_password": True,
    }


def test_users_add_json_still_fails_on_bad_input():
    create_user("taken", email="taken@example.org")
    out = io.StringIO()
    with pytest.raises(CommandError, match="taken"):
        call_command("users", "add", "taken", "--email", "new@example.org", "--json", stdout=out)
    assert out.getvalue() == ""


def test_apikeys_create_json_holds_the_key_once_and_nothing_on_stderr():
    user = create_user("dev", email="dev@example.org")
    out, err = io.StringIO(), io.StringIO()
    call_command("apikeys", "create", "dev", "--name", "ci", "--json", stdout=out, stderr=err)
    data = json.loads(out.getvalue())
    stored = ApiKey.objects.get(user=user)
    assert data["username"] == "dev" and data["name"] == "ci"
    assert data["prefix"] == stored.prefix and data["created_at"].startswith("20")
    assert authenticate_api_key(data["key"]).user == user
    assert err.getvalue() == ""
