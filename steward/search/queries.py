"""Finding datasets for what a person asked (catalog.understanding.Request): structured
filters first, then full-text ranking of their remaining words, then each dataset's terms
for this person from the policy engine.

Only the public catalogue is searched (published, not private), whoever asks.
"""

import bisect
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import langcodes
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from steward.catalog.languages import countries_in, languages_spoken_in, territories_of
from steward.catalog.models import Dataset
from steward.catalog.queries import catalogued_languages
from steward.catalog.services import facet_token
from steward.catalog.understanding import RELATED_TASKS, Request
from steward.lib.text import words as words_of
from steward.licensing import engine
from steward.licensing.document import PolicyError, policy_from_stored
from steward.licensing.models import PolicyVersion
from steward.payments.pricing import quote

# Datasets considered per question: enough to rank well, few enough to answer quickly.
CANDIDATES = 400
TEXT_MATCHES = 1000

# What a person would need to do to use a dataset.
DOWNLOAD, REQUEST, PAY, UNAVAILABLE = "download", "request", "pay", "unavailable"
# Denials that only mean the person has not said something yet.
# Verification too: it is decided when someone asks, from their email and website.
UNSAID = {
    "country_required",
    "purpose_required",
    "organization_type_required",
    "verification_required",
}


@dataclass
class Access:
    action: str
    decision: engine.Decision | None
    price_cents: int  # what this person would pay in all (base price plus fee), 0 if free
    currency: str


@dataclass
class Match:
    dataset: Dataset
    access: Access
    score: float
    matched_words: tuple[str, ...]
    # Set when the dataset is offered as the nearest to what was asked, not as a match.
    nearest: str = ""  # "other_task", "related_language", "related_task"


def wanted_languages(request: Request) -> dict[str, float]:
    """The languages asked for, each with a weight: 1 for a language named, its share of
    speakers there for one that a place stands for ("Cameroonian languages")."""
    named = list(request.languages) + [tag.split("-")[0] for tag in request.locales]
    if named:
        return dict.fromkeys(named, 1.0)
    wanted: dict[str, float] = {}
    for place in request.places:
        for spoken in languages_spoken_in(place):
            wanted[spoken.code] = max(wanted.get(spoken.code, 0.0), spoken.share)
    return wanted


def _filtered(request: Request, languages, tasks) -> QuerySet:
    qs = Dataset.objects.listed()
    if languages:
        qs = qs.filter(language__code__in=list(languages))
    if tasks:
        qs = qs.filter(task__in=list(tasks))
    if request.free:
        qs = qs.filter(is_paid=False)
    if request.max_price_cents is not None:
        # The fee comes on top; the exact total is checked against each dataset's terms.
        qs = qs.filter(Q(is_paid=False) | Q(base_price_cents__lte=request.max_price_cents))
    if request.formats:
        condition = Q()
        for name in request.formats:
            condition |= Q(format__icontains=name)
        qs = qs.filter(condition)
    if request.min_size_bytes is not None:
        qs = qs.filter(size_bytes__gte=request.min_size_bytes)
    if request.max_size_bytes is not None:
        qs = qs.filter(size_bytes__lte=request.max_size_bytes)
    if request.with_sample:
        qs = qs.filter(has_sample=True)
    return qs


def _terms(words: tuple[str, ...]) -> list[str]:
    return [w for w in words if w.replace("_", "").isalnum()][:12]


def _text_matches(words: tuple[str, ...]) -> list[int]:
    """Ids of datasets with any of the words, best first (bm25 / ts_rank)."""
    terms = _terms(words)
    if not terms:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = " | ".join(f"{t}:*" for t in terms)
            cursor.execute(
                "SELECT id FROM catalog_dataset WHERE status = 'published'"
                " AND visibility <> 'private' AND to_tsvector('simple'::regconfig,"
                " search_document) @@ to_tsquery('simple'::regconfig, %s)"
                " ORDER BY ts_rank(to_tsvector('simple'::regconfig, search_document),"
                " to_tsquery('simple'::regconfig, %s)) DESC LIMIT %s",
                [query, query, TEXT_MATCHES],
            )
        else:
            match = " OR ".join(f'"{t}"*' for t in terms)
            cursor.execute(
                "SELECT rowid FROM catalog_dataset_fts WHERE catalog_dataset_fts MATCH %s"
                " ORDER BY rank LIMIT %s",
                [
                    f"search_document : ({match}) AND search_facets : "
                    + facet_token("listed", "yes"),
                    TEXT_MATCHES,
                ],
            )
        return [row[0] for row in cursor.fetchall()]


