"""Usage-policy benchmark: how long one `licensing.engine.decide` call takes, and what the
access check adds to a download session request.

What it measures:

1. Decisions. Builds a mix of realistic policies (open CC-BY, research-only, non-commercial
   licences, NOODL-1.0 with free use in Africa, tiered prices, allow- and deny-lists of
   countries and regions, manual approval, Local Contexts style rules, verification) and of
   requesters (countries weighted towards where users are, every purpose and organization
   type, some facts left out, some members, grants and payments), deterministically
   (random.Random(seed)). Then times `decide` one call at a time with
   time.perf_counter_ns over N decisions (default 200,000) after a warm-up, and once more
   as a plain loop for throughput. Reports decisions per second, p50/p99/max in
   microseconds, the mix of outcomes, and "target p99 < 1 ms: PASS/FAIL".
2. Access check on a live server: the latency that the access check adds to a download
   session request. A fresh Steward installation in a temporary folder (STEWARD_HOME, a new
   SQLite database; or, with --database-url, a new PostgreSQL database that it creates and
   drops): `steward migrate`, an owner, an outsider and the organization made with the CLI,
   an API key for the outsider; then, through `steward shell -c` and the product's services
   (catalog's make_dataset, access's request_access and approve_request), three datasets
   with a 64 KiB archive each:
     (a) open terms: nothing to check beyond sign-in;
     (b) conditions: research only, used in AFRICA only, a price (25,000 cents; 5,000 for
         academics in AFRICA) and grants of 365 days; the outsider's request (research, KE,
         academic) is granted automatically and marked paid (Grant.paid_at);
     (c) restricted: manual approval, grants of 365 days; the outsider's request approved
         by the owner.
   `steward serve --workers N` (gunicorn, default 1 worker) runs on a free loopback port, and
   one client on a keep-alive connection sends POST /api/datasets/{id}/download with the
   outsider's key for a, b, c, a, b, c, ... (--warmup rounds untimed, then --requests
   timed, default 300 each); every answer must be 200 with a link, and each link is first
   fetched once and checked. Reports p50/p99 in ms per dataset and the added latency
   p50(b) - p50(a), p50(c) - p50(a) (and the same for p99). Then, in-process (`steward
   shell -c`), `decide_download(outsider, dataset)` alone (p50/p99 in us, and its queries),
   on a dataset loaded as the API loads it before each call (the load is not timed), and on
   one reused object whose current terms are already parsed.
   A live server rather than Django's test Client, because the issue asks for the added
   latency of a request as a client sees it: the WSGI server, the database connection as
   the settings keep it (a new one per request on SQLite), the commit and the audit record
   are what the check is added to.
   The client runs on the same machine as the server and shares its cores: the differences
   between datasets are the figure; the absolute milliseconds depend on the machine's load.

It prints a summary and exits 0 whatever the figures are (it reports, it does not assert).
Every request has a timeout, every command and the timed loop a time limit; the server is
stopped, the folder removed and the PostgreSQL database dropped whatever happens.

    python bench/policy.py                     # both parts (`make bench-policy`)
    python bench/policy.py --decisions 50000 --seed 3
    python bench/policy.py --skip-engine --requests 100
    python bench/policy.py --skip-engine --database-url postgres://postgres@127.0.0.1:5432/
"""

import argparse
import gc
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from random import Random
from urllib.parse import urlsplit

# Run as a script from anywhere: the repository root holds the `steward` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from installation import (  # noqa: E402  (bench/ is the script's folder, first on sys.path)
    bench_lines,
    free_port,
    loopback_session,
    percentile,
    postgres_database,
    run_steward,
    serving,
)

from steward.licensing.engine import (  # noqa: E402
    Approval,
    Audience,
    Geography,
    GeographyMode,
    OrganizationType,
    Outcome,
    Policy,
    PriceRule,
    Purpose,
    Requester,
    Rule,
    decide,
)
from steward.licensing.licences import PREDEFINED, terms_for  # noqa: E402
from steward.licensing.regions import COUNTRIES, REGIONS  # noqa: E402

FEE_RATE = Decimal("0.05")
TARGET_P99_US = 1000.0

# Where requesters are: a few countries carry most users, the rest spread thin.
HEAVY_COUNTRIES = ["US", "IN", "GB", "DE", "FR", "KE", "NG", "ZA", "BR", "CN", "JP", "CD"]
ALL_COUNTRIES = sorted(COUNTRIES)
LICENCES = sorted(PREDEFINED)


