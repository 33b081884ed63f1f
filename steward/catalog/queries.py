"""Catalogue reads shared by the pages and the API: search, filters, one dataset."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Count, F, Max, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.lib.errors import DomainError, Gone, NotFound
from steward.lib.text import words

from .languages import InvalidLocale, language_info, normalize_locale
from .models import Dataset, Language, Task
from .services import facet_token
from .understanding import phrases

DEFAULT_LIMIT = 24
MAX_LIMIT = 100
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 200
_TASK_SHAPE = re.compile(r"^[A-Za-z/]+$")
_LOCALE_SHAPE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
SORTS = {"relevance", "newest", "size", "name"}
UPLOAD_DATES = {"today": 1, "thisWeek": 7, "thisMonth": 31, "thisYear": 366}


class QueryError(DomainError):
    """A search parameter that does not parse. Codes: invalid_parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}", code="invalid_parameter", field=parameter)


@dataclass
class DatasetQuery:
    q: str = ""
    tasks: list[str] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    pricing: str = ""  # "", "free", "compensated"
    has_sample: bool = False
    upload_date: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def _positive_int(params: QueryDict, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(name, _("%(raw)r is not a whole number") % {"raw": raw}) from None
    if not 1 <= value <= maximum:
        raise QueryError(
            name,
            _("must be between 1 and %(maximum)s, not %(value)s")
            % {"maximum": maximum, "value": value},
        )
    return value


def _values(params: QueryDict, name: str) -> list[str]:
    """A repeated parameter; comma-separated values are accepted too."""
    out: list[str] = []
    for raw in params.getlist(name):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def parse_dataset_query(params: QueryDict) -> DatasetQuery:
    """Read the MDC list parameters; anything that does not parse raises QueryError."""
    query = DatasetQuery()
    query.q = " ".join(params.get("q", "").split())
    if len(query.q) > MAX_QUERY_LENGTH:
        raise QueryError(
            "q",
            _("is longer than %(max_query_length)s characters")
            % {"max_query_length": MAX_QUERY_LENGTH},
        )
    query.limit = _positive_int(params, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    query.page = _positive_int(params, "page", 1, MAX_PAGE)
    # A well-formed value that no dataset carries matches nothing (as MDC does);
    # only a value that cannot be a task or a language tag at all is an error.
    for task in _values(params, "task"):
        if len(task) > 10 or not _TASK_SHAPE.match(task):
            raise QueryError(
                "task",
                _("%(task)r is not a task (one of %(values)s)")
                % {"task": task, "values": ", ".join(Task.values)},
            )
        query.tasks.append(task.upper())
    for locale in _values(params, "locale"):
        try:
            query.locales.append(normalize_locale(locale))
        except InvalidLocale as exc:
            if not _LOCALE_SHAPE.match(locale):
                raise QueryError("locale", str(exc)) from None
            query.locales.append(locale.lower())
    query.licenses = _values(params, "license")
    query.formats = [v.upper() for v in _values(params, "format")]
    query.organizations = [v.lower() for v in _values(params, "organization")]
    pricing = params.get("pricing", "")
    if pricing not in ("", "free", "compensated"):
        raise QueryError(
            "pricing", _("%(pricing)r is not 'free' or 'compensated'") % {"pricing": pricing}
        )
    query.pricing = pricing
    query.has_sample = params.get("sample", "") not in ("", "false", "0")
    upload_date = params.get("uploadDate", "")
    if upload_date and upload_date not in UPLOAD_DATES:
        raise QueryError(
            "uploadDate",
            _("%(upload_date)r is not one of %(values)s")
            % {"upload_date": upload_date, "values": ", ".join(UPLOAD_DATES)},
        )
    query.upload_date = upload_date
    sort = params.get("sort", "")
    if sort and sort not in SORTS:
        raise QueryError(
            "sort",
            _("%(sort)r is not one of %(values)s")
            % {"sort": sort, "values": ", ".join(sorted(SORTS))},
        )
    query.sort = sort or ("relevance" if query.q else "newest")
    direction = params.get("sortDirection", "")
    if direction not in ("", "asc", "desc"):
        raise QueryError(
            "sortDirection", _("%(direction)r is not 'asc' or 'desc'") % {"direction": direction}
        )
    query.descending = direction != "asc" if direction else query.sort != "name"
    return query


# Relevance is computed when a search matches at most this many datasets; beyond that the
# words do not tell the matches apart and scoring them all would cost more than it tells,
# so the newest come first.
RANK_LIMIT = 300


# A search is a list of groups that must all match; a group matches when any of its
# alternatives does; an alternative is words that must all appear, each as a prefix (True)
# or whole (False). Plain words are groups of one; a language or task the words name
# ("Kiswahili", "reconnaissance vocale") may also be found by its code ("swa", "asr").
Term = tuple[str, bool]
Group = list[tuple[Term, ...]]
MAX_WORDS = 12


def search_groups(q: str) -> list[Group]:
    """The groups of a catalogue search for the text `q`. Rarer languages are not looked
    for by their other names: their own name is in the documents already."""
    groups: list[Group] = []
    budget = MAX_WORDS
    for phrase in phrases(q):
        plain = tuple((word, True) for word in words(phrase.text))[:budget]
        budget -= len(plain)
        codes = []
        for kind, value in phrase.meanings:
            if kind == "language" and (info := language_info(value)):
                codes.append(((info.iso639_3, False),))
            elif kind == "task" and value.isalpha():
                codes.append(((value.lower(), False),))
        if codes and plain:
            groups.append([plain, *codes])
        else:
            groups.extend([(term,)] for term in plain)
        if budget <= 0:
            break
    return groups


def _tsquery(groups: list[Group]) -> str:
    def alternative(terms: tuple[Term, ...]) -> str:
        return "(" + " & ".join(f"{t}:*" if prefix else t for t, prefix in terms) + ")"

    return " & ".join("(" + " | ".join(map(alternative, group)) + ")" for group in groups)


def _fts_words(groups: list[Group]) -> str:
    def alternative(terms: tuple[Term, ...]) -> str:
        return "(" + " AND ".join(f'"{t}"*' if prefix else f'"{t}"' for t, prefix in terms) + ")"

    return " AND ".join("(" + " OR ".join(map(alternative, group)) + ")" for group in groups)


def _fts_match(query: DatasetQuery, groups: list[Group]) -> str:
    """The FTS5 query for the search words (if any) and every equality filter (SQLite).

    Words must all appear in the document, as word prefixes; each filter is an OR of the
    facet words of its values. Words are \\w+ runs quoted as phrases, so user text never
    reaches the query syntax as syntax."""
    parts = []
    if groups:
        parts.append(f"search_document : ({_fts_words(groups)})")
    groups = [[facet_token("listed", "yes")]]
    if query.tasks:
        groups.append([facet_token("task", t) for t in query.tasks])
    if query.locales:
        groups.append([facet_token("loc" if "-" in v else "lang", v) for v in query.locales])
    if query.licenses:
        groups.append([facet_token("lic", v) for v in query.licenses])
    if query.formats:
        groups.append([facet_token("fmt", v) for v in query.formats])
    if query.organizations:
        groups.append([facet_token("org", v) for v in query.organizations])
    if query.pricing:
        groups.append([facet_token("paid", "yes" if query.pricing == "compensated" else "no")])
    if query.has_sample:
        groups.append([facet_token("sample", "yes")])
    parts += ["search_facets : (" + " OR ".join(group) + ")" for group in groups]
    return " AND ".join(parts)


def filter_datasets(query: DatasetQuery, base: QuerySet | None = None) -> QuerySet:
    """The matching datasets as a QuerySet (any database, any filter)."""
    qs = Dataset.objects.listed() if base is None else base
    groups = search_groups(query.q)
    if groups and connection.vendor == "postgresql":
        document = "to_tsvector('simple'::regconfig, catalog_dataset.search_document)"
        condition = RawSQL(
            f"{document} @@ to_tsquery('simple'::regconfig, %s)",
            [_tsquery(groups)],
            output_field=BooleanField(),
        )
        rank = RawSQL(
            f"ts_rank({document}, to_tsquery('simple'::regconfig, %s))", [_tsquery(groups)]
        )
        qs = qs.filter(condition).annotate(rank=rank)
    elif groups:
        # The subquery runs the MATCH once; each match is then reached by primary key.
        qs = qs.filter(
            id__in=RawSQL(
                "SELECT rowid FROM catalog_dataset_fts WHERE catalog_dataset_fts MATCH %s",
                [f"search_document : ({_fts_words(groups)})"],
            )
        )
    if query.tasks:
        qs = qs.filter(task__in=query.tasks)
    if query.locales:
        # A bare language ("sw") matches every locale of it; "sw-KE" only itself.
        condition = Q()
        for locale in query.locales:
            condition |= Q(language__code=locale) if "-" not in locale else Q(locale=locale)
        qs = qs.filter(condition)
    if query.licenses:
        qs = qs.filter(license_abbreviation__in=query.licenses)
    if query.formats:
        qs = qs.filter(format__in=query.formats)
    if query.organizations:
        qs = qs.filter(organization__slug__in=query.organizations)
    if query.pricing:
        qs = qs.filter(is_paid=query.pricing == "compensated")
    if query.has_sample:
        qs = qs.filter(has_sample=True)
    if query.upload_date:
        qs = qs.filter(
            published_at__gte=timezone.now() - timedelta(days=UPLOAD_DATES[query.upload_date])
        )
    return qs


def _ordered(qs: QuerySet, query: DatasetQuery, total: int) -> QuerySet:
    desc = query.descending
    if query.sort == "relevance" and search_groups(query.q):
        if total <= RANK_LIMIT and connection.vendor == "postgresql":
            return qs.order_by("-rank" if desc else "rank", "-id")
        return qs.order_by("-id" if desc else "id")
    if query.sort == "size":
        size = (
            F("size_bytes").desc(nulls_last=True) if desc else F("size_bytes").asc(nulls_last=True)
        )
        return qs.order_by(size, "-id")
    if query.sort == "name":
        return qs.order_by("-name" if desc else "name", "id")
    return qs.order_by("-published_at" if desc else "published_at", "-id" if desc else "id")


@dataclass
class SearchResult:
    items: list[Dataset]
    total: int
    query: DatasetQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.limit))


