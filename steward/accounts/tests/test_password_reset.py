"""A forgotten password is replaced through a link sent by email."""

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_by_email(client, member, log_in):
    response = client.post(reverse("account_reset_password"), {"email": "member@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["member@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)

    # The key link stores the key in the session and redirects to a key-less URL.
    response = client.get(link.group(1))
    assert response.status_code == 302
    set_password_url = response["Location"]
    response = client.post(
        set_password_url, {"password1": "a-brand-new-password", "password2": "a-brand-new-password"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-brand-new-password")

    log_in("member", "a-brand-new-password")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_an_unknown_address_gets_no_reset_email(client, member):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    # The page does not tell whether the address has an account.
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] in ([], [["nobody@example.org"]])
    assert all("reset/key" not in m.body for m in mail.outbox)
