"""`steward users add` and `steward apikeys create`."""

import io

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.models import ApiKey, User
from steward.accounts.services import authenticate_api_key, create_user, revoke_api_key

pytestmark = pytest.mark.django_db


def test_users_add_creates_a_user_with_a_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret-password\n"))
    call_command("users", "add", "marie", "--email", "Marie@Example.org", "--password-stdin")
    user = User.objects.get(username="marie")
    assert user.email == "marie@example.org"
    assert user.check_password("a-long-secret-password")
    assert not user.is_staff


def test_users_add_staff_without_password_cannot_log_in():
    call_command("users", "add", "rev", "--email", "rev@example.org", "--staff")
    user = User.objects.get(username="rev")
    assert user.is_staff and not user.has_usable_password()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken", "--email", "new@example.org"], "taken"),
        (["fresh", "--email", "taken@example.org"], "already registered"),
        (["bad", "--email", "not-an-email"], "email"),
    ],
)
def test_users_add_refuses_bad_input(args, message):
    create_user("taken", email="taken@example.org")
    with pytest.raises(CommandError, match=message):
        call_command("users", "add", *args)
    assert User.objects.count() == 1


def test_apikeys_create_prints_the_key_alone_and_stores_only_a_hash(capsys):
    user = create_user("dev", email="dev@example.org")
    call_command("apikeys", "create", "dev")
    out = capsys.readouterr().out
    key = out.strip()
    assert out.count("\n") == 1 and key.startswith("stw_")
    stored = ApiKey.objects.get(user=user)
    assert key not in stored.key_hash and stored.prefix in key
    assert authenticate_api_key(key).user == user


def test_apikeys_create_for_unknown_user_fails():
    with pytest.raises(CommandError, match="No user named"):
        call_command("apikeys", "create", "ghost")


def test_revoked_and_wrong_keys_do_not_authenticate(capsys):
    create_user("dev", email="dev@example.org")
    call_command("apikeys", "create", "dev")
    key = capsys.readouterr().out.strip()
    assert authenticate_api_key(key + "x") is None
    assert authenticate_api_key("Bearer " + key) is None
    revoke_api_key(ApiKey.objects.get())
    assert authenticate_api_key(key) is None
