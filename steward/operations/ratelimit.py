"""Rate limits: how many requests one client may make in a window, shared by every process.

What is limited (RateLimitMiddleware): every API request (per user, whichever of their keys
or their session they call with, or per address without a valid key), and posts of the
log-in, sign-up and access-request forms (per address). Creating an access request through
the API also counts against the tighter access-request limit. The liveness endpoints
(/api/health, /healthz, /readyz, /metrics) are never limited. Each limit is a setting,
"300/minute" or "5/10seconds"; "0" or "off" turns it off.

Counters live in Redis when STEWARD_REDIS_URL is set, and otherwise in the database
(RateLimitCounter, incremented by one atomic upsert), so that all web processes of a site,
on one machine or many, spend the same budget and a one-machine install needs nothing more.

The window slides: a request counts fully in its own fixed window and the previous window's
count fades linearly as the current one advances (the "sliding window counter"), so a client
cannot double its budget across a window boundary. A refused request is not counted, and
Retry-After says exactly when the next one will be accepted if nobody else spends from the
budget meanwhile.
"""

import base64
import binascii
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import redis
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from steward.accounts.models import ApiKey
from steward.accounts.services import KEY_PREFIX, hash_key
from steward.lib.geoip import client_ip

from .models import RateLimitCounter

log = logging.getLogger(__name__)

# Each limit and the setting that holds it.
SETTINGS = {
    "api": "STEWARD_RATE_LIMIT_API",
    "login": "STEWARD_RATE_LIMIT_LOGIN",
    "signup": "STEWARD_RATE_LIMIT_SIGNUP",
    "access_request": "STEWARD_RATE_LIMIT_ACCESS_REQUEST",
}

