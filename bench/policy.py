"""Usage-policy benchmark: how long one `licensing.engine.decide` call takes.

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
   session request. Not built yet; see `measure_access_check` below.

It prints a summary and exits 0 whatever the figures are (it reports, it does not assert).

    python bench/policy.py
    python bench/policy.py --decisions 50000 --seed 3
"""

import argparse
import gc
import sys
import time
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from random import Random

# Run as a script from anywhere: the repository root holds the `steward` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def percentile(ordered: list[int], fraction: float) -> int:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure_decisions(args) -> None:
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


# --- Part 2: the access check on a live server (to be added) --------------------------------
def measure_access_check(args) -> None:
    """The latency the access check adds to a download session request
    (POST /api/datasets/{id}/download), against a live server on the loopback address.

    Not built yet: this hook is where that measurement goes. It is called after the
    decision benchmark and does nothing for now.
    """


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--requesters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    measure_decisions(args)
    measure_access_check(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