# The columns a listing shows; long texts and the search columns stay in the database.
LISTING_FIELDS = [
    "public_id", "slug", "name", "short_description", "long_description", "size_bytes",
    "checksum", "created_at", "published_at", "locale", "task", "format",
    "license_abbreviation", "license_name", "visibility", "is_paid", "base_price_cents",
    "currency", "filename", "has_sample", "status",
    "organization__name", "organization__slug",
    "language__code", "language__name", "language__autonym", "current_version__number",
]  # fmt: skip


def _rows(ids: list[int]) -> list[Dataset]:
    """The datasets with these ids, in this order, ready for listing."""
    rows = (
        Dataset.objects.filter(id__in=ids)
        .select_related("organization", "language", "current_version")
        .only(*LISTING_FIELDS)
    )
    by_id = {d.id: d for d in rows}
    return [by_id[i] for i in ids if i in by_id]


def _count_from_index(match: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalog_dataset_fts WHERE catalog_dataset_fts MATCH %s", [match]
        )
        return cursor.fetchone()[0]


def _ranked_from_index(match: str, query: DatasetQuery, total: int) -> list[int]:
    """One page of ids, best match first, from SQLite's full-text index alone."""
    if total <= RANK_LIMIT:
        order = "rank" if query.descending else "rank DESC"
    else:
        order = "rowid DESC" if query.descending else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM catalog_dataset_fts WHERE catalog_dataset_fts MATCH %s"
            f" ORDER BY {order} LIMIT %s OFFSET %s",
            [match, query.limit, query.offset],
        )
        return [row[0] for row in cursor.fetchall()]