def build_policy(rng: Random) -> Policy:
    """One policy drawn from the shapes datasets actually use."""
    shape = rng.choices(
        [
            "open",
            "research",
            "non_commercial",
            "noodl",
            "tiered",
            "allow",
            "deny",
            "restricted",
            "labelled",
            "everything",
        ],
        weights=[30, 10, 10, 8, 10, 8, 8, 6, 6, 4],
    )[0]
    licence = terms_for(rng.choice(LICENCES))
    policy = Policy(licence=licence, attribution="Community Radio, 2025")
    if shape == "research":
        policy = replace(policy, purposes=frozenset({Purpose.RESEARCH, Purpose.EDUCATION}))
    elif shape == "non_commercial":
        policy = replace(policy, licence=terms_for("CC-BY-NC-4.0"))
    elif shape == "noodl":
        policy = replace(
            policy,
            licence=terms_for("NOODL-1.0"),
            base_price_cents=rng.choice([0, 25000]),
            price_rules=(PriceRule(Audience(places=frozenset({"AFRICA"})), 0),),
        )
    elif shape == "tiered":
        policy = replace(policy, **_tiered_prices(rng))
    elif shape == "allow":
        policy = replace(policy, geography=Geography(GeographyMode.ALLOW, _places(rng)))
    elif shape == "deny":
        policy = replace(policy, geography=Geography(GeographyMode.DENY, _places(rng)))
    elif shape == "restricted":
        policy = replace(
            policy,
            approval=Approval.MANUAL,
            request_required=True,
            grant_days=365,
            verified_organization_required=rng.random() < 0.5,
        )
    elif shape == "labelled":
        policy = replace(policy, rules=_label_rules(rng))
    elif shape == "everything":
        policy = replace(
            policy,
            licence=terms_for(rng.choice(["NOODL-1.0", "CC-BY-NC-SA-4.0", "CC-BY-4.0"])),
            purposes=frozenset(rng.sample(list(Purpose), rng.randint(1, 3))),
            geography=Geography(GeographyMode.DENY, _places(rng)),
            approval=Approval.MANUAL,
            verified_organization_required=True,
            rules=_label_rules(rng),
            **_tiered_prices(rng),
        )
    return policy


def _places(rng: Random) -> frozenset[str]:
    regions = rng.sample(sorted(REGIONS), rng.randint(0, 2))
    countries = rng.sample(sorted(COUNTRIES), rng.randint(0 if regions else 1, 40))
    return frozenset(regions + countries)


def _tiered_prices(rng: Random) -> dict:
    rules = [
        PriceRule(Audience(places=frozenset({"AFRICA"})), 0),
        PriceRule(
            Audience(
                organization_types=frozenset(
                    {OrganizationType.ACADEMIC, OrganizationType.NONPROFIT}
                )
            ),
            rng.choice([1000, 5000]),
        ),
        PriceRule(
            Audience(
                purposes=frozenset({Purpose.COMMERCIAL}),
                places=frozenset({"EU", "NORTHERN_AMERICA"}),
            ),
            rng.choice([100000, 500000]),
        ),
    ]
    return {"base_price_cents": rng.choice([2500, 25000]), "price_rules": tuple(rules)}


def _label_rules(rng: Random) -> tuple[Rule, ...]:
    rules = [
        Rule(
            Audience(purposes=frozenset({Purpose.COMMERCIAL})),
            reason="This material is not to be used commercially.",
            source="TK Non-Commercial",
        ),
        Rule(
            Audience(places=frozenset({"SUB_SAHARAN_AFRICA"}), outside_places=True),
            reason="Use outside the community's region needs its approval.",
            source="TK Community Voice",
            effect=Outcome.NEEDS_APPROVAL,
        ),
        Rule(
            Audience(organization_types=frozenset({OrganizationType.COMPANY})),
            reason="Companies must ask first.",
            source="BC Consent Verified",
            effect=Outcome.NEEDS_APPROVAL,
        ),
    ]
    return tuple(rng.sample(rules, rng.randint(1, 3)))