# Form posts that spend from a limit, by URL name. Django's admin has its own log-in form.
FORM_LIMITS = {
    "account_login": "login",
    "admin:login": "login",
    "account_signup": "signup",
    "access:request-access": "access_request",
}
# API operations, by URL name, that also spend from a tighter limit when posted.
API_LIMITS = {"api:create_access_request": "access_request"}
# Liveness is asked every few seconds by load balancers; it must always answer.
API_UNLIMITED = {"api:health"}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(
    r"^\s*(?P<limit>\d+)\s*/\s*(?P<count>\d+)?\s*"
    r"(?P<unit>s|sec|second|m|min|minute|h|hr|hour|d|day)s?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Whole seconds until a request would be accepted; 0 when this one was.
    retry_after: int = 0


@lru_cache(maxsize=32)
def parse_rate(value: str) -> Rate | None:
    """The rate a setting names: Rate(300, 60) for "300/minute" (also "5/10s", "1000/day"),
    None for no limit ("", "0", "off"); ImproperlyConfigured for anything else."""
    text = (value or "").strip().lower()
    if text in {"", "0", "off", "none", "false"}:
        return None
    match = _RATE.match(text)
    if match is None:
        raise ImproperlyConfigured(
            f"{value!r} is not a rate limit: write requests/period, e.g. 300/minute, "
            "20/hour or 5/10seconds; 0 or off for no limit."
        )
    limit = int(match["limit"])
    seconds = int(match["count"] or 1) * _UNITS[match["unit"][0].lower()]
    if limit == 0:
        return None
    if seconds == 0:
        raise ImproperlyConfigured(f"{value!r}: the period must be at least one second.")
    return Rate(limit=limit, seconds=seconds)


def rate_for(scope: str) -> Rate | None:
    """The limit in force for `scope` ("api", "login"...), or None when it is off."""
    return parse_rate(str(getattr(settings, SETTINGS[scope], "") or ""))


def sliding_window(rate: Rate, *, now: int, current: int, previous: int) -> Decision:
    """Whether a request fits, given the hits of this window (this request included) and of
    the previous one, `now` being whole seconds. Integer arithmetic, so that waiting exactly
    `retry_after` seconds is always enough."""
    window = rate.seconds
    remaining = window - now % window
    # previous * remaining / window + current <= limit, multiplied through by `window`.
    if previous * remaining + current * window <= rate.limit * window:
        return Decision(allowed=True)
    current -= 1  # the refused request is not kept
    if current < rate.limit and previous:
        # A request fits in this window once enough of the previous window's share has
        # faded: previous * (remaining - t) <= (limit - current - 1) * window.
        wait = remaining - (rate.limit - current - 1) * window // previous
    else:
        # Not before the next window, once this window's share has faded enough:
        # current * (window - t) <= (limit - 1) * window.
        wait = remaining + window - (rate.limit - 1) * window // current
    return Decision(allowed=False, retry_after=max(1, wait))


class DatabaseCounters:
    """Counters in the RateLimitCounter table (SQLite 3.35+ or PostgreSQL)."""

    def increment(self, bucket: str, window_start: int, window: int, now: int) -> tuple[int, int]:
        """Count one hit in the window; return this window's and the previous one's hits."""
        table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
        expires_at = datetime.fromtimestamp(window_start + 2 * window, tz=UTC)
        # One statement, so concurrent processes never lose a hit: the row is created or
        # incremented atomically, and the previous window's count is read alongside.
        sql = (
            f"INSERT INTO {table} (bucket, window_start, hits, expires_at) "
            f"VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            f"RETURNING hits, (SELECT p.hits FROM {table} p "
            f"WHERE p.bucket = %s AND p.window_start = %s)"
        )
        params = [
            bucket,
            window_start,
            connection.ops.adapt_datetimefield_value(expires_at),
            bucket,
            window_start - window,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            current, previous = cursor.fetchone()
        if current == 1:
            # Each new row pays for removing the expired ones, so the table stays as small
            # as the set of recent clients without a scheduled job.
            RateLimitCounter.objects.filter(
                expires_at__lt=datetime.fromtimestamp(now, tz=UTC)
            ).delete()
        return current, previous or 0

    def undo(self, bucket: str, window_start: int) -> None:
        RateLimitCounter.objects.filter(
            bucket=bucket, window_start=window_start, hits__gt=0
        ).update(hits=F("hits") - 1)


class RedisCounters:
    """Counters in Redis: one key per bucket and window, expiring after two windows."""

    def __init__(self, url: str, prefix: str):
        self.prefix = prefix
        # Short timeouts: a request must not hang on a limiter that cannot answer.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def _key(self, bucket: str, window_start: int) -> str:
        return f"{self.prefix}:ratelimit:{bucket}:{window_start}"

    def increment(self, bucket: str, window_start: int, window: int, now: int) -> tuple[int, int]:
        key = self._key(bucket, window_start)
        pipeline = self.client.pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, 2 * window + 1)
        pipeline.get(self._key(bucket, window_start - window))
        current, _, previous = pipeline.execute()
        return int(current), int(previous or 0)

    def undo(self, bucket: str, window_start: int) -> None:
        self.client.decr(self._key(bucket, window_start))


_database_counters = DatabaseCounters()
_redis_counters: dict[tuple[str, str], RedisCounters] = {}


def counters() -> DatabaseCounters | RedisCounters:
    """Where the counts are kept: Redis when STEWARD_REDIS_URL is set, else the database."""
    url = getattr(settings, "STEWARD_REDIS_URL", "")
    if not url:
        return _database_counters
    prefix = getattr(settings, "STEWARD_REDIS_PREFIX", "steward")
    if (url, prefix) not in _redis_counters:
        _redis_counters[(url, prefix)] = RedisCounters(url, prefix)
    return _redis_counters[(url, prefix)]


def hit(scope: str, client: str, *, now: float | None = None) -> Decision:
    """Spend one request of `client` ("key:42", "ip:203.0.113.5") from the `scope` limit."""
    rate = rate_for(scope)
    if rate is None:
        return Decision(allowed=True)
    seconds = math.floor(time.time() if now is None else now)
    window_start = seconds - seconds % rate.seconds
    bucket = f"{scope}:{client}"
    store = counters()
    try:
        current, previous = store.increment(bucket, window_start, rate.seconds, seconds)
        decision = sliding_window(rate, now=seconds, current=current, previous=previous)
        if not decision.allowed:
            store.undo(bucket, window_start)
    except (redis.RedisError, DatabaseError) as error:
        # A limiter that cannot count (Redis unreachable, a database locked by a long write)
        # must not take the site down with it.
        log.warning("Rate limit %s not checked: %s", scope, error)
        return Decision(allowed=True)
    return decision


# Who the client is


def ip_client(request: HttpRequest) -> str:
    """The client's address; an IPv6 client by its /64 network, since one host usually
    holds a whole /64 and could otherwise take a new address for every request."""
    address = client_ip(request)
    if address is None:
        return "ip:unknown"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def _presented_key(request: HttpRequest) -> str | None:
    """The API key the request presents: `Authorization: Bearer <key>`, or a key given as
    the HTTP Basic password (as mlcroissant sends it)."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    return credentials if credentials.startswith(KEY_PREFIX) else None


def api_client(request: HttpRequest) -> str:
    """Whose budget an API call spends: the user's, whichever of their keys (or their signed-in
    session) they call with, so that making more keys buys no more calls; the client's address
    for anyone else, a made-up or revoked key included."""
    secret = _presented_key(request)
    if secret is not None:
        user_id = (
            ApiKey.objects.filter(
                key_hash=hash_key(secret), revoked_at__isnull=True, user__is_active=True
            )
            .values_list("user_id", flat=True)
            .first()
        )
        return f"user:{user_id}" if user_id is not None else ip_client(request)
    if "Authorization" not in request.headers:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
    return ip_client(request)


def limits_for(request: HttpRequest) -> list[tuple[str, str]]:
    """The (scope, client) pairs this request spends from, in order."""
    match = request.resolver_match
    if match is None:
        return []
    if "api" in match.namespaces:
        if match.view_name in API_UNLIMITED:
            return []
        client = api_client(request)
        limits = [("api", client)]
        if request.method == "POST" and match.view_name in API_LIMITS:
            limits.append((API_LIMITS[match.view_name], client))
        return limits
    if request.method == "POST" and match.view_name in FORM_LIMITS:
        return [(FORM_LIMITS[match.view_name], ip_client(request))]
    return []


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with Retry-After: the API's JSON error, or a page in the site's layout."""
    response: HttpResponse
    if "api" in request.resolver_match.namespaces:
        response = JsonResponse(
            {
                "error": _("Too many requests: try again in %(seconds)d seconds.")
                % {"seconds": retry_after},
                "code": "rate_limited",
                "field": None,
            },
            status=429,
        )
    else:
        minutes = math.ceil(retry_after / 60)
        response = render(
            request, "429.html", {"retry_after": retry_after, "minutes": minutes}, status=429
        )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Answers 429 to a client over one of its limits, before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        for scope, client in limits_for(request):
            decision = hit(scope, client)
            if not decision.allowed:
                return too_many_requests(request, decision.retry_after)
        return None


@checks.register("steward")
def check_rate_limits(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: every STEWARD_RATE_LIMIT_* setting reads as a rate."""
    errors: list[checks.CheckMessage] = []
    for setting in SETTINGS.values():
        try:
            parse_rate(str(getattr(settings, setting, "") or ""))
        except ImproperlyConfigured as error:
            errors.append(
                checks.Error(f"{setting}: {error}", hint="e.g. 300/minute", id="steward.E110")
            )
    return errors