def search_datasets(query: DatasetQuery, base: QuerySet | None = None) -> SearchResult:
    """One page of matching datasets, best first, with the total across all pages.

    On SQLite the total of a catalogue search comes from the full-text index, which holds
    the filter values too, so counting costs the same for any filter; a ranked page comes
    from it as well. Other orders walk the column indexes, which stop after one page."""
    groups = search_groups(query.q)
    from_index = connection.vendor == "sqlite" and base is None and not query.upload_date
    qs = filter_datasets(query, base)
    match = _fts_match(query, groups) if from_index else ""
    total = _count_from_index(match) if from_index else qs.count()
    ids: list[int] = []
    if query.offset < total:
        if from_index and groups and query.sort == "relevance":
            ids = _ranked_from_index(match, query, total)
        else:
            page = _ordered(qs, query, total).values_list("id", flat=True)
            ids = list(page[query.offset : query.offset + query.limit])
    return SearchResult(items=_rows(ids), total=total, query=query)


def catalogue_generation() -> str:
    """A value that changes whenever any dataset is added or changed (two index lookups).

    Every change to a dataset goes through a service that saves it, which moves
    `updated_at`; new datasets also move the highest id."""
    # Two queries on purpose: SQLite answers a lone max() from an index, two in one by a scan.
    changed = Dataset.objects.aggregate(value=Max("updated_at"))["value"]
    newest = Dataset.objects.aggregate(value=Max("id"))["value"]
    return f"{changed}|{newest}"


