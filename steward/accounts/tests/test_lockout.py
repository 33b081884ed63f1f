"""Repeated failed log-ins lock the account out from that address for a while."""

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings

pytestmark = pytest.mark.django_db


def _fail(log_in, times: int, login: str = "member"):
    return [log_in(login, "wrong-password").status_code for _ in range(times)]


def test_after_the_limit_even_the_right_password_is_refused(client, member, log_in):
    limit = settings.AXES_FAILURE_LIMIT

    assert _fail(log_in, limit - 1) == [200] * (limit - 1)
    locked = log_in("member", "wrong-password")
    assert locked.status_code == 429

    response = log_in("member")

    html = response.content.decode()
    assert response.status_code == 429
    assert "Log-in paused" in html and "Try again in 15 minutes." in html
    assert "_auth_user_id" not in client.session


def test_username_and_email_count_towards_the_same_account(client, member, log_in):
    limit = settings.AXES_FAILURE_LIMIT
    _fail(log_in, limit - 1, "member")
    assert log_in("MEMBER@example.org", "wrong-password").status_code == 429
    assert log_in("member").status_code == 429


def test_other_accounts_are_not_locked_out(client, member, owner, log_in):
    _fail(log_in, settings.AXES_FAILURE_LIMIT)
    log_in("owner")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_an_operator_reset_lifts_the_lockout(client, member, log_in):
    _fail(log_in, settings.AXES_FAILURE_LIMIT)
    assert reset(username="member") == 1
    assert AccessAttempt.objects.count() == 0


def test_a_successful_log_in_resets_the_count(client, member, log_in):
    _fail(log_in, settings.AXES_FAILURE_LIMIT - 1)
    log_in("member")
    assert client.session["_auth_user_id"] == str(member.pk)
    assert not AccessAttempt.objects.exists()
    client.logout()

    # One more failure would have locked the account without the reset.
    assert log_in("member", "wrong-password").status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 1
