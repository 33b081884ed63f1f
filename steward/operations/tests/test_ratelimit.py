"""Rate limits on the API and on the log-in, sign-up and access-request forms: 429 with
Retry-After, one budget per key or address, shared by every server process."""

import base64
import subprocess
import sys
import time
import uuid

import pytest
import requests
from axes.models import AccessAttempt
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from steward.accounts.services import create_api_key, revoke_api_key
from steward.catalog.tests.factories import make_dataset
from steward.operations import ratelimit
from steward.operations.models import RateLimitCounter
from steward.operations.ratelimit import Rate, hit, parse_rate, sliding_window
from steward.payments.tests.test_ledger import on_postgres, run_at_once

from .serving import database_url, server_env, start_servers

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "a-long-test-password"


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs a Redis server at {REDIS_URL}")


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    """Counters in the database (the default), then in Redis under a prefix of this test's."""
    if request.param == "redis":
        _redis_or_skip()
        settings.STEWARD_REDIS_URL = REDIS_URL
        settings.STEWARD_REDIS_PREFIX = f"steward-test-{uuid.uuid4().hex[:12]}"
        yield "redis"
        client = ratelimit.counters().client
        for key in client.scan_iter(f"{settings.STEWARD_REDIS_PREFIX}:*"):
            client.delete(key)
    else:
        yield "database"


def _api_error(response) -> dict:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "rate_limited" and body["field"] is None
    assert "Too many requests" in body["error"]
    return body


# --- Reading the settings ---


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("300/minute", Rate(300, 60)),
        ("20/hour", Rate(20, 3600)),
        ("5/10seconds", Rate(5, 10)),
        ("1000/day", Rate(1000, 86400)),
        (" 7 / 15m ", Rate(7, 900)),
        ("2/s", Rate(2, 1)),
        ("0", None),
        ("off", None),
        ("", None),
        ("0/minute", None),
    ],
)
def test_rates_are_read_from_settings(value, rate):
    assert parse_rate(value) == rate


@pytest.mark.parametrize("value", ["300", "20 per minute", "5/fortnight", "-1/minute", "5/0s"])
def test_a_misspelt_rate_is_refused(value):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(value)