def _with_any_word(qs: QuerySet, words: tuple[str, ...]) -> QuerySet:
    """The datasets of `qs` with any of the words (unranked: the caller scores them)."""
    terms = _terms(words)
    if not terms:
        return qs.none()
    if connection.vendor == "postgresql":
        return qs.filter(
            RawSQL(
                "to_tsvector('simple'::regconfig, catalog_dataset.search_document)"
                " @@ to_tsquery('simple'::regconfig, %s)",
                [" | ".join(f"{t}:*" for t in terms)],
                output_field=BooleanField(),
            )
        )
    match = " OR ".join(f'"{t}"*' for t in terms)
    return qs.filter(
        id__in=RawSQL(
            "SELECT rowid FROM catalog_dataset_fts WHERE catalog_dataset_fts MATCH %s",
            [f"search_document : ({match})"],
        )
    )


_FIELDS = [
    "public_id", "slug", "name", "short_description", "long_description", "locale", "task",
    "format", "license_abbreviation", "license_name", "visibility", "is_paid",
    "base_price_cents", "currency", "size_bytes", "has_sample", "published_at", "status",
    "usage_policy__current__created_at", "organization__name", "organization__slug",
    "language__code", "language__name", "language__autonym",
]  # fmt: skip


def is_constrained(request: Request) -> bool:
    return bool(
        request.formats
        or request.free
        or request.with_sample
        or request.max_price_cents is not None
        or request.min_size_bytes is not None
        or request.max_size_bytes is not None
    )


def _candidates(request: Request, languages, tasks) -> list[Dataset]:
    qs = _filtered(request, languages, tasks)
    ids: list[int] = []
    narrowed = bool(languages or tasks or is_constrained(request))
    if request.words and narrowed:
        # Within what the filters allow, any dataset with one of the words is a candidate;
        # the scoring below tells them apart.
        texts = _with_any_word(qs, request.words).order_by("-published_at", "-id")
        ids = list(texts.values_list("id", flat=True)[:CANDIDATES])
    elif request.words:
        ids = _text_matches(request.words)[:CANDIDATES]
    if narrowed:
        newest = qs.order_by("-published_at", "-id").values_list("id", flat=True)
        seen = set(ids)
        ids += [i for i in newest[:CANDIDATES] if i not in seen]
    rows = (
        Dataset.objects.listed()
        .filter(id__in=ids)
        .select_related("organization", "language", "usage_policy__current")
        .only(*_FIELDS)
    )
    return list(rows)


# Terms by policy version: a version never changes, so a parsed one stays true. Keyed by id
# and creation time, since a database restored or rolled back may give an id out again.
_TERMS: dict[tuple[int, object], engine.Policy] = {}
_TERMS_KEPT = 20_000


def _version_key(dataset: Dataset) -> tuple[int, object] | None:
    version = dataset.usage_policy.current if dataset.usage_policy_id else None
    return (version.id, version.created_at) if version is not None else None


def _policies(datasets: list[Dataset]) -> dict[tuple[int, object], engine.Policy]:
    """Each dataset's terms in force, by _version_key."""
    keys = {_version_key(d) for d in datasets} - {None}
    found = {key: terms for key in keys if (terms := _TERMS.get(key)) is not None}
    missing = {key[0]: key for key in keys - set(found)}
    if len(_TERMS) + len(missing) > _TERMS_KEPT:
        _TERMS.clear()
    for version_id, document in PolicyVersion.objects.filter(id__in=missing).values_list(
        "id", "document"
    ):
        try:
            found[missing[version_id]] = policy_from_stored(document)
        except PolicyError:
            continue
        _TERMS[missing[version_id]] = found[missing[version_id]]
    return found


def requester_for(request: Request, context: dict) -> engine.Requester:
    """The engine's view of who asks: what the conversation says, else the context."""
    purpose = request.purpose or context.get("purpose") or None
    kind = request.organization_type or context.get("organization_type") or None
    return engine.Requester(
        country=request.country or context.get("country") or None,
        purpose=engine.Purpose(purpose) if purpose else None,
        organization_type=engine.OrganizationType(kind) if kind else None,
    )