_catalogued: tuple[str, frozenset[str]] = ("", frozenset())


def catalogued_languages() -> frozenset[str]:
    """The codes of the languages the public catalogue has datasets in (kept per process
    for as long as the catalogue does not change)."""
    global _catalogued
    generation = catalogue_generation()
    known_generation, codes = _catalogued
    if known_generation != generation:
        listed = Dataset.objects.listed().order_by()
        codes = frozenset(listed.values_list("language__code", flat=True).distinct())
        # One assignment: other threads see the old pair or the new one, never half.
        _catalogued = (generation, codes)
    return codes


def list_filter_values() -> dict[str, list[str]]:
    """The values some listed dataset carries, for each filter (tasks: the whole vocabulary)."""
    listed = Dataset.objects.listed()

    def distinct(column: str) -> list[str]:
        return sorted(v for v in listed.order_by().values_list(column, flat=True).distinct() if v)

    return {
        "tasks": list(Task.values),
        "locales": distinct("locale"),
        "licenses": distinct("license_abbreviation"),
        "formats": distinct("format"),
    }


def _find_dataset(id_or_slug: str) -> Dataset:
    value = id_or_slug.strip()
    if not value or len(value) > 120:
        raise NotFound(_("Dataset not found"))
    dataset = (
        Dataset.objects.select_related("organization", "language", "current_version")
        .filter(Q(public_id=value) | Q(slug=value.lower()))
        .first()
    )
    if dataset is None:
        raise NotFound(_("Dataset not found"))
    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")
    return dataset


def _is_member(user, dataset: Dataset) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and dataset.organization.memberships.filter(user=user).exists()
    )


def get_dataset_for(user, id_or_slug: str) -> Dataset:
    """A dataset by public id or slug, if `user` may see it; 404 otherwise, 410 when removed.

    Private datasets are shown only to members of their organization."""
    dataset = _find_dataset(id_or_slug)
    if dataset.visibility == "private" and not _is_member(user, dataset):
        raise NotFound(_("Dataset not found"))
    return dataset


def get_api_dataset_for(user, id_or_slug: str) -> tuple[Dataset, bool]:
    """A dataset as the MDC API addresses it, and whether `user` may see all of it.

    Like get_dataset_for, except that a private dataset asked for by its public id is
    returned to anyone, marked not visible: the SDK reads the details anonymously before
    every download, so a member could not download otherwise. Whoever holds the id learns
    only what the download needs (archive name, size, checksum); by slug it stays a 404."""
    dataset = _find_dataset(id_or_slug)
    if dataset.visibility != "private" or _is_member(user, dataset):
        return dataset, True
    if id_or_slug.strip() != dataset.public_id:
        raise NotFound(_("Dataset not found"))
    return dataset, False


def archive_filename(dataset: Dataset) -> str | None:
    """The archive's file name as the API reports it (details and download sessions agree).

    A private dataset's archive is named after its public id, since the name its
    organization gave it may say what the dataset is."""
    if not dataset.filename:
        return None
    if dataset.visibility != "private":
        return dataset.filename
    extension = ".tgz" if dataset.filename.endswith(".tgz") else ".tar.gz"
    return f"{dataset.public_id}{extension}"


def list_languages_with_datasets() -> QuerySet:
    """Languages that have listed datasets, each annotated with `dataset_count`."""
    listed = Q(datasets__status=Dataset.Status.PUBLISHED) & ~Q(datasets__visibility="private")
    return (
        Language.objects.annotate(dataset_count=Count("datasets", filter=listed))
        .filter(dataset_count__gt=0)
        .order_by("name")
    )


def catalogue_counts() -> dict[str, int]:
    listed = Dataset.objects.listed()
    return {
        "datasets": listed.count(),
        "languages": listed.order_by().values("language_id").distinct().count(),
        "organizations": listed.order_by().values("organization_id").distinct().count(),
    }
