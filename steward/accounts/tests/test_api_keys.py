"""API keys: managed on /account/api-keys, shown once, revocable; the API refuses bad keys."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.models import ApiKey
from steward.accounts.services import authenticate_api_key, create_api_key, revoke_api_key
from steward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:apikey-list")


def _revoke_url(api_key: ApiKey) -> str:
    return reverse("accounts:apikey-revoke", args=[api_key.prefix])


@pytest.fixture
def member_key(member):
    api_key, _ = create_api_key(member, name="laptop", actor=member)
    return api_key


# Pages


def test_anonymous_is_sent_to_log_in(client, member_key):
    for url in [LIST, _revoke_url(member_key)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert client.post(LIST, {"name": "x"}).status_code == 302
    assert not ApiKey.objects.filter(name="x").exists()


def test_the_list_shows_name_prefix_and_state_but_no_secret(client, member, member_key):
    revoked, _ = create_api_key(member, name="old server", actor=member)
    revoke_api_key(revoked, actor=member)
    client.force_login(member)

    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "laptop" in html and f"stw_{member_key.prefix}_" in html
    assert "old server" in html and "Revoked on" in html
    assert f'href="{_revoke_url(member_key)}"' in html
    assert f'href="{_revoke_url(revoked)}"' not in html


def test_the_list_takes_the_same_queries_for_one_key_or_many(client, member, member_key):
    client.force_login(member)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for n in range(5):
        create_api_key(member, name=f"key {n}", actor=member)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(one)


def test_the_list_shows_only_the_users_own_keys(client, member, outsider, member_key):
    client.force_login(outsider)
    assert member_key.prefix not in client.get(LIST).content.decode()


def test_creating_a_key_shows_the_secret_once(client, member):
    client.force_login(member)

    response = client.post(LIST, {"name": "training server"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(user=member)
    secret = response.context["secret"]
    assert f'<code id="new-api-key">{secret}</code>' in response.content.decode()
    assert "shown only once" in response.content.decode()
    assert authenticate_api_key(secret) == api_key and api_key.name == "training server"
    # Never again: neither the list nor the database holds it.
    assert secret not in client.get(LIST).content.decode()
    assert secret not in api_key.key_hash
    event = AuditEvent.objects.get(action="accounts.apikey.created")
    assert event.actor == member
    assert event.data == {"prefix": api_key.prefix, "name": "training server", "user": "member"}


def test_a_key_needs_a_name(client, member):
    client.force_login(member)
    response = client.post(LIST, {"name": "  "})
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_asks_for_confirmation_then_revokes(client, member, member_key):
    client.force_login(member)

    page = client.get(_revoke_url(member_key))
    assert page.status_code == 200 and "Revoke the key" in page.content.decode()
    assert ApiKey.objects.get().revoked_at is None

    response = client.post(_revoke_url(member_key))

    assert response.status_code == 302 and response["Location"] == LIST
    member_key.refresh_from_db()
    assert member_key.revoked_at is not None
    event = AuditEvent.objects.get(action="accounts.apikey.revoked")
    assert event.actor == member and event.data["prefix"] == member_key.prefix
    # Revoking again changes nothing and records nothing.
    client.post(_revoke_url(member_key))
    assert AuditEvent.objects.filter(action="accounts.apikey.revoked").count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("member", 200),
        ("owner", 404),
        ("admin", 404),
        ("outsider", 404),
        ("staff", 404),
        ("anonymous", 302),
    ],
)
def test_only_the_owner_of_a_key_sees_or_revokes_it(client, request, member_key, persona, status):
    user = request.getfixturevalue(persona)
    if user.is_authenticated:
        client.force_login(user)

    assert client.get(_revoke_url(member_key)).status_code == status
    client.post(_revoke_url(member_key))

    member_key.refresh_from_db()
    assert (member_key.revoked_at is not None) == (persona == "member")


def test_the_cli_still_creates_keys_and_audits_them_as_the_system(capsys, member):
    call_command("apikeys", "create", "member", "--name", "ci")
    secret = capsys.readouterr().out.strip()
    assert authenticate_api_key(secret).user == member
    event = AuditEvent.objects.get(action="accounts.apikey.created")
    assert event.actor is None and event.actor_label == "system"


# API


def _me(client, secret: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret is not None else {}
    return client.get("/api/me", **headers)


def test_the_api_refuses_a_missing_wrong_or_revoked_key(client, member):
    api_key, secret = create_api_key(member, name="laptop", actor=member)
    revoked, revoked_secret = create_api_key(member, name="old", actor=member)
    revoke_api_key(revoked, actor=member)

    for response in [
        _me(client, None),
        _me(client, secret[:-1] + ("a" if secret[-1] != "a" else "b")),
        _me(client, "not-even-a-key"),
        _me(client, revoked_secret),
        client.get("/api/me", HTTP_AUTHORIZATION=secret),  # no "Bearer"
    ]:
        assert response.status_code == 401
        assert response.json()["error"] and response.json()["code"] == "unauthorized"

    assert _me(client, secret).status_code == 200


def test_me_shows_the_key_owner_and_their_organizations(client, member):
    _, secret = create_api_key(member, name="laptop", actor=member)

    response = _me(client, secret)

    assert response.status_code == 200
    assert response.json() == {
        "username": "member",
        "email": "member@example.org",
        "organizations": [
            {"slug": "radio-kinshasa", "name": "Radio Kinshasa Community", "role": "member"}
        ],
    }
    assert ApiKey.objects.get().last_used_at is not None


def test_a_key_never_shows_another_users_data(client, member, outsider):
    _, secret = create_api_key(outsider, name="laptop", actor=outsider)
    # A logged-in session of another user must not change whose key it is.
    client.force_login(member)

    body = _me(client, secret).json()

    assert body["username"] == "outsider"
    assert [o["slug"] for o in body["organizations"]] == ["other-org"]