def access_for(terms: engine.Policy | None, requester: engine.Requester) -> Access:
    """What this requester would need to do under these terms."""
    if terms is None:
        return Access(UNAVAILABLE, None, 0, "usd")
    rate = Decimal(settings.STEWARD_PLATFORM_FEE_RATE)
    decision = engine.decide(terms, requester, fee_rate=rate)
    base = terms.price_for(requester)
    total = quote(base, terms.currency, rate).total_price_cents if base else 0
    codes = {reason.code for reason in decision.reasons}
    if decision.outcome == engine.Outcome.DENIED and not codes <= UNSAID:
        action = UNAVAILABLE
    elif terms.is_open and decision.outcome == engine.Outcome.ALLOWED:
        action = DOWNLOAD
    else:
        # Terms that are not open need a grant first, however it is decided; a price is
        # paid once the request is approved (access.services.decide_download).
        action = REQUEST
    return Access(action, decision, total, terms.currency)


def _rules_out(access: Access, request: Request, requester: engine.Requester) -> bool:
    """Whether the terms break something the person asked for: their stated use, or a price
    they said they would not go above. Being outside a country the terms allow does not rule
    a dataset out: the answer says so instead."""
    if access.decision is None:
        return True
    if access.action == UNAVAILABLE and requester.purpose is not None:
        codes = {reason.code for reason in access.decision.reasons}
        if codes - {"country_not_allowed", "country_required", "verification_required"}:
            return True
    if request.max_price_cents is not None and access.price_cents > request.max_price_cents:
        return True
    return request.free and access.price_cents > 0


_ACTION_BONUS = {DOWNLOAD: 0.3, REQUEST: 0.2, PAY: 0.1, UNAVAILABLE: -2.0}


def _word_score(dataset: Dataset, request: Request) -> tuple[float, tuple[str, ...]]:
    if not request.words:
        return 0.0, ()
    name = sorted(set(words_of(dataset.name)))
    short = sorted(set(words_of(dataset.short_description)))
    long = sorted(set(words_of(dataset.long_description[:2000])))
    score = 0.0
    matched = []
    for word in request.words:
        weight = 1.5 if word in request.recent_words else 1.0

        def has(vocabulary: list[str], word=word) -> bool:
            at = bisect.bisect_left(vocabulary, word)
            return at < len(vocabulary) and vocabulary[at].startswith(word)

        if has(name):
            score += 3 * weight
        elif has(short):
            score += 1.5 * weight
        elif has(long):
            score += 1 * weight
        else:
            continue
        matched.append(word)
    return score / (3 * len(request.words)), tuple(matched)


def _enough(matched: tuple[str, ...], request: Request) -> bool:
    """With nothing but words to go on, a dataset must match at least half of them: one
    common word in a long message is not what the person asked for."""
    if not request.words:
        return True
    return len(matched) * 2 >= len(request.words)


def _place_bonus(dataset: Dataset, request: Request) -> float:
    """A named language as spoken in the place asked for ("Swahili from Kenya")."""
    if request.locales:
        return 0.5 if dataset.locale in request.locales else 0.0
    if request.languages and request.places:
        region = dataset.locale.rsplit("-", 1)[-1] if "-" in dataset.locale else ""
        return 0.5 if any(region in countries_in(p) for p in request.places) else 0.0
    return 0.0


def find_datasets(
    request: Request, *, context: dict, limit: int = 5, semantic=None
) -> tuple[list[Match], int]:
    """The datasets that fit the request, best first, and how many more fit it except for
    their terms (which rule out the person's stated use or price)."""
    languages = wanted_languages(request)
    return _ranked(request, context, languages, request.tasks, limit, semantic)


