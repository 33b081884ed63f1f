"""Hypothesis strategies for policies and requesters, shared by the licensing tests.

Everything drawn is valid: a policy these strategies make is one that `policy_from_document`
would accept, so the same strategies drive both the engine and the document tests.
"""

from dataclasses import replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from steward.licensing.document import MAX_PRICE_CENTS, MIN_PRICE_CENTS
from steward.licensing.engine import (
    Approval,
    Audience,
    Geography,
    GeographyMode,
    LicenceTerms,
    OrganizationType,
    Outcome,
    Policy,
    PriceRule,
    Purpose,
    Question,
    Requester,
    Rule,
)
from steward.licensing.labels import LABELS, Label
from steward.licensing.licences import PREDEFINED, terms_for
from steward.licensing.regions import COUNTRIES, REGIONS, expand_places

# No example database: these tests write nothing into the working tree.
SETTINGS = settings(
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)

country_codes = st.sampled_from(sorted(COUNTRIES))
# Regions half the time, so that expansion is exercised as much as single countries.
place_codes = st.one_of(st.sampled_from(sorted(REGIONS)), country_codes)
places = st.frozensets(place_codes, min_size=1, max_size=4)
purposes = st.frozensets(st.sampled_from(list(Purpose)), max_size=4)
organization_types = st.frozensets(st.sampled_from(list(OrganizationType)), max_size=3)
prices = st.one_of(st.just(0), st.integers(MIN_PRICE_CENTS, MAX_PRICE_CENTS))
short_text = st.text(max_size=30)
reasons = st.text(min_size=1, max_size=60).filter(lambda text: text.strip())


@st.composite
def audiences(draw) -> Audience:
    listed = draw(st.one_of(st.just(frozenset()), places))
    return Audience(
        purposes=draw(purposes),
        places=listed,
        organization_types=draw(organization_types),
        outside_places=bool(listed) and draw(st.booleans()),
    )


@st.composite
def rules(draw) -> Rule:
    return Rule(
        audience=draw(audiences()),
        reason=draw(reasons),
        source=draw(short_text),
        effect=draw(st.sampled_from([Outcome.DENIED, Outcome.NEEDS_APPROVAL])),
    )


price_rules = st.builds(PriceRule, audience=audiences(), price_cents=prices)


@st.composite
def custom_licences(draw) -> LicenceTerms:
    return LicenceTerms(
        identifier=draw(st.text(min_size=1, max_size=20).filter(lambda text: text.strip())),
        name=draw(short_text),
        attribution=draw(st.booleans()),
        share_alike=draw(st.booleans()),
        commercial_use=draw(st.booleans()),
        derivatives=draw(st.booleans()),
        rules=tuple(draw(st.lists(rules(), max_size=2))),
    )


licences = st.one_of(st.sampled_from([terms_for(key) for key in PREDEFINED]), custom_licences())


@st.composite
def geographies(draw) -> Geography:
    mode = draw(st.sampled_from(list(GeographyMode)))
    if mode == GeographyMode.ANYWHERE:
        return Geography()
    return Geography(mode=mode, places=draw(places))


questions = st.lists(
    st.builds(
        Question,
        id=st.from_regex(r"[a-z0-9_-]{1,40}", fullmatch=True),
        text=reasons,
        required=st.booleans(),
    ),
    max_size=4,
    unique_by=lambda question: question.id,
).map(tuple)


label_ids = st.sampled_from(sorted(LABELS))
applied_labels = st.lists(
    st.builds(Label, id=label_ids, community=reasons, text=short_text),
    max_size=3,
    unique_by=lambda label: label.id,
).map(tuple)


@st.composite
def policies(draw, licence=licences) -> Policy:
    return Policy(
        licence=draw(licence),
        attribution=draw(short_text),
        purposes=draw(purposes),
        geography=draw(geographies()),
        base_price_cents=draw(prices),
        price_rules=tuple(draw(st.lists(price_rules, max_size=3))),
        approval=draw(st.sampled_from(list(Approval))),
        request_required=draw(st.booleans()),
        guardians_required=draw(st.integers(1, 20)),
        grant_days=draw(st.one_of(st.none(), st.integers(1, 3650))),
        renewal_report_required=draw(st.booleans()),
        verified_organization_required=draw(st.booleans()),
        questions=draw(questions),
        conditions=draw(short_text),
        rules=tuple(draw(st.lists(rules(), max_size=3))),
        labels=draw(applied_labels),
    )


@st.composite
def requesters(draw, country=None) -> Requester:
    """Any requester; mostly with every fact known, sometimes with some left out."""
    return Requester(
        country=draw(
            st.one_of(country_codes, country_codes, st.none()) if country is None else country
        ),
        purpose=draw(st.one_of(st.sampled_from(list(Purpose)), st.none())),
        organization_type=draw(st.one_of(st.sampled_from(list(OrganizationType)), st.none())),
        organization_verified=draw(st.booleans()),
        is_member=False,
        has_grant=draw(st.booleans()),
        has_paid=draw(st.booleans()),
    )


@st.composite
def audiences_matching(draw, requester: Requester) -> Audience:
    """An audience that takes in the requester (whose facts must all be known)."""
    audience = Audience()
    if draw(st.booleans()):
        audience = replace(audience, purposes=draw(purposes) | {requester.purpose})
    if draw(st.booleans()):
        audience = replace(
            audience, organization_types=draw(organization_types) | {requester.organization_type}
        )
    if draw(st.booleans()):
        listed = draw(places)
        inside = requester.country in expand_places(listed)
        audience = replace(audience, places=listed, outside_places=not inside)
    return audience


@st.composite
def policies_touching(draw, requester: Requester) -> Policy:
    """A policy with a rule or a price meant for the requester, besides anything else (or,
    half the time, nothing else: other restrictions would often refuse the requester first)."""
    policy = draw(st.one_of(policies(), st.just(Policy(licence=terms_for("CC-BY-4.0")))))
    audience = draw(audiences_matching(requester))
    if draw(st.booleans()):
        rule = Rule(
            audience=audience,
            reason=draw(reasons),
            source=draw(short_text),
            effect=draw(st.sampled_from([Outcome.DENIED, Outcome.NEEDS_APPROVAL])),
        )
        return replace(policy, rules=(rule, *policy.rules))
    price_rule = PriceRule(audience=audience, price_cents=draw(prices))
    return replace(policy, price_rules=(price_rule, *policy.price_rules))
