"""The usage-policy engine: properties that hold for any policy and requester, then the
plain cases as tables."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

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
    Requester,
    Rule,
    admitted_purposes,
    decide,
)
from steward.licensing.licences import terms_for
from steward.licensing.regions import COUNTRIES, REGIONS, expand_places
from steward.payments.pricing import platform_fee_cents

from .strategies import (
    SETTINGS,
    audiences,
    country_codes,
    place_codes,
    policies,
    policies_touching,
    prices,
    purposes,
    requesters,
    rules,
)

FEE = Decimal("0.05")
CC_BY = terms_for("CC-BY-4.0")
NOODL = terms_for("NOODL-1.0")

# How much an outcome holds a requester back; a stricter policy never lowers it.
STRICTNESS = {
    Outcome.ALLOWED: 0,
    Outcome.NEEDS_PAYMENT: 1,
    Outcome.NEEDS_APPROVAL: 2,
    Outcome.DENIED: 3,
}


def strictness(policy: Policy, requester: Requester) -> int:
    return STRICTNESS[decide(policy, requester, fee_rate=FEE).outcome]


# Properties


@SETTINGS
@given(st.data())
def test_a_deny_listed_country_is_always_denied(data):
    policy = data.draw(policies())
    listed = data.draw(st.frozensets(place_codes, min_size=1, max_size=4))
    policy = replace(policy, geography=Geography(GeographyMode.DENY, listed))
    country = data.draw(st.sampled_from(sorted(expand_places(listed) & COUNTRIES)))
    requester = data.draw(requesters(country=st.just(country)))
    decision = decide(policy, requester, fee_rate=FEE)
    assert decision.outcome == Outcome.DENIED
    assert "country_not_allowed" in {reason.code for reason in decision.reasons}


@SETTINGS
@given(st.data())
def test_a_country_outside_an_allow_list_is_always_denied(data):
    policy = data.draw(policies())
    listed = data.draw(st.frozensets(place_codes, min_size=1, max_size=4))
    outside = sorted(COUNTRIES - expand_places(listed))
    assume(outside)
    policy = replace(policy, geography=Geography(GeographyMode.ALLOW, listed))
    requester = data.draw(requesters(country=st.sampled_from(outside)))
    assert decide(policy, requester, fee_rate=FEE).outcome == Outcome.DENIED


@SETTINGS
@given(policies(), requesters())
def test_a_member_is_always_allowed(policy, requester):
    decision = decide(policy, replace(requester, is_member=True), fee_rate=FEE)
    assert decision.outcome == Outcome.ALLOWED


@SETTINGS
@given(policies(), requesters())
def test_reasons_are_given_for_everything_but_allowed(policy, requester):
    decision = decide(policy, requester, fee_rate=FEE)
    if decision.outcome == Outcome.ALLOWED:
        assert decision.reasons == ()
    else:
        assert decision.reasons
        assert all(reason.code and reason.message.strip() for reason in decision.reasons)
        assert decision.message


@SETTINGS
@given(policies(), requesters())
def test_the_quote_is_the_requesters_price_plus_the_fee(policy, requester):
    decision = decide(policy, requester, fee_rate=FEE)
    if decision.outcome == Outcome.DENIED:
        return
    price = policy.price_for(requester)
    assert decision.price_cents == price
    if price:
        quote = decision.quote
        assert quote.base_price_cents == price
        assert quote.platform_fee_cents == platform_fee_cents(price, FEE)
        assert quote.total_price_cents == quote.base_price_cents + quote.platform_fee_cents
        assert quote.currency == policy.currency
    else:
        assert decision.quote is None


@SETTINGS
@given(policies(), requesters())
def test_having_paid_never_matters_when_the_price_is_zero(policy, requester):
    free = replace(
        policy,
        base_price_cents=0,
        price_rules=tuple(replace(rule, price_cents=0) for rule in policy.price_rules),
    )
    paid = decide(free, replace(requester, has_paid=True), fee_rate=FEE)
    unpaid = decide(free, replace(requester, has_paid=False), fee_rate=FEE)
    assert paid == unpaid
    assert paid.outcome != Outcome.NEEDS_PAYMENT


@SETTINGS
@given(policies(), requesters())
def test_needs_payment_only_when_there_is_a_price_left_to_pay(policy, requester):
    decision = decide(policy, requester, fee_rate=FEE)
    if decision.outcome == Outcome.NEEDS_PAYMENT:
        assert decision.price_cents > 0
        assert not requester.has_paid


@st.composite
def stricter(draw, policy: Policy) -> Policy:
    """The policy with one restriction added."""
    kind = draw(
        st.sampled_from(
            ["purposes", "denied place", "manual", "verification", "price", "rule", "licence"]
        )
    )
    if kind == "purposes":
        if policy.purposes:
            fewer = draw(st.frozensets(st.sampled_from(sorted(policy.purposes)), min_size=1))
        else:
            fewer = draw(purposes.filter(bool))
        return replace(policy, purposes=fewer)
    if kind == "denied place":
        geography = policy.geography
        if geography.mode == GeographyMode.ALLOW:
            dropped = draw(st.sampled_from(sorted(geography.places)))
            return replace(
                policy, geography=replace(geography, places=geography.places - {dropped})
            )
        extra = draw(place_codes)
        return replace(policy, geography=Geography(GeographyMode.DENY, geography.places | {extra}))
    if kind == "manual":
        return replace(policy, approval=Approval.MANUAL)
    if kind == "verification":
        return replace(policy, verified_organization_required=True)
    if kind == "price":
        price = draw(prices.filter(bool))
        return replace(policy, base_price_cents=max(policy.base_price_cents, price))
    if kind == "rule":
        return replace(policy, rules=(*policy.rules, draw(rules())))
    return replace(policy, licence=replace(policy.licence, commercial_use=False))


@SETTINGS
@given(st.data())
def test_a_stricter_policy_never_decides_more_leniently(data):
    policy = data.draw(policies())
    requester = data.draw(requesters())
    tighter = data.draw(stricter(policy))
    assert strictness(tighter, requester) >= strictness(policy, requester)


@SETTINGS
@given(st.data())
def test_leaving_out_a_fact_never_helps(data):
    requester = data.draw(requesters(country=country_codes))
    requester = replace(
        requester,
        purpose=data.draw(st.sampled_from(list(Purpose))),
        organization_type=data.draw(st.sampled_from(list(OrganizationType))),
    )
    policy = data.draw(st.one_of(policies(), policies_touching(requester)))
    fact = data.draw(
        st.sampled_from(
            ["country", "purpose", "organization_type", "organization_verified", "has_grant"]
        )
    )
    less = replace(
        requester, **{fact: False if fact.startswith(("organization_v", "has")) else None}
    )
    assert strictness(policy, less) >= strictness(policy, requester)


@SETTINGS
@given(policies(), requesters())
def test_a_grant_skips_approval_but_not_payment_or_denial(policy, requester):
    with_grant = decide(policy, replace(requester, has_grant=True), fee_rate=FEE)
    without = decide(policy, replace(requester, has_grant=False), fee_rate=FEE)
    assert with_grant.outcome != Outcome.NEEDS_APPROVAL
    if without.outcome == Outcome.DENIED:
        assert with_grant.outcome == Outcome.DENIED


@SETTINGS
@given(
    st.sampled_from(sorted(COUNTRIES - REGIONS["AFRICA"])),
    st.booleans(),
)
def test_noodl_sends_companies_outside_africa_using_it_commercially_to_approval(country, paid):
    policy = Policy(licence=NOODL)
    requester = Requester(
        country=country,
        purpose=Purpose.COMMERCIAL,
        organization_type=OrganizationType.COMPANY,
        has_paid=paid,
    )
    decision = decide(policy, requester, fee_rate=FEE)
    assert decision.outcome == Outcome.NEEDS_APPROVAL
    assert "NOODL-1.0" in decision.message


@SETTINGS
@given(
    st.sampled_from(sorted(REGIONS["AFRICA"])),
    st.sampled_from(list(Purpose)),
    st.sampled_from(list(OrganizationType)),
)
def test_noodl_is_free_and_open_in_africa(country, purpose, kind):
    requester = Requester(country=country, purpose=purpose, organization_type=kind)
    assert decide(Policy(licence=NOODL), requester, fee_rate=FEE).outcome == Outcome.ALLOWED


@SETTINGS
@given(
    st.sampled_from(sorted(COUNTRIES - REGIONS["AFRICA"])),
    st.sampled_from([p for p in Purpose if p != Purpose.COMMERCIAL]),
    st.sampled_from(list(OrganizationType)),
)
def test_noodl_is_open_outside_africa_for_non_commercial_use(country, purpose, kind):
    requester = Requester(country=country, purpose=purpose, organization_type=kind)
    assert decide(Policy(licence=NOODL), requester, fee_rate=FEE).outcome == Outcome.ALLOWED


@SETTINGS
@given(policies(), audiences(), requesters())
def test_an_audience_matches_as_its_parts_do(policy, audience, requester):
    expected = (
        (not audience.purposes or requester.purpose in audience.purposes)
        and (
            not audience.organization_types
            or requester.organization_type in audience.organization_types
        )
        and (
            not audience.places
            or (requester.country in expand_places(audience.places)) != audience.outside_places
        )
    )
    assert audience.matches(requester) == expected


# Plain cases

RESEARCH_ONLY = Policy(licence=CC_BY, purposes=frozenset({Purpose.RESEARCH}))
NON_COMMERCIAL_ONLY = Policy(licence=CC_BY, purposes=frozenset({Purpose.NON_COMMERCIAL}))
CC_BY_NC = Policy(licence=terms_for("CC-BY-NC-4.0"))
AFRICA_ONLY = Policy(licence=CC_BY, geography=Geography(GeographyMode.ALLOW, frozenset({"AFRICA"})))
NOT_IN_EU = Policy(licence=CC_BY, geography=Geography(GeographyMode.DENY, frozenset({"EU", "KE"})))
PAID = Policy(licence=CC_BY, base_price_cents=25000)
MANUAL_AND_PAID = replace(PAID, approval=Approval.MANUAL)
VERIFIED_ONLY = Policy(licence=CC_BY, verified_organization_required=True)
TIERED = Policy(
    licence=CC_BY,
    base_price_cents=25000,
    price_rules=(
        PriceRule(Audience(places=frozenset({"AFRICA"})), 0),
        PriceRule(Audience(organization_types=frozenset({OrganizationType.ACADEMIC})), 5000),
    ),
)
NO_COMPANIES = Policy(
    licence=CC_BY,
    rules=(
        Rule(
            Audience(organization_types=frozenset({OrganizationType.COMPANY})),
            reason="Not for companies.",
            source="TK Non-Commercial",
        ),
    ),
)


def ask(country="KE", purpose=Purpose.RESEARCH, kind=OrganizationType.ACADEMIC, **extra):
    return Requester(country=country, purpose=purpose, organization_type=kind, **extra)


@pytest.mark.parametrize(
    ("policy", "requester", "outcome", "code"),
    [
        (RESEARCH_ONLY, ask(), Outcome.ALLOWED, "allowed"),
        (RESEARCH_ONLY, ask(purpose=Purpose.EDUCATION), Outcome.DENIED, "purpose_not_allowed"),
        (RESEARCH_ONLY, ask(purpose=Purpose.COMMERCIAL), Outcome.DENIED, "purpose_not_allowed"),
        (RESEARCH_ONLY, ask(purpose=None), Outcome.DENIED, "purpose_required"),
        (NON_COMMERCIAL_ONLY, ask(purpose=Purpose.EDUCATION), Outcome.ALLOWED, "allowed"),
        (NON_COMMERCIAL_ONLY, ask(purpose=Purpose.RESEARCH), Outcome.ALLOWED, "allowed"),
        (
            NON_COMMERCIAL_ONLY,
            ask(purpose=Purpose.COMMERCIAL),
            Outcome.DENIED,
            "purpose_not_allowed",
        ),
        (CC_BY_NC, ask(purpose=Purpose.COMMERCIAL), Outcome.DENIED, "purpose_not_allowed"),
        (CC_BY_NC, ask(purpose=Purpose.RESEARCH), Outcome.ALLOWED, "allowed"),
        (CC_BY_NC, ask(purpose=None), Outcome.DENIED, "purpose_required"),
        (AFRICA_ONLY, ask(country="NG"), Outcome.ALLOWED, "allowed"),
        (AFRICA_ONLY, ask(country="FR"), Outcome.DENIED, "country_not_allowed"),
        (AFRICA_ONLY, ask(country=None), Outcome.DENIED, "country_required"),
        (AFRICA_ONLY, ask(country="ng"), Outcome.ALLOWED, "allowed"),
        (NOT_IN_EU, ask(country="DE"), Outcome.DENIED, "country_not_allowed"),
        (NOT_IN_EU, ask(country="ke"), Outcome.DENIED, "country_not_allowed"),
        (NOT_IN_EU, ask(country="NO"), Outcome.ALLOWED, "allowed"),
        (PAID, ask(), Outcome.NEEDS_PAYMENT, "payment_required"),
        (PAID, ask(has_paid=True), Outcome.ALLOWED, "allowed"),
        (MANUAL_AND_PAID, ask(), Outcome.NEEDS_APPROVAL, "approval_required"),
        (MANUAL_AND_PAID, ask(has_grant=True), Outcome.NEEDS_PAYMENT, "payment_required"),
        (MANUAL_AND_PAID, ask(has_grant=True, has_paid=True), Outcome.ALLOWED, "allowed"),
        (VERIFIED_ONLY, ask(), Outcome.DENIED, "verification_required"),
        (VERIFIED_ONLY, ask(organization_verified=True), Outcome.ALLOWED, "allowed"),
        (TIERED, ask(country="KE"), Outcome.ALLOWED, "allowed"),
        (TIERED, ask(country="FR"), Outcome.NEEDS_PAYMENT, "payment_required"),
        (TIERED, ask(country=None), Outcome.DENIED, "country_required"),
        (NO_COMPANIES, ask(kind=OrganizationType.COMPANY), Outcome.DENIED, "refused_by_rule"),
        (NO_COMPANIES, ask(kind=OrganizationType.NONPROFIT), Outcome.ALLOWED, "allowed"),
        (NO_COMPANIES, ask(kind=None), Outcome.DENIED, "organization_type_required"),
        (
            Policy(licence=NOODL),
            ask(country="US", kind=None, purpose=Purpose.COMMERCIAL),
            Outcome.DENIED,
            "organization_type_required",
        ),
        (
            Policy(licence=NOODL),
            ask(country=None, kind=OrganizationType.COMPANY, purpose=Purpose.COMMERCIAL),
            Outcome.DENIED,
            "country_required",
        ),
        # The requester's own facts already put them outside the rule: nothing more to ask.
        (
            Policy(licence=NOODL),
            ask(country=None, purpose=Purpose.RESEARCH),
            Outcome.ALLOWED,
            "allowed",
        ),
        (
            Policy(licence=NOODL),
            ask(country="NG", kind=None, purpose=Purpose.COMMERCIAL),
            Outcome.ALLOWED,
            "allowed",
        ),
    ],
)
def test_plain_cases(policy, requester, outcome, code):
    decision = decide(policy, requester, fee_rate=FEE)
    assert (decision.outcome, decision.code) == (outcome, code)


def test_prices_follow_the_first_matching_rule():
    academic_in_kenya = ask(country="KE", kind=OrganizationType.ACADEMIC)
    academic_in_france = ask(country="FR", kind=OrganizationType.ACADEMIC)
    company_in_france = ask(country="FR", kind=OrganizationType.COMPANY)
    assert TIERED.price_for(academic_in_kenya) == 0
    assert TIERED.price_for(academic_in_france) == 5000
    assert TIERED.price_for(company_in_france) == 25000
    decision = decide(TIERED, company_in_france, fee_rate=FEE)
    assert decision.quote.total_price_cents == 26250
    assert decision.message == "Pay 262.50 USD to download this dataset."


def test_the_licence_names_itself_when_it_refuses_commercial_use():
    decision = decide(CC_BY_NC, ask(purpose=Purpose.COMMERCIAL), fee_rate=FEE)
    assert "CC-BY-NC-4.0" in decision.message


def test_a_rule_message_names_its_source_when_it_has_one():
    named = decide(NO_COMPANIES, ask(kind=OrganizationType.COMPANY), fee_rate=FEE)
    assert named.message == "TK Non-Commercial: Not for companies."
    unnamed_rule = replace(NO_COMPANIES.rules[0], source="")
    unnamed = decide(
        replace(NO_COMPANIES, rules=(unnamed_rule,)),
        ask(kind=OrganizationType.COMPANY),
        fee_rate=FEE,
    )
    assert unnamed.message == "Not for companies."


def test_requester_countries_are_upper_cased():
    assert Requester(country="ke").country == "KE"
    assert Requester(country=None).country is None


@pytest.mark.parametrize(
    ("licence", "policy_purposes", "admitted"),
    [
        (CC_BY, set(), set(Purpose)),
        (terms_for("CC-BY-NC-4.0"), set(), set(Purpose) - {Purpose.COMMERCIAL}),
        (CC_BY, {Purpose.NON_COMMERCIAL}, set(Purpose) - {Purpose.COMMERCIAL}),
        (CC_BY, {Purpose.RESEARCH, Purpose.COMMERCIAL}, {Purpose.RESEARCH, Purpose.COMMERCIAL}),
        (terms_for("CC-BY-NC-4.0"), {Purpose.COMMERCIAL}, set()),
    ],
)
def test_admitted_purposes(licence, policy_purposes, admitted):
    policy = Policy(licence=licence, purposes=frozenset(policy_purposes))
    assert admitted_purposes(policy) == admitted


def test_is_open_only_without_any_condition():
    assert Policy(licence=CC_BY).is_open
    assert not Policy(licence=NOODL).is_open
    assert not CC_BY_NC.is_open
    assert not PAID.is_open
    assert not Policy(licence=LicenceTerms("custom"), request_required=True).is_open


def test_reasons_keep_their_values_apart_so_that_they_can_be_translated():
    policy = Policy(
        licence=terms_for("CC-BY-4.0"),
        purposes=frozenset({Purpose.RESEARCH, Purpose.EDUCATION}),
        geography=Geography(GeographyMode.DENY, frozenset({"FR"})),
    )
    decision = decide(
        policy, Requester(country="FR", purpose=Purpose.COMMERCIAL), fee_rate=Decimal("0.1")
    )
    assert decision.message == (
        "This dataset is not available in your country (FR)."
        " This dataset may only be used for: research, education."
    )
    catalogue = {
        "This dataset is not available in your country (%(country)s).": "Pas dans ton pays"
        " (%(country)s).",
        "This dataset may only be used for: %(purposes)s.": "Seulement pour : %(purposes)s.",
        "research": "la recherche",
        "education": "l’enseignement",
    }
    text = decision.text(
        lambda message: catalogue.get(message, message), country_name={"FR": "France"}.get
    )
    assert text == "Pas dans ton pays (France). Seulement pour : la recherche, l’enseignement."


def test_a_price_reason_is_written_by_the_callers_money_format():
    policy = Policy(licence=terms_for("CC-BY-4.0"), base_price_cents=1250, currency="eur")
    decision = decide(policy, Requester(country="KE"), fee_rate=Decimal("0"))
    assert decision.outcome == Outcome.NEEDS_PAYMENT
    assert decision.message == "Pay 12.50 EUR to download this dataset."
    written = decision.text(money=lambda cents, currency: f"{currency} {cents / 100:.2f}")
    assert written == "Pay eur 12.50 to download this dataset."


def test_a_communitys_name_is_kept_even_when_it_holds_a_percent_sign():
    rule = Rule(
        audience=Audience(purposes=frozenset({Purpose.COMMERCIAL})),
        reason="Commercial use is refused.",
        source="TK Non-Commercial (100% Radio)",
    )
    policy = Policy(licence=terms_for("CC-BY-4.0"), rules=(rule,))
    decision = decide(
        policy, Requester(country="KE", purpose=Purpose.COMMERCIAL), fee_rate=Decimal("0")
    )
    assert decision.message == "TK Non-Commercial (100% Radio): Commercial use is refused."
