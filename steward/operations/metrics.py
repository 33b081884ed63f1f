"""Prometheus metrics, served at /metrics (views.metrics).

Two kinds, because Steward runs as several processes (gunicorn workers, task workers):

- HTTP requests and their latency are counted by each web process as it answers them. With
  PROMETHEUS_MULTIPROC_DIR set, which `steward serve` does, prometheus_client keeps each
  process's figures in a file there and a scrape adds them up; it picks that mode when it is
  first imported, so the variable must be set before (serve.py sees to it).
- Everything Steward already records in the database (downloads, bytes served, uploads,
  access decisions, the task queue) is counted there at scrape time, so the figures are
  right whichever process did the work, and survive restarts.
"""

import os
import time

from django.db import DatabaseError
from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# A `_created` series beside each counter only doubles the output (and multiprocess mode
# has none): leave them out everywhere.
disable_created_metrics()

# Any other method is counted as "other", so that made-up methods cannot add series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Not registered globally: each scrape builds its registry (render_metrics).
http_requests = Counter(
    "steward_http_requests",
    "HTTP requests answered, by method, route (the URL pattern) and status.",
    ["method", "route", "status"],
    registry=None,
)
http_duration = Histogram(
    "steward_http_request_duration_seconds",
    "Time from receiving a request to its response starting (a streamed file's bytes are "
    "not included), by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=None,
)


def route_of(request) -> str:
    """The URL pattern that answered (`datasets/<str:dataset_id>`), never the path itself,
    which would make a series per dataset; requests no pattern matched share one label."""
    from django.conf import settings

    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return match.route
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def observe_request(request, status: int, started: float) -> None:
    method = request.method if request.method in METHODS else "other"
    route = route_of(request)
    http_requests.labels(method, route, str(status)).inc()
    http_duration.labels(method, route).observe(time.perf_counter() - started)


class DatabaseCollector:
    """The figures Steward keeps in its database, counted at each scrape."""

    def collect(self):
        up = GaugeMetricFamily(
            "steward_database_up", "Whether the database answered this scrape (1) or not (0)."
        )
        try:
            families = list(_database_families())
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _database_families():
    from django_tasks_db.models import DBTaskResult

    from steward.access.models import AccessRequest, DownloadEvent
    from steward.storage.models import Upload

    downloads = CounterMetricFamily(
        "steward_downloads",
        "Downloads started (each one allowed by an access decision), by channel and file.",
        labels=["channel", "file"],
    )
    download_bytes = CounterMetricFamily(
        "steward_download_bytes",
        "Bytes of dataset files served, by channel and file (a download sent to S3 counts "
        "the whole file).",
        labels=["channel", "file"],
    )
    for row in (
        DownloadEvent.objects.order_by()
        .values("channel", "file__role")
        .annotate(count=Count("id"), served=Sum("bytes_served"))
    ):
        labels = [row["channel"], row["file__role"]]
        downloads.add_metric(labels, row["count"])
        download_bytes.add_metric(labels, row["served"] or 0)
    yield downloads
    yield download_bytes

    uploads = GaugeMetricFamily(
        "steward_uploads", "Uploads, by their status now.", labels=["status"]
    )
    by_status = dict(Upload.objects.order_by().values_list("status").annotate(count=Count("id")))
    for status in Upload.Status.values:
        uploads.add_metric([status], by_status.get(status, 0))
    yield uploads
    completed = Upload.objects.filter(status=Upload.Status.COMPLETED).aggregate(
        count=Count("id"), size=Sum("size_bytes")
    )
    uploaded = CounterMetricFamily("steward_uploads_completed", "Uploads completed and verified.")
    uploaded.add_metric([], completed["count"])
    yield uploaded
    uploaded_bytes = CounterMetricFamily(
        "steward_uploaded_bytes", "Bytes of the uploads completed and verified."
    )
    uploaded_bytes.add_metric([], completed["size"] or 0)
    yield uploaded_bytes

    requests = dict(
        AccessRequest.objects.order_by().values_list("status").annotate(count=Count("id"))
    )
    decisions = CounterMetricFamily(
        "steward_access_decisions",
        "Access requests decided, by outcome (by the terms at once, or by the organization).",
        labels=["outcome"],
    )
    for outcome in (AccessRequest.Status.APPROVED, AccessRequest.Status.DENIED):
        decisions.add_metric([outcome.value], requests.get(outcome, 0))
    yield decisions
    pending = GaugeMetricFamily(
        "steward_access_requests_pending", "Access requests waiting for the organization."
    )
    pending.add_metric([], requests.get(AccessRequest.Status.PENDING, 0))
    yield pending

    queue = DBTaskResult.objects.ready().aggregate(count=Count("id"), oldest=Min("enqueued_at"))
    depth = GaugeMetricFamily(
        "steward_task_queue_depth", "Background tasks ready to run and not started yet."
    )
    depth.add_metric([], queue["count"])
    yield depth
    age = GaugeMetricFamily(
        "steward_task_queue_oldest_age_seconds",
        "How long the oldest ready task has waited (0 when none waits); a growing value "
        "means no `steward worker` is taking tasks.",
    )
    age.add_metric([], (timezone.now() - queue["oldest"]).total_seconds() if queue["count"] else 0)
    yield age
    tasks = GaugeMetricFamily(
        "steward_tasks", "Background tasks kept in the queue's table, by status.", labels=["status"]
    )
    for status, count in (
        DBTaskResult.objects.order_by().values_list("status").annotate(count=Count("id"))
    ):
        tasks.add_metric([status.lower()], count)
    yield tasks


def render_metrics() -> tuple[bytes, str]:
    """The text exposition of every metric, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(http_requests)
        registry.register(http_duration)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