def build_requester(rng: Random) -> Requester:
    countries = HEAVY_COUNTRIES if rng.random() < 0.6 else ALL_COUNTRIES
    country = rng.choice(countries)
    return Requester(
        country=None if rng.random() < 0.03 else country,
        purpose=None if rng.random() < 0.05 else rng.choice(list(Purpose)),
        organization_type=None if rng.random() < 0.05 else rng.choice(list(OrganizationType)),
        organization_verified=rng.random() < 0.4,
        is_member=rng.random() < 0.05,
        has_grant=rng.random() < 0.2,
        has_paid=rng.random() < 0.2,
    )


def measure_decisions(args) -> str:
    rng = Random(args.seed)
    policies = [build_policy(rng) for _ in range(args.policies)]
    requesters = [build_requester(rng) for _ in range(args.requesters)]
    pairs = [(rng.choice(policies), rng.choice(requesters)) for _ in range(args.decisions)]

    for policy, requester in pairs[: min(5000, len(pairs))]:  # warm-up (caches, branches)
        decide(policy, requester, fee_rate=FEE_RATE)

    gc.collect()
    clock = time.perf_counter_ns
    timings = []
    outcomes = Counter()
    for policy, requester in pairs:
        start = clock()
        decision = decide(policy, requester, fee_rate=FEE_RATE)
        timings.append(clock() - start)
        outcomes[decision.outcome] += 1

    started = clock()
    for policy, requester in pairs:
        decide(policy, requester, fee_rate=FEE_RATE)
    elapsed = clock() - started

    timings.sort()
    p50, p99 = percentile(timings, 0.50) / 1000, percentile(timings, 0.99) / 1000
    print(
        f"Policy decisions: {len(pairs):,} over {args.policies} policies and"
        f" {args.requesters} requesters (seed {args.seed})"
    )
    print(f"  throughput    {len(pairs) / (elapsed / 1e9):,.0f} decisions/s")
    print(f"  latency       p50 {p50:.1f} us   p99 {p99:.1f} us   max {timings[-1] / 1000:.1f} us")
    mix = ", ".join(
        f"{outcome.value} {count / len(pairs):.0%}"
        for outcome, count in sorted(outcomes.items(), key=lambda item: -item[1])
    )
    print(f"  outcomes      {mix}")
    verdict = "PASS" if p99 < TARGET_P99_US else "FAIL"
    print(f"  target p99 < 1 ms: {verdict}")
    return (
        f"Policy engine: {len(pairs) / (elapsed / 1e9):,.0f} decisions/s, p50 {p50:.1f} us,"
        f" p99 {p99:.1f} us; target p99 < 1 ms: {verdict}"
    )


# --- Part 2: the access check on a live server ---------------------------------------------

ACCESS_ORG = "bench-policy"
OWNER = "bench-owner"
OUTSIDER = "bench-outsider"
ARCHIVE_BYTES = 64 * 1024
CONNECT_TIMEOUT = 5  # seconds
READ_TIMEOUT = 30  # seconds for one answer
ACCESS_TIME_LIMIT = 900  # seconds for all the timed requests of one run

# The three datasets, in the order requests go out: key, slug, label.
CASES = (
    ("a", "bench-open", "(a) open terms, sign-in only"),
    ("b", "bench-conditions", "(b) conditions, paid grant"),
    ("c", "bench-restricted", "(c) restricted, approved grant"),
)