def _ranked(request, context, languages, tasks, limit, semantic, nearest=""):
    requester = requester_for(request, context)
    candidates = _candidates(request, languages, tasks)
    policies = _policies(candidates)
    matches: list[Match] = []
    ruled_out = 0
    for dataset in candidates:
        access = access_for(policies.get(_version_key(dataset)), requester)
        if _rules_out(access, request, requester):
            ruled_out += 1
            continue
        text, matched = _word_score(dataset, request)
        if not (languages or tasks) and not _enough(matched, request):
            continue
        score = 2.0 * text + _ACTION_BONUS[access.action] + _place_bonus(dataset, request)
        if request.places or nearest == "related_language":
            score += languages.get(dataset.language.code, 0.0)
        score += 0.05 if dataset.has_sample else 0.0
        matches.append(Match(dataset, access, score, matched, nearest))
    matches = _pairs_first(matches, request)
    if semantic is not None and matches:
        texts = [f"{m.dataset.name}. {m.dataset.short_description}" for m in matches]
        for match, similarity in zip(matches, semantic(texts), strict=True):
            match.score += similarity
    newest_first = sorted(matches, key=lambda m: (m.dataset.published_at, m.dataset.id))
    newest_first.reverse()
    best = sorted(newest_first, key=lambda m: -m.score)
    return best[:limit], ruled_out


def _pairs_first(matches: list[Match], request: Request) -> list[Match]:
    """For translation between languages named together ("Guarani–Spanish"), the datasets
    of one that mention another, when there are any: a Spanish–English corpus is not it."""
    named = set(request.languages)
    if "MT" not in request.tasks or len(named) < 2:
        return matches
    paired = [m for m in matches if _mentions(m.dataset, named - {m.dataset.language.code})]
    return paired or matches


def _mentions(dataset: Dataset, codes: set[str]) -> bool:
    text = set(words_of(f"{dataset.name} {dataset.short_description} {dataset.long_description}"))
    for code in codes:
        language = langcodes.Language.get(code)
        for name in (language.display_name("en"), language.autonym()):
            if set(words_of(name)) <= text:
                return True
    return False


def find_nearest(request: Request, *, context: dict, limit: int = 5) -> list[Match]:
    """When nothing fits: the same language for another task, then related languages for
    the same task, then related tasks."""
    languages = wanted_languages(request)
    found: list[Match] = []
    seen: set[int] = set()

    def add(matches: list[Match]) -> None:
        for match in matches:
            if match.dataset.id not in seen and len(found) < limit:
                seen.add(match.dataset.id)
                found.append(match)

    loose = Request(**{**request.__dict__, "words": (), "recent_words": ()})
    if languages and request.tasks:
        add(_ranked(loose, context, languages, (), limit, None, "other_task")[0])
    if languages:
        related = related_languages(tuple(languages))
        if related:
            # Closer kin first.
            weights = {code: 1.0 - rank / len(related) for rank, code in enumerate(related)}
            add(_ranked(loose, context, weights, request.tasks, limit, None, "related_language")[0])
    if request.tasks:
        similar = tuple(t for task in request.tasks for t in RELATED_TASKS.get(task, ()))
        if similar:
            add(_ranked(loose, context, languages, similar, limit, None, "related_task")[0])
    return found


# langcodes' distance between languages (CLDR's language matching): below this they are
# close kin or mutually intelligible (Dari and Persian, Malay and Indonesian).
CLOSE_LANGUAGES = 40
# A language spoken in the same country counts as related only if that country is home to
# at least this share of its speakers (Ewondo for Bulu; not English for Chinese).
LOCAL_SHARE = 0.25


def related_languages(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Languages of the catalogue near these: close kin first, then languages particular
    to the countries where these are spoken."""
    return _related(codes, catalogued_languages())


@lru_cache(maxsize=1024)
def _related(codes: tuple[str, ...], catalogued: frozenset[str]) -> tuple[str, ...]:
    related: dict[str, float] = {}
    for candidate in catalogued - set(codes):
        # Both ways: CLDR also lists one-way fallbacks (a Swahili speaker may read English).
        distance = min(
            max(langcodes.tag_distance(code, candidate), langcodes.tag_distance(candidate, code))
            for code in codes
        )
        if distance < CLOSE_LANGUAGES:
            related[candidate] = 2.0 - distance / 100
    for code in codes:
        for country in territories_of(code)[:3]:
            for spoken in languages_spoken_in(country):
                local = spoken.share >= LOCAL_SHARE and spoken.code in catalogued
                if local and spoken.code not in codes:
                    related[spoken.code] = max(related.get(spoken.code, 0.0), spoken.share)
    return tuple(sorted(related, key=lambda c: -related[c]))