def test_steward_check_names_a_misspelt_rate_setting(settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "20 per minute"
    errors = [e for e in checks.run_checks(tags=["steward"]) if e.id == "steward.E110"]
    assert len(errors) == 1 and "STEWARD_RATE_LIMIT_LOGIN" in errors[0].msg


# --- The sliding window: waiting Retry-After seconds is enough, and no less would be ---


def _counts_after(rate: Rate, now: int, wait: int, current: int, previous: int):
    """This window's and the previous window's hits `wait` seconds later, nobody else
    spending meanwhile; `current` are the hits kept now (the refused one excluded)."""
    windows_passed = (now + wait) // rate.seconds - now // rate.seconds
    if windows_passed == 0:
        return current + 1, previous
    if windows_passed == 1:
        return 1, current
    return 1, 0


@given(
    limit=st.integers(1, 50),
    seconds=st.sampled_from([1, 10, 60, 3600]),
    now=st.integers(1_700_000_000, 1_700_100_000),
    current=st.integers(1, 120),
    previous=st.integers(0, 120),
)
def test_retry_after_is_exactly_the_wait_until_a_request_fits(
    limit, seconds, now, current, previous
):
    rate = Rate(limit, seconds)
    decision = sliding_window(rate, now=now, current=current, previous=previous)
    if decision.allowed:
        assert current <= limit
        return
    kept = current - 1
    wait = decision.retry_after
    later = _counts_after(rate, now, wait, kept, previous)
    assert sliding_window(rate, now=now + wait, current=later[0], previous=later[1]).allowed
    if wait > 1:
        sooner = _counts_after(rate, now, wait - 1, kept, previous)
        assert not sliding_window(
            rate, now=now + wait - 1, current=sooner[0], previous=sooner[1]
        ).allowed


def test_a_full_previous_window_still_counts_at_the_start_of_the_next():
    rate = Rate(10, 60)
    # 10 requests in the last minute, and it is now 6 s into the next: 9 of them still count.
    assert sliding_window(rate, now=606, current=1, previous=10).allowed
    assert not sliding_window(rate, now=606, current=2, previous=10).allowed
    # Half-way through, half of them count.
    assert sliding_window(rate, now=630, current=5, previous=10).allowed
    assert not sliding_window(rate, now=630, current=6, previous=10).allowed


# --- Counting, in the database and in Redis ---


def _aligned_time(seconds: int) -> int:
    """A moment in the near future at the start of a window."""
    now = int(time.time()) + 10 * seconds
    return now - now % seconds


def test_the_budget_comes_back_as_the_window_moves_on(backend, settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "4/minute"
    start = _aligned_time(60)
    assert [hit("login", "ip:192.0.2.1", now=start).allowed for _ in range(4)] == [True] * 4
    refused = hit("login", "ip:192.0.2.1", now=start + 1)
    assert not refused.allowed
    # The four hits fade out over the next window: the first fits when a quarter is gone.
    assert refused.retry_after == 59 + 15
    assert not hit("login", "ip:192.0.2.1", now=start + 1 + refused.retry_after - 1).allowed
    assert hit("login", "ip:192.0.2.1", now=start + 1 + refused.retry_after).allowed
    # Two windows later nothing of that is left: the whole budget is back.
    later = start + 180
    assert [hit("login", "ip:192.0.2.1", now=later).allowed for _ in range(5)] == (
        [True] * 4 + [False]
    )


def test_refused_requests_do_not_spend_the_budget(backend, settings):
    settings.STEWARD_RATE_LIMIT_SIGNUP = "2/minute"
    start = _aligned_time(60)
    hit("signup", "ip:192.0.2.2", now=start)
    hit("signup", "ip:192.0.2.2", now=start)
    retry_afters = {hit("signup", "ip:192.0.2.2", now=start).retry_after for _ in range(20)}
    # Hammering does not push the wait further out.
    assert len(retry_afters) == 1


def test_each_client_and_each_limit_has_its_own_budget(backend, settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "1/minute"
    settings.STEWARD_RATE_LIMIT_SIGNUP = "1/minute"
    start = _aligned_time(60)
    assert hit("login", "ip:192.0.2.3", now=start).allowed
    assert not hit("login", "ip:192.0.2.3", now=start).allowed
    assert hit("login", "ip:192.0.2.4", now=start).allowed
    assert hit("signup", "ip:192.0.2.3", now=start).allowed


def test_a_disabled_limit_never_refuses(backend, settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "off"
    assert all(hit("login", "ip:192.0.2.5").allowed for _ in range(50))
    settings.STEWARD_RATE_LIMIT_LOGIN = "0"
    assert all(hit("login", "ip:192.0.2.5").allowed for _ in range(50))
    # Nothing was even counted.
    assert not RateLimitCounter.objects.exists()


def test_an_unreachable_redis_lets_requests_through_and_says_so(settings, caplog):
    settings.STEWARD_REDIS_URL = "redis://127.0.0.1:1/0"
    settings.STEWARD_RATE_LIMIT_LOGIN = "1/minute"
    assert hit("login", "ip:192.0.2.10").allowed
    assert hit("login", "ip:192.0.2.10").allowed
    assert "Rate limit login not checked: Error 111 connecting" in caplog.text


def test_database_counters_are_removed_once_no_window_reads_them(settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "5/minute"
    start = _aligned_time(60)
    hit("login", "ip:192.0.2.6", now=start)
    hit("login", "ip:192.0.2.7", now=start + 60)
    assert RateLimitCounter.objects.count() == 2

    # Two windows after its own, a counter is of no use any more.
    hit("login", "ip:192.0.2.8", now=start + 181)
    assert sorted(RateLimitCounter.objects.values_list("bucket", flat=True)) == [
        "login:ip:192.0.2.8"
    ]


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(settings):
    settings.STEWARD_RATE_LIMIT_API = "1000/hour"
    start = _aligned_time(3600)
    results = run_at_once(40, lambda n: hit("api", "ip:192.0.2.9", now=start).allowed)
    assert results == [True] * 40
    assert RateLimitCounter.objects.get(bucket="api:ip:192.0.2.9").hits == 40


# --- The API ---


def test_an_api_client_over_its_limit_gets_429_with_retry_after(client, backend, settings):
    settings.STEWARD_RATE_LIMIT_API = "3/minute"
    assert [client.get("/api/datasets").status_code for _ in range(3)] == [200] * 3

    response = client.get("/api/datasets/filters")

    _api_error(response)
    assert 1 <= int(response["Retry-After"]) <= 120
    # Liveness checks are never limited.
    assert client.get("/api/health").status_code == 200
    # Pages are not API calls.
    assert client.get(reverse("catalog:dataset-list")).status_code == 200


def test_each_user_and_each_address_has_its_own_budget(client, backend, settings, owner, outsider):
    settings.STEWARD_RATE_LIMIT_API = "2/minute"
    _, owner_key = create_api_key(owner)
    _, second_key = create_api_key(owner)
    _, outsider_key = create_api_key(outsider)

    def me(key: str | None = None, address: str = "198.51.100.1", basic: bool = False):
        headers = {}
        if key and basic:
            token = base64.b64encode(f"anyone:{key}".encode()).decode()
            headers = {"HTTP_AUTHORIZATION": f"Basic {token}"}
        elif key:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        return client.get("/api/me", REMOTE_ADDR=address, **headers)

    assert [me(owner_key).status_code for _ in range(2)] == [200, 200]
    _api_error(me(owner_key))
    # The same key from another address is the same client.
    _api_error(me(owner_key, "198.51.100.2"))
    # Another key of the same user buys no more calls, as the HTTP Basic password either.
    _api_error(me(second_key))
    _api_error(me(second_key, basic=True))
    # Other users, and callers without a key, have budgets of their own.
    assert me(outsider_key).status_code == 200
    assert me().status_code == 401


def test_a_signed_in_session_spends_the_users_budget(client, backend, settings, owner):
    settings.STEWARD_RATE_LIMIT_API = "2/minute"
    _, key = create_api_key(owner)
    client.force_login(owner)
    assert [client.get("/api/datasets").status_code for _ in range(2)] == [200, 200]
    _api_error(client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}"))
    client.logout()
    # Signed out, the same browser is a client of its own again.
    assert client.get("/api/datasets").status_code == 200


def test_made_up_and_revoked_keys_spend_from_the_address(client, backend, settings, owner):
    settings.STEWARD_RATE_LIMIT_API = "3/minute"
    api_key, secret = create_api_key(owner)
    revoke_api_key(api_key, actor=owner)
    made_up = f"stw_{uuid.uuid4().hex}"

    def me(key: str):
        return client.get("/api/me", REMOTE_ADDR="198.51.100.3", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert [me(made_up).status_code, me(secret).status_code] == [401, 401]
    assert client.get("/api/datasets", REMOTE_ADDR="198.51.100.3").status_code == 200
    # A new made-up key does not buy a new budget.
    _api_error(me(f"stw_{uuid.uuid4().hex}"))


def test_creating_access_requests_through_the_api_has_a_tighter_limit(
    client, backend, settings, organization, outsider
):
    settings.STEWARD_RATE_LIMIT_API = "100/minute"
    settings.STEWARD_RATE_LIMIT_ACCESS_REQUEST = "2/hour"
    datasets = [
        make_dataset(organization, slug=f"asked-{n}", archive=b"x", visibility="restricted")
        for n in range(3)
    ]
    _, key = create_api_key(outsider)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    body = {
        "purpose": "research",
        "country": "KE",
        "organizationType": "academic",
        "intendedUse": "A speech recogniser.",
        "acceptTerms": True,
    }

    def ask(dataset):
        return client.post(
            f"/api/datasets/{dataset.public_id}/access-requests",
            body,
            content_type="application/json",
            **headers,
        )

    assert [ask(d).status_code for d in datasets[:2]] == [201, 201]
    _api_error(ask(datasets[2]))
    # The rest of the API still answers.
    assert client.get("/api/access-requests", **headers).status_code == 200


def test_addresses_behind_a_trusted_proxy_are_told_apart(client, backend, settings):
    settings.STEWARD_RATE_LIMIT_API = "1/minute"

    def get(forwarded_for: str):
        return client.get(
            "/api/datasets", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for
        )

    # Without STEWARD_BEHIND_PROXY the header is the client's word: not believed.
    assert get("203.0.113.1").status_code == 200
    _api_error(get("203.0.113.2"))

    settings.STEWARD_BEHIND_PROXY = True
    assert get("203.0.113.1").status_code == 200
    # The proxy's own entry is the last one; what comes before is the client's to invent.
    assert get("198.51.100.99, 203.0.113.2").status_code == 200
    _api_error(get("198.51.100.98, 203.0.113.2"))


def test_ipv6_clients_are_counted_by_their_64_network(client, backend, settings):
    settings.STEWARD_RATE_LIMIT_API = "1/minute"
    assert client.get("/api/datasets", REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    _api_error(client.get("/api/datasets", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert client.get("/api/datasets", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_disabled_api_limits_never_refuse(client, settings):
    settings.STEWARD_RATE_LIMIT_API = "off"
    assert {client.get("/api/datasets/filters").status_code for _ in range(30)} == {200}


# --- The forms ---


def _log_in(client, login: str = "member", password: str = "wrong-password", **extra):
    return client.post(reverse("account_login"), {"login": login, "password": password}, **extra)


def _assert_paused_page(response, window: int = 60):
    html = response.content.decode()
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 2 * window
    # In the site's layout, with the menu, saying how long to wait.
    assert 'class="site-header' in html and "Too many attempts" in html
    assert "Try again in" in html


def test_log_in_is_limited_per_address(client, backend, settings, member):
    settings.STEWARD_RATE_LIMIT_LOGIN = "3/minute"
    assert [_log_in(client, login=f"user{n}").status_code for n in range(3)] == [200] * 3

    response = _log_in(client, "member", PASSWORD)

    _assert_paused_page(response)
    assert "_auth_user_id" not in client.session
    # Another address may still log in, and showing the form is never limited.
    assert client.get(reverse("account_login")).status_code == 200
    _log_in(client, "member", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_the_admin_log_in_shares_the_log_in_limit(client, backend, settings):
    settings.STEWARD_RATE_LIMIT_LOGIN = "2/minute"
    _log_in(client, "someone")
    _log_in(client, "someone")
    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    _assert_paused_page(response)


def test_limited_log_ins_are_not_counted_as_failures_by_the_lockout(
    client, backend, settings, member
):
    settings.STEWARD_RATE_LIMIT_LOGIN = "2/minute"
    settings.AXES_FAILURE_LIMIT = 3
    assert [_log_in(client).status_code for _ in range(2)] == [200, 200]
    for _ in range(3):
        _assert_paused_page(_log_in(client))
    # Only the two attempts that reached the form count: the account is not locked.
    assert AccessAttempt.objects.get().failures_since_start == 2
    response = _log_in(client, "member", PASSWORD, REMOTE_ADDR="127.0.0.2")
    assert response.status_code == 302


def test_a_locked_out_account_still_gets_the_lockout_page_within_the_limit(
    client, backend, settings, member
):
    settings.STEWARD_RATE_LIMIT_LOGIN = "5/minute"
    settings.AXES_FAILURE_LIMIT = 2
    assert _log_in(client).status_code == 200
    locked = [_log_in(client), _log_in(client, "member", PASSWORD)]
    for response in locked:
        assert response.status_code == 429
        assert "Log-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Past the address's limit, the limit answers first.
    _log_in(client)
    _log_in(client)
    response = _log_in(client, "member", PASSWORD)
    _assert_paused_page(response)
    assert "Log-in paused" not in response.content.decode()


def test_sign_up_is_limited_per_address(client, backend, settings):
    settings.STEWARD_RATE_LIMIT_SIGNUP = "2/hour"
    form = {"email": "not-an-address", "username": "x"}
    assert [client.post(reverse("account_signup"), form).status_code for _ in range(2)] == [
        200,
        200,
    ]
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Amina Diallo",
            "email": "amina@example.org",
            "username": "amina",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-battery",
            "country": "SN",
            "organization_type": "academic",
        },
    )
    _assert_paused_page(response, window=3600)
    from steward.accounts.models import User

    assert not User.objects.filter(username="amina").exists()


def test_the_access_request_form_is_limited_per_address(
    client, backend, settings, organization, outsider
):
    from steward.access.models import AccessRequest

    settings.STEWARD_RATE_LIMIT_ACCESS_REQUEST = "1/hour"
    dataset = make_dataset(organization, slug="asked", archive=b"x", visibility="restricted")
    page = reverse("access:request-access", args=[dataset.public_id])
    client.force_login(outsider)
    # An incomplete form spends from the budget too.
    assert client.post(page, {"purpose": "research"}).status_code == 400

    response = client.post(
        page,
        {
            "purpose": "research",
            "country": "KE",
            "organization_name": "University of Nairobi",
            "organization_type": "academic",
            "intended_use": "A speech recogniser.",
            "accept_terms": "on",
        },
    )

    _assert_paused_page(response, window=3600)
    assert not AccessRequest.objects.exists()
    # Reading the page is not limited.
    assert client.get(page).status_code == 200


# --- Real processes ---


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_raises_its_rate_limit_error(live_server, monkeypatch, settings):
    import datacollective

    settings.STEWARD_RATE_LIMIT_API = "2/minute"
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    monkeypatch.delenv("MDC_API_KEY", raising=False)
    datacollective.list_datasets()
    datacollective.list_dataset_filters()

    with pytest.raises(datacollective.RateLimitError) as raised:
        datacollective.list_datasets()

    assert raised.value.response.status_code == 429
    assert int(raised.value.response.headers["Retry-After"]) >= 1


def test_with_redis_the_cache_is_shared_by_processes(tmp_path):
    _redis_or_skip()
    env = server_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        STEWARD_REDIS_URL=REDIS_URL,
        STEWARD_REDIS_PREFIX=f"steward-test-{uuid.uuid4().hex[:12]}",
    )

    def run(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "steward", "shell", "--verbosity", "0", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    run("from django.core.cache import cache; cache.set('greeting', 'mbote', 60)")
    # Another process, as another web process on another machine would, reads it back.
    assert run("from django.core.cache import cache; print(cache.get('greeting'))") == "mbote"


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_server_processes_share_one_budget(tmp_path, owner, store):
    settings = {
        "STEWARD_RATE_LIMIT_API": "6/minute",
        "STEWARD_RATE_LIMIT_LOGIN": "4/minute",
    }
    if store == "redis":
        _redis_or_skip()
        settings["STEWARD_REDIS_URL"] = REDIS_URL
        settings["STEWARD_REDIS_PREFIX"] = f"steward-test-{uuid.uuid4().hex[:12]}"
    _, key = create_api_key(owner)
    env = server_env(tmp_path, database_url(tmp_path), **settings)
    first, second = start_servers(2, env)
    try:
        # Starting up asked each server's /api/health, which is never limited.
        for server in (first, second, first):
            for _ in range(2):
                assert requests.get(f"{server.url}/api/datasets", timeout=10).status_code == 200
        for server in (first, second):
            response = requests.get(f"{server.url}/api/datasets", timeout=10)
            assert response.status_code == 429, response.text
            assert response.json()["code"] == "rate_limited"
            assert int(response.headers["Retry-After"]) >= 1
        # The key's budget is its own.
        authorized = {"Authorization": f"Bearer {key}"}
        assert requests.get(f"{second.url}/api/me", headers=authorized, timeout=10).ok

        # The log-in form's budget is shared the same way (CSRF is checked after the limit).
        for server in (first, second, first, second):
            form = requests.post(f"{server.url}/accounts/login/", data={}, timeout=10)
            assert form.status_code == 403
        for server in (first, second):
            form = requests.post(f"{server.url}/accounts/login/", data={}, timeout=10)
            assert form.status_code == 429 and "Too many attempts" in form.text
    finally:
        for server in (first, second):
            server.stop()
    assert first.process.returncode == 0 and second.process.returncode == 0