# Run by `steward shell -c`: the three datasets, and the outsider's grants made through the
# services the product uses (request_access, approve_request). One BENCH line per dataset.
ACCESS_SETUP_HELPER = """
import os
from django.utils import timezone
from steward.access.models import AccessRequest, Grant
from steward.access.services import approve_request, decide_download, request_access
from steward.accounts.models import User
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Organization

organization = Organization.objects.get(slug=os.environ["BENCH_ORG"])
owner = User.objects.get(username=os.environ["BENCH_OWNER"])
outsider = User.objects.get(username=os.environ["BENCH_OUTSIDER"])
size = int(os.environ["BENCH_ARCHIVE_BYTES"])
ask = {
    "purpose": "research",
    "country": "KE",
    "organizationName": "University of Nairobi",
    "organizationType": "academic",
    "intendedUse": "Train a speech recogniser (policy benchmark).",
    "acceptTerms": True,
}
datasets = {}
datasets["a"] = make_dataset(
    organization, slug="bench-open", archive=os.urandom(size), usage_policy={},
    name="Policy benchmark, open terms",
)
datasets["b"] = make_dataset(
    organization, slug="bench-conditions", archive=os.urandom(size),
    name="Policy benchmark, conditions",
    usage_policy={
        "purposes": ["research"],
        "geography": {"mode": "allow", "places": ["AFRICA"]},
        "pricing": {
            "currency": "usd",
            "basePriceCents": 25000,
            "rules": [
                {"places": ["AFRICA"], "organizationTypes": ["academic"], "priceCents": 5000}
            ],
        },
        "grantDays": 365,
    },
)
datasets["c"] = make_dataset(
    organization, slug="bench-restricted", archive=os.urandom(size),
    name="Policy benchmark, restricted", visibility="restricted",
    usage_policy={"approval": "manual", "requestRequired": True, "grantDays": 365},
)
assert datasets["a"].usage_policy.current.terms.is_open
request = request_access(datasets["b"], user=outsider, data=ask)
assert request.status == AccessRequest.Status.APPROVED, (request.status, request.reason)
assert request.grant.price_cents > 0, "the grant for (b) should carry a price"
Grant.objects.filter(pk=request.grant.pk).update(paid_at=timezone.now())
request = request_access(datasets["c"], user=outsider, data=ask)
assert request.status == AccessRequest.Status.PENDING, (request.status, request.reason)
request = approve_request(request, actor=owner, reason="Policy benchmark.")
assert request.status == AccessRequest.Status.APPROVED, request.status
for key, dataset in datasets.items():
    grant = Grant.objects.filter(user=outsider, dataset=dataset).first()
    decision = decide_download(outsider, dataset)
    assert decision.allowed, (key, decision.code, decision.reason)
    terms = dataset.usage_policy.current.terms
    price = grant.price_cents if grant else 0
    paid = "paid" if grant and grant.paid_at else "-"
    print("BENCH", key, dataset.public_id, dataset.visibility, terms.approval.value,
          grant.public_id if grant else "-", price, paid)
"""

# Run by `steward shell -c`: `decide_download(outsider, dataset)` alone, timed in-process,
# interleaved over the datasets. Prints one BENCH line of JSON.
DECIDE_HELPER = """
import gc, json, os, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from steward.access.services import decide_download
from steward.accounts.models import User
from steward.catalog.models import Dataset

outsider = User.objects.get(username=os.environ["BENCH_OUTSIDER"])
ids = dict(item.split("=", 1) for item in os.environ["BENCH_DATASETS"].split(","))
calls, warmup = int(os.environ["BENCH_CALLS"]), int(os.environ["BENCH_WARMUP"])

def load(public_id):
    # As the API finds it (catalog.queries._find_dataset): a fresh object per request.
    return Dataset.objects.select_related("organization", "language", "current_version").get(
        public_id=public_id
    )

clock = time.perf_counter_ns
fresh = {key: [] for key in ids}
cached = {key: [] for key in ids}
queries = {}
kept = {key: load(public_id) for key, public_id in ids.items()}
for key, public_id in ids.items():
    dataset = load(public_id)
    with CaptureQueriesContext(connection) as captured:
        assert decide_download(outsider, dataset, ip="127.0.0.1").allowed, key
    queries[key] = len(captured)
gc.collect()
for number in range(warmup + calls):
    for key, public_id in ids.items():
        dataset = load(public_id)  # not timed
        started = clock()
        decision = decide_download(outsider, dataset, ip="127.0.0.1")
        elapsed = clock() - started
        if not decision.allowed:
            raise SystemExit(f"{key}: refused ({decision.code})")
        started = clock()
        decide_download(outsider, kept[key], ip="127.0.0.1")
        elapsed_cached = clock() - started
        if number >= warmup:
            fresh[key].append(elapsed)
            cached[key].append(elapsed_cached)
print("BENCH", json.dumps({"fresh": fresh, "cached": cached, "queries": queries}))
"""


@dataclass
class AccessSetup:
    env: dict[str, str]
    key: str  # the outsider's API key
    ids: dict[str, str]  # case -> the dataset's public id
    details: dict[str, str]  # case -> what was set up, for the report


