"""Log-in by username or email, log-out, and the audit trail they leave."""

import pytest
from django.urls import reverse

from steward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_member_logs_in_by_username_or_email_in_any_case(client, member, log_in):
    response = log_in("Member")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    client.logout()

    log_in("MEMBER@example.org")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_log_in_and_log_out_are_audited(client, member, log_in):
    log_in("member")
    client.post(reverse("account_logout"))

    events = AuditEvent.objects.filter(action__startswith="accounts.user.").order_by("seq")
    actions = list(events.values_list("action", "actor_id"))
    assert actions == [
        ("accounts.user.logged_in", member.pk),
        ("accounts.user.logged_out", member.pk),
    ]
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused_and_audited(client, member, log_in):
    response = log_in("member", "not-the-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'role="alert"' in response.content.decode()
    event = AuditEvent.objects.get(action__startswith="accounts.user.")
    assert event.action == "accounts.user.login_failed"
    assert event.actor is None and event.target_id == str(member.pk)
    assert event.data == {"login": "member"}
    assert "not-the-password" not in str(event.data)


def test_the_header_offers_log_in_or_the_account(client, member):
    html = client.get(reverse("account_login")).content.decode()
    assert reverse("account_signup") in html and reverse("accounts:profile") not in html

    client.force_login(member)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("account_logout") in html and reverse("account_signup") not in html
