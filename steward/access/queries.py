"""Reads that the pages and the API share: request queues and usage figures."""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    BigIntegerField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from steward.catalog.models import Dataset
from steward.licensing.engine import Purpose

from .models import AccessRequest, DownloadEvent, Grant


def requests_of(user) -> QuerySet:
    return AccessRequest.objects.filter(user=user).select_related(
        "dataset", "policy_version", "grant"
    )


def requests_for_dataset(dataset: Dataset) -> QuerySet:
    return AccessRequest.objects.filter(dataset=dataset).select_related(
        "dataset", "user", "policy_version", "grant"
    )


def requests_for_organization(organization) -> QuerySet:
    return AccessRequest.objects.filter(dataset__organization=organization).select_related(
        "dataset", "user", "policy_version", "grant"
    )


def status_counts(requests: QuerySet) -> dict[str, int]:
    counts = {status: 0 for status in AccessRequest.Status.values}
    for row in requests.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


# --- Usage figures: what the organization that owns a dataset sees of its use ---
#
# Everything is counted by the database (GROUP BY over a time bucket and a dimension); Python
# only folds the grouped rows, a few per bucket, into series. Downloaders are never named.

BUCKETS = {"month": TruncMonth, "week": TruncWeek, "day": TruncDate}
# More buckets than this is a mistake (days over decades), not a chart.
MAX_BUCKETS = 1000
PURPOSE_ORDER = [purpose.value for purpose in Purpose] + [""]  # "": no grant behind it
# Every status is shown, even at zero.
STATUS_ORDER = [
    AccessRequest.Status.APPROVED.value,
    AccessRequest.Status.PENDING.value,
    AccessRequest.Status.DENIED.value,
]
DOWNLOAD_COLUMNS = (
    "date",
    "version",
    "file",
    "channel",
    "purpose",
    "country",
    "organization_type",
    "bytes",
)
REQUEST_COLUMNS = (
    "date",
    "status",
    "purpose",
    "country",
    "organization_type",
    "organization_name",
    "organization_verified",
    "decided_at",
)
USAGE_COLUMNS = {"downloads": DOWNLOAD_COLUMNS, "requests": REQUEST_COLUMNS}


@dataclass(frozen=True)
class Bucket:
    """One bar of a series: the first day of its month, week (Monday) or day, and one
    count per key of the series."""

    start: date
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Series:
    """Counts over time, split by `keys` (purposes, countries or statuses); every bucket of
    the period is present, empty ones included."""

    bucket: str
    keys: tuple[str, ...]
    buckets: tuple[Bucket, ...]

    @property
    def max_total(self) -> int:
        return max((b.total for b in self.buckets), default=0)

    @property
    def total(self) -> int:
        return sum(b.total for b in self.buckets)


@dataclass(frozen=True)
class DownloadFigures:
    """Downloads of one purpose or country (`key`; "" for none declared), or all of them."""

    key: str
    sessions: int
    users: int
    bytes: int


@dataclass(frozen=True)
class Usage:
    since: datetime | None
    until: datetime | None
    bucket: str
    requests: dict[str, int]  # by status, every status present
    requests_by_purpose: dict[str, int]
    requests_by_country: dict[str, int]  # most requests first
    grants: dict[str, int]  # active, expired, revoked: grants made in the period, as they are now
    downloads: DownloadFigures
    downloads_by_purpose: list[DownloadFigures]
    downloads_by_country: list[DownloadFigures]  # most sessions first
    download_series: dict[str, Series]  # "purpose", "country"
    request_series: dict[str, Series]  # "status", "purpose", "country"

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())

    @property
    def grants_total(self) -> int:
        return sum(self.grants.values())


def _in_period(qs: QuerySet, since: datetime | None, until: datetime | None) -> QuerySet:
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by()


def _as_date(value: date | datetime) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def bucket_start(moment: datetime, bucket: str) -> date:
    """The first day of the bucket `moment` falls in, in the current time zone (as the
    database's Trunc functions see it)."""
    day = timezone.localtime(moment).date()
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day


def _next_bucket(start: date, bucket: str) -> date:
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if bucket == "week" else 1)


def _bucket_range(first: date, last: date, bucket: str) -> list[date]:
    starts = []
    while first <= last:
        starts.append(first)
        if len(starts) > MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} {bucket} buckets")
        first = _next_bucket(first, bucket)
    return starts


