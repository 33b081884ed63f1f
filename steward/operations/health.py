"""What the health probes check.

Liveness (/healthz) only says the process answers: it touches nothing, so a database outage
does not make an orchestrator restart every web process. Readiness (/readyz) checks what a
request needs: the database, the file store (an object could be written now) and the task
queue's table. Its answer names each check; the reasons of a failure go to the log only,
since they may name internal hosts and the probes answer anyone. Anyone may also ask it
often, so each process checks at most once every READINESS_SECONDS and answers from the
last outcome meanwhile."""

import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from steward.storage.objectstore import FallbackStore, LocalStore, S3Store, get_store

log = logging.getLogger("steward.health")

# A readiness probe must answer within the orchestrator's timeout (often 1 to 5 s), so a
# store that does not answer fails the check instead of holding the probe.
S3_TIMEOUT_SECONDS = 2
# How long a readiness outcome is reused. Kept in this process's memory, not in Django's
# cache: the cache may live in the database or Redis, which may be what is down.
READINESS_SECONDS = 2.0


@dataclass
class Check:
    ok: bool
    details: dict = field(default_factory=dict)


def check_database() -> Check:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(True)


def check_storage() -> Check:
    store = get_store()
    # While files move between stores, reads fall back to the old one: both must answer.
    stores = [store.new, store.old] if isinstance(store, FallbackStore) else [store]
    for each in stores:
        if isinstance(each, S3Store):
            _s3_probe_client(
                settings.STEWARD_S3_ENDPOINT,
                settings.STEWARD_S3_REGION,
                settings.STEWARD_S3_ACCESS_KEY_ID,
                settings.STEWARD_S3_SECRET_ACCESS_KEY,
            ).head_bucket(Bucket=each.bucket)
        else:
            _write_probe(each)
    return Check(True, {"backend": store.kind})


def _write_probe(store: LocalStore) -> None:
    # As LocalStore.put does: make the folder if it is missing, then write a file into it.
    store.root.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=store.root, prefix=".readyz-")
    os.close(fd)
    os.unlink(path)


@lru_cache(maxsize=4)
def _s3_probe_client(endpoint: str, region: str, access_key: str, secret_key: str):
    """A client configured as the store's (objectstore.S3Store), but with short timeouts and
    no retries: the store's own client waits a minute and retries, as transfers should."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or "us-east-1",
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        config=Config(
            connect_timeout=S3_TIMEOUT_SECONDS,
            read_timeout=S3_TIMEOUT_SECONDS,
            retries={"total_max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def task_queue() -> tuple[int, float]:
    """How many tasks are ready to run, and how long the oldest of them has waited (s)."""
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready().aggregate(count=Count("id"), oldest=Min("enqueued_at"))
    age = (timezone.now() - ready["oldest"]).total_seconds() if ready["count"] else 0.0
    return ready["count"], round(age, 1)


def check_tasks() -> Check:
    # A long queue is not a reason to stop sending requests to this process (the workers
    # are elsewhere); it is reported, and graphed from /metrics.
    depth, age = task_queue()
    return Check(True, {"ready": depth, "oldest_ready_seconds": age})


CHECKS = {"database": check_database, "storage": check_storage, "tasks": check_tasks}


# (when, outcome) of the last checks, time.monotonic(); the lock lets one request at a time
# run them, the others waiting for its outcome.
_last: tuple[float, dict[str, Check]] | None = None
_lock = threading.Lock()


def readiness() -> dict[str, Check]:
    """Every check's outcome, at most READINESS_SECONDS old."""
    global _last
    with _lock:
        if _last is None or time.monotonic() - _last[0] >= READINESS_SECONDS:
            results = run_checks()
            # From the end of the checks: slow ones (a store timing out) are not rerun at once.
            _last = (time.monotonic(), results)
        return _last[1]


def forget_readiness() -> None:
    """Make the next readiness() check again (tests change what it checks)."""
    global _last
    with _lock:
        _last = None


def run_checks() -> dict[str, Check]:
    """Every check's outcome; a check that raises has failed, and its reason is logged."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready"
            log.warning("Readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = Check(False)
    return results
