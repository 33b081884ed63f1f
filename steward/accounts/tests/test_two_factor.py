"""Two-factor authentication: optional for everyone, required for platform staff."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from steward.accounts.services import create_api_key

pytestmark = pytest.mark.django_db

# The personas' password, from the root conftest.py.
PASSWORD = "a-long-test-password"


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def new_staff(staff):
    """A reviewer who has not set up an authenticator app yet."""
    Authenticator.objects.filter(user=staff).delete()
    return staff


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, new_staff):
    staff = new_staff
    client.force_login(staff)
    for url in [reverse("accounts:profile"), reverse("catalog:home"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_an_authenticator_still_reach_log_out_set_up_and_the_api(client, new_staff):
    staff = new_staff
    client.force_login(staff)
    _, secret = create_api_key(staff, name="ci")

    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    # Re-authentication is one of allauth's own pages, so it is reachable too.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_staff_with_an_authenticator_use_the_site(client, staff):
    client.force_login(staff)
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_two_factor_is_optional_for_everyone_else(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_staff_log_in_then_set_up_an_authenticator_app(client, new_staff, log_in):
    staff = new_staff
    response = log_in("reviewer", follow=True)
    chain = [url for url, _ in response.redirect_chain]
    assert chain[:2] == ["/", reverse("mfa_activate_totp")]
    assert "Platform staff must turn on two-factor authentication" in response.content.decode()

    # allauth asks for the password again before any change to two-factor settings.
    assert chain[2].startswith(reverse("account_reauthenticate"))
    response = client.post(chain[2], {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    assert '<label for="id_code"' in response.content.decode()

    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": _current_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_wrong_code_does_not_turn_on_two_factor(client, member, log_in):
    log_in("member")
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert 'id="id_code_error"' in response.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()


def test_with_an_authenticator_log_in_asks_for_a_code(client, member, log_in):
    secret = generate_totp_secret()
    TOTP.activate(member, secret)

    response = log_in("member")

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert client.session["_auth_user_id"] == str(member.pk)


def test_the_admin_log_in_goes_through_the_log_in_that_asks_for_the_code(client, staff):

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    # Posting a password to the admin's own form logs nobody in.
    client.post("/admin/login/", {"username": "reviewer", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
