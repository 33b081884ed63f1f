"""Sign-up asks for a profile and a verified email address before the first log-in."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from steward.accounts.models import User
from steward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "full_name": "Amina Diallo",
    "email": "Amina@Example.org",
    "username": "amina",
    "password1": "correct-horse-battery",
    "password2": "correct-horse-battery",
    "country": "SN",
    "organization_type": "academic",
}


def _confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_sign_up_page_labels_every_field(client):
    response = client.get(reverse("account_signup"))
    html = response.content.decode()
    assert response.status_code == 200
    for field in ["full_name", "email", "username", "password1", "country", "organization_type"]:
        assert f'<label for="id_{field}"' in html
    assert '<option value="SN">Senegal</option>' in html


def test_sign_up_stores_the_profile_and_sends_a_confirmation_email(client):
    response = client.post(reverse("account_signup"), SIGN_UP)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(username="amina")
    assert (user.full_name, user.country, user.organization_type) == (
        "Amina Diallo",
        "SN",
        "academic",
    )
    assert user.email == "amina@example.org" and user.check_password("correct-horse-battery")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["amina@example.org"]
    event = AuditEvent.objects.get(action="accounts.user.signed_up")
    assert event.actor == user and event.data == {"country": "SN", "organization_type": "academic"}


def test_an_unverified_account_cannot_log_in(client, log_in):
    client.post(reverse("account_signup"), SIGN_UP)

    response = log_in("amina", "correct-horse-battery")

    # allauth points back to the confirmation instead of logging in.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_after_confirming_the_email_the_user_can_log_in_by_username_or_email(client, log_in):
    client.post(reverse("account_signup"), SIGN_UP)
    path = _confirmation_path(mail.outbox[0])

    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    client.logout()

    response = log_in("amina", "correct-horse-battery")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(username="amina").pk)
    client.logout()
    log_in("AMINA@example.org", "correct-horse-battery")
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "XX"), ("organization_type", "pirate"), ("full_name", "")],
)
def test_sign_up_refuses_a_bad_profile(client, field, value):
    response = client.post(reverse("account_signup"), {**SIGN_UP, field: value})

    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(username="amina").exists()
    assert mail.outbox == []