def set_up_access(home: Path, base: str, database_url: str | None) -> AccessSetup:
    env = dict(os.environ, STEWARD_HOME=str(home), STEWARD_BASE_URL=base)
    for name in ("DATABASE_URL", "STEWARD_DEBUG", "STEWARD_S3_BUCKET", "STEWARD_DOWNLOAD_MODE"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    run_steward(["migrate", "--no-input"], env)
    run_steward(["users", "add", OWNER, "--email", "owner@bench.example.org"], env)
    run_steward(["users", "add", OUTSIDER, "--email", "outsider@bench.example.org"], env)
    run_steward(
        ["orgs", "add", ACCESS_ORG, "--name", "Policy Bench", "--owner", OWNER, "--approved"],
        env,
    )
    key = run_steward(["apikeys", "create", OUTSIDER], env).stdout.strip()
    out = run_steward(
        ["shell", "--no-imports", "-c", ACCESS_SETUP_HELPER],
        env,
        {
            "BENCH_ORG": ACCESS_ORG,
            "BENCH_OWNER": OWNER,
            "BENCH_OUTSIDER": OUTSIDER,
            "BENCH_ARCHIVE_BYTES": str(ARCHIVE_BYTES),
        },
    ).stdout
    ids, details = {}, {}
    for case, public_id, visibility, approval, grant, price, paid in bench_lines(out):
        ids[case] = public_id
        held = "no grant" if grant == "-" else f"grant {grant}, {int(price) / 100:.2f} USD {paid}"
        details[case] = f"{visibility}, {approval} approval, {held}"
    if set(ids) != {case for case, _, _ in CASES}:
        raise RuntimeError(f"the setup helper printed:\n{out}")
    return AccessSetup(env, key, ids, details)


def check_links(base: str, setup: AccessSetup) -> None:
    """Once per dataset, untimed: the session's link serves the archive, with its checksum."""
    with loopback_session() as api, loopback_session() as files:
        api.headers["Authorization"] = f"Bearer {setup.key}"
        for case, _, label in CASES:
            response = api.post(
                f"{base}/api/datasets/{setup.ids[case]}/download",
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {response.status_code} {response.text[:500]}")
            session = response.json()
            body = files.get(session["downloadUrl"], timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            digest = hashlib.sha256(body.content).hexdigest()
            if body.status_code != 200 or len(body.content) != ARCHIVE_BYTES:
                raise RuntimeError(f"{label}: the link answered {body.status_code}")
            if digest not in session["checksum"]:
                raise RuntimeError(f"{label}: checksum {session['checksum']}, got {digest}")


def time_sessions(base: str, setup: AccessSetup, rounds: int, warmup: int) -> dict:
    """POST /api/datasets/{id}/download, a, b, c, a, b, c, ... on one keep-alive connection;
    each answer must be 200 with a link. Nanoseconds per case, warm-up rounds left out."""
    deadline = time.monotonic() + ACCESS_TIME_LIMIT
    timings: dict[str, list[int]] = {case: [] for case, _, _ in CASES}
    clock = time.perf_counter_ns
    with loopback_session() as api:
        api.headers["Authorization"] = f"Bearer {setup.key}"
        for number in range(warmup + rounds):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the requests took over {ACCESS_TIME_LIMIT} s")
            for case, _, label in CASES:
                url = f"{base}/api/datasets/{setup.ids[case]}/download"
                started = clock()
                response = api.post(url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
                elapsed = clock() - started
                if response.status_code != 200 or "downloadUrl" not in response.json():
                    raise RuntimeError(f"{label}: {response.status_code} {response.text[:500]}")
                if number >= warmup:
                    timings[case].append(elapsed)
    return timings


def time_decisions(setup: AccessSetup, calls: int, warmup: int) -> dict:
    out = run_steward(
        ["shell", "--no-imports", "-c", DECIDE_HELPER],
        setup.env,
        {
            "BENCH_OUTSIDER": OUTSIDER,
            "BENCH_DATASETS": ",".join(f"{case}={setup.ids[case]}" for case, _, _ in CASES),
            "BENCH_CALLS": str(calls),
            "BENCH_WARMUP": str(warmup),
        },
    ).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"the decision helper printed:\n{out}")


def p50_p99(timings: list[int], scale: float) -> tuple[float, float]:
    ordered = sorted(timings)
    return percentile(ordered, 0.50) / scale, percentile(ordered, 0.99) / scale


def measure_access_check(args) -> list[str]:
    """The latency the access check adds to a download session request
    (POST /api/datasets/{id}/download), against a live server on the loopback address
    (see the module's docstring, part 2). Lines for the summary."""
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print()
    print(
        f"Access check: {args.requests} download sessions per dataset on {backend},"
        f" `steward serve --workers {args.workers}` on loopback"
    )
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-policy-"))
    log = folder / "server.log"
    try:
        with ExitStack() as stack:
            database_url = None
            if args.database_url:
                database_url = stack.enter_context(
                    postgres_database(args.database_url, "steward_bench_policy")
                )
                print(f"  database {urlsplit(database_url).path.lstrip('/')} (created)")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            setup = set_up_access(folder / "home", base, database_url)
            print(f"  set up in {time.perf_counter() - started:.1f} s:")
            for case, _, label in CASES:
                print(f"    {label:32} {setup.ids[case]}  {setup.details[case]}")
            try:
                with serving(setup.env, port, args.workers, log):
                    check_links(base, setup)
                    print(f"  each dataset's link checked (200, {ARCHIVE_BYTES} bytes, SHA-256)")
                    started = time.perf_counter()
                    sessions = time_sessions(base, setup, args.requests, args.warmup)
                    print(
                        f"  {args.requests} x 3 timed requests (after {args.warmup} x 3 warm-up)"
                        f" in {time.perf_counter() - started:.1f} s"
                    )
            except Exception:
                if log.exists():
                    print(f"  server log (end):\n{log.read_text(errors='replace')[-3000:]}")
                raise
            decisions = time_decisions(setup, args.decide_calls, min(200, args.decide_calls))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    http = {case: p50_p99(sessions[case], 1e6) for case, _, _ in CASES}
    a50, a99 = http["a"]
    lines = [
        f"Access check on POST /api/datasets/{{id}}/download ({backend}, live server,"
        f" {args.workers} worker, {args.requests} requests each, interleaved)",
        f"  {'dataset':34} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>9} {'+p99 ms':>9}",
    ]
    for case, _, label in CASES:
        p50, p99 = http[case]
        added = f"{'':>9} {'':>9}" if case == "a" else f"{p50 - a50:>+9.3f} {p99 - a99:>+9.3f}"
        lines.append(f"  {label:34} {p50:8.3f} {p99:8.3f} {added}")
    lines.append(
        f"  added latency of the check: (b)-(a) p50 {http['b'][0] - a50:+.3f} ms,"
        f" p99 {http['b'][1] - a99:+.3f} ms; (c)-(a) p50 {http['c'][0] - a50:+.3f} ms,"
        f" p99 {http['c'][1] - a99:+.3f} ms"
    )
    lines.append(
        f"decide_download(outsider, dataset) alone, in-process ({args.decide_calls} calls each):"
    )
    lines.append(
        f"  {'dataset':34} {'p50 us':>8} {'p99 us':>8} {'queries':>8}"
        f"   {'reused object: p50 us':>21} {'p99 us':>8}"
    )
    for case, _, label in CASES:
        p50, p99 = p50_p99(decisions["fresh"][case], 1e3)
        c50, c99 = p50_p99(decisions["cached"][case], 1e3)
        queries = decisions["queries"][case]
        lines.append(f"  {label:34} {p50:8.1f} {p99:8.1f} {queries:8}   {c50:21.1f} {c99:8.1f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--requesters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-engine", action="store_true", help="skip part 1 (the engine)")
    parser.add_argument("--skip-access", action="store_true", help="skip part 2 (the server)")
    parser.add_argument(
        "--requests", type=int, default=300, help="timed requests per dataset (default 300)"
    )
    parser.add_argument("--warmup", type=int, default=30, help="untimed rounds first (default 30)")
    parser.add_argument(
        "--decide-calls",
        type=int,
        default=2000,
        help="in-process decide_download calls per dataset (default 2000)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server workers (default 1)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server, postgres://USER@HOST:PORT[/NEW_NAME]: part 2 creates the"
        " database (a random name if none) and drops it at the end; default: SQLite",
    )
    args = parser.parse_args()
    if min(args.decisions, args.requests, args.decide_calls, args.workers) < 1 or args.warmup < 0:
        parser.error("counts must be at least 1 (--warmup at least 0)")
    summary: list[str] = []
    if not args.skip_engine:
        summary.append(measure_decisions(args))
    if not args.skip_access:
        summary = measure_access_check(args) + summary
    if summary:
        print()
        print("== Summary ==")
        print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