def _ordered_keys(totals: Counter, order: list[str] | None) -> tuple[str, ...]:
    """`order`'s keys that occur (all statuses, even those that do not), then any other key;
    without an order, the most frequent first."""
    if order is None:
        return tuple(sorted(totals, key=lambda key: (-totals[key], key)))
    known = [key for key in order if totals[key] or key in STATUS_ORDER]
    return tuple(known + sorted(key for key in totals if key not in order))


def _series(
    rows: list[dict], dimension: str, starts: list[date], bucket: str, order: list[str] | None
) -> Series:
    cells: dict[date, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for row in rows:
        cells[row["bucket"]][row[dimension]] += row["n"]
        totals[row[dimension]] += row["n"]
    keys = _ordered_keys(totals, order)
    return Series(
        bucket=bucket,
        keys=keys,
        buckets=tuple(Bucket(start, tuple(cells[start][key] for key in keys)) for start in starts),
    )


def usage_for(
    dataset: Dataset,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: str = "month",
    now: datetime | None = None,
) -> Usage:
    """Requests, grants and downloads of `dataset` made from `since` (inclusive) to `until`
    (exclusive), in totals, by purpose and country, and per `bucket` ("month", "week" or
    "day"). Six queries, however many rows."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, not {bucket!r}")
    now = now or timezone.now()
    period = BUCKETS[bucket]("created_at")

    downloads = _in_period(DownloadEvent.objects.filter(dataset=dataset), since, until)
    totals = downloads.aggregate(
        sessions=Count("id"),
        users=Count("user_id", distinct=True),
        bytes=Coalesce(Sum("bytes_served"), 0, output_field=BigIntegerField()),
    )
    download_rows = list(
        downloads.values("purpose", "country", bucket=period).annotate(
            n=Count("id"), bytes=Sum("bytes_served")
        )
    )
    users_by = {
        dimension: dict(
            downloads.values_list(dimension).annotate(users=Count("user_id", distinct=True))
        )
        for dimension in ("purpose", "country")
    }
    request_rows = list(
        _in_period(AccessRequest.objects.filter(dataset=dataset), since, until)
        .values("status", "purpose", "country", bucket=period)
        .annotate(n=Count("id"))
    )
    live = Q(revoked_at__isnull=True)
    grants = _in_period(Grant.objects.filter(dataset=dataset), since, until).aggregate(
        active=Count("id", filter=live & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))),
        expired=Count("id", filter=live & Q(expires_at__lte=now)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
    )

    for row in download_rows + request_rows:
        row["bucket"] = _as_date(row["bucket"])
    seen = [row["bucket"] for row in download_rows + request_rows]
    first = bucket_start(since, bucket) if since is not None else min(seen, default=None)
    last = bucket_start(until - timedelta(microseconds=1) if until else now, bucket)
    starts = [] if first is None else _bucket_range(first, max([last, *seen]), bucket)

    def figures(dimension: str, order: list[str] | None) -> list[DownloadFigures]:
        sessions: Counter = Counter()
        served: Counter = Counter()
        for row in download_rows:
            sessions[row[dimension]] += row["n"]
            served[row[dimension]] += row["bytes"] or 0
        return [
            DownloadFigures(key, sessions[key], users_by[dimension].get(key, 0), served[key])
            for key in _ordered_keys(sessions, order)
        ]

    def request_counts(dimension: str, order: list[str] | None) -> dict[str, int]:
        counts: Counter = Counter()
        for row in request_rows:
            counts[row[dimension]] += row["n"]
        return {key: counts[key] for key in _ordered_keys(counts, order)}

    return Usage(
        since=since,
        until=until,
        bucket=bucket,
        requests=request_counts("status", STATUS_ORDER),
        requests_by_purpose=request_counts("purpose", PURPOSE_ORDER),
        requests_by_country=request_counts("country", None),
        grants=grants,
        downloads=DownloadFigures("", totals["sessions"], totals["users"], totals["bytes"]),
        downloads_by_purpose=figures("purpose", PURPOSE_ORDER),
        downloads_by_country=figures("country", None),
        download_series={
            "purpose": _series(download_rows, "purpose", starts, bucket, PURPOSE_ORDER),
            "country": _series(download_rows, "country", starts, bucket, None),
        },
        request_series={
            "status": _series(request_rows, "status", starts, bucket, STATUS_ORDER),
            "purpose": _series(request_rows, "purpose", starts, bucket, PURPOSE_ORDER),
            "country": _series(request_rows, "country", starts, bucket, None),
        },
    )


def public_counts(dataset: Dataset) -> dict[str, int]:
    """What the dataset's public page tells everyone: how many grants were ever made, how
    many download sessions there were and by how many people."""
    downloads = (
        DownloadEvent.objects.filter(dataset=dataset)
        .order_by()
        .aggregate(downloads=Count("id"), users=Count("user_id", distinct=True))
    )
    return {"grants": Grant.objects.filter(dataset=dataset).count(), **downloads}


def usage_reports(dataset: Dataset, *, limit: int = 50) -> list[dict]:
    """What grant holders reported building with the data when they renewed, newest first:
    the report, its date, the purpose and the requester's organization name, nothing else."""
    return list(
        Grant.objects.filter(dataset=dataset)
        .exclude(usage_report="")
        .order_by(F("renewed_at").desc(nulls_last=True), "-id")
        .values(
            "usage_report",
            "purpose",
            "renewed_at",
            "created_at",
            organization_name=F("request__organization_name"),
        )[:limit]
    )


def _day(moment: datetime | None) -> str:
    return _as_date(moment).isoformat() if moment is not None else ""


def _download_rows(queryset: QuerySet) -> Iterator[tuple]:
    rows = queryset.order_by("created_at", "id").values_list(
        "created_at",
        "version__number",
        "file__role",
        "channel",
        "purpose",
        "country",
        "grant__organization_type",
        "bytes_served",
    )
    for created_at, *rest in rows.iterator(chunk_size=2000):
        yield (_day(created_at), *(value if value is not None else "" for value in rest))


def _request_rows(queryset: QuerySet) -> Iterator[tuple]:
    rows = queryset.order_by("created_at", "id").values_list(
        "created_at",
        "status",
        "purpose",
        "country",
        "organization_type",
        "organization_name",
        "organization_verified",
        "decided_at",
    )
    for created_at, *rest, decided_at in rows.iterator(chunk_size=2000):
        yield (_day(created_at), *rest, _day(decided_at))


def usage_rows(
    dataset: Dataset,
    kind: str = "downloads",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[tuple]:
    """One row per download ("downloads") or per access request ("requests") of `dataset`,
    oldest first, in the order of USAGE_COLUMNS[kind], read in chunks (for a CSV export).
    Who downloaded is left out: no user names or addresses, only what they declared."""
    if kind == "downloads":
        return _download_rows(
            _in_period(DownloadEvent.objects.filter(dataset=dataset), since, until)
        )
    if kind == "requests":
        return _request_rows(
            _in_period(AccessRequest.objects.filter(dataset=dataset), since, until)
        )
    raise ValueError(f"kind must be one of {', '.join(USAGE_COLUMNS)}, not {kind!r}")


def _per_dataset(queryset: QuerySet, value) -> Coalesce:
    """`value` aggregated over `queryset`'s rows of each dataset, as a subquery (0 if none)."""
    rows = (
        queryset.filter(dataset=OuterRef("pk"))
        .order_by()
        .values("dataset")
        .annotate(value=value)
        .values("value")
    )
    return Coalesce(Subquery(rows[:1]), 0, output_field=BigIntegerField())


def organization_usage(organization, *, now: datetime | None = None) -> list[Dataset]:
    """Every dataset of `organization` (taken down ones too), by name, each annotated with
    all-time `downloads`, `users`, `bytes`, `recent_downloads` (last 30 days),
    `active_grants`, `requests` and `pending_requests`. One query."""
    now = now or timezone.now()
    events = DownloadEvent.objects.all()
    return list(
        Dataset.objects.filter(organization=organization)
        .annotate(
            downloads=_per_dataset(events, Count("id")),
            users=_per_dataset(events, Count("user_id", distinct=True)),
            bytes=_per_dataset(events, Sum("bytes_served")),
            recent_downloads=_per_dataset(
                events.filter(created_at__gte=now - timedelta(days=30)), Count("id")
            ),
            active_grants=_per_dataset(Grant.objects.active(now), Count("id")),
            requests=_per_dataset(AccessRequest.objects.all(), Count("id")),
            pending_requests=_per_dataset(
                AccessRequest.objects.filter(status=AccessRequest.Status.PENDING), Count("id")
            ),
        )
        .order_by("name", "id")
    )


def organization_download_totals(organization) -> DownloadFigures:
    """All downloads of the organization's datasets: sessions, distinct people, bytes."""
    totals = (
        DownloadEvent.objects.filter(organization_id=organization.pk)
        .order_by()
        .aggregate(
            sessions=Count("id"),
            users=Count("user_id", distinct=True),
            bytes=Coalesce(Sum("bytes_served"), 0, output_field=BigIntegerField()),
        )
    )
    return DownloadFigures("", totals["sessions"], totals["users"], totals["bytes"])
