"""Policies as JSON documents: round trips, defaults, and a named field for every bad value."""

import json

import pytest
from hypothesis import given

from steward.licensing.document import (
    PolicyError,
    licence_from_document,
    licence_to_document,
    policy_from_document,
    policy_from_stored,
    policy_to_document,
    stored_document,
)
from steward.licensing.engine import (
    Approval,
    Audience,
    Geography,
    GeographyMode,
    Label,
    OrganizationType,
    Outcome,
    Policy,
    PriceRule,
    Purpose,
    Question,
    Rule,
)
from steward.licensing.licences import terms_for

from .strategies import SETTINGS, licences, policies

CC_BY = terms_for("CC-BY-4.0")


@SETTINGS
@given(policies())
def test_a_stored_policy_reads_back_as_it_was(policy):
    stored = json.loads(json.dumps(stored_document(policy)))
    assert policy_from_stored(stored) == policy


@SETTINGS
@given(policies())
def test_a_policy_document_reads_back_under_its_licence(policy):
    document = json.loads(json.dumps(policy_to_document(policy)))
    assert "licence" not in document
    assert policy_from_document(document, licence=policy.licence) == policy


@SETTINGS
@given(licences)
def test_a_licence_snapshot_reads_back(licence):
    assert licence_from_document(json.loads(json.dumps(licence_to_document(licence)))) == licence


def test_labels_round_trip_and_are_written_only_when_there_are_some():
    policy = Policy(
        licence=CC_BY,
        labels=(
            Label("tk-non-commercial", "Radio Kinshasa Community", "Not for sale."),
            Label("bc-provenance", "Radio Kinshasa Community"),
        ),
    )
    document = json.loads(json.dumps(policy_to_document(policy)))
    assert document["labels"] == [
        {
            "id": "tk-non-commercial",
            "community": "Radio Kinshasa Community",
            "text": "Not for sale.",
        },
        {"id": "bc-provenance", "community": "Radio Kinshasa Community", "text": ""},
    ]
    assert policy_from_document(document, licence=CC_BY) == policy
    assert policy_from_stored(json.loads(json.dumps(stored_document(policy)))) == policy
    # A policy without labels stores exactly as before labels existed.
    assert "labels" not in policy_to_document(Policy(licence=CC_BY))
    text_left_out = {"labels": [{"id": "tk-attribution", "community": "Lingala speakers"}]}
    assert policy_from_document(text_left_out, licence=CC_BY).labels == (
        Label("tk-attribution", "Lingala speakers", ""),
    )


def test_an_empty_document_is_the_default_policy():
    assert policy_from_document({}, licence=CC_BY) == Policy(licence=CC_BY)


def test_the_default_policy_document():
    assert policy_to_document(Policy(licence=CC_BY)) == {
        "attribution": "",
        "purposes": [],
        "geography": {"mode": "anywhere", "places": []},
        "pricing": {"currency": "usd", "basePriceCents": 0, "rules": []},
        "approval": "automatic",
        "requestRequired": False,
        "guardiansRequired": 1,
        "grantDays": None,
        "renewalReportRequired": False,
        "verifiedOrganizationRequired": False,
        "questions": [],
        "conditions": "",
        "rules": [],
    }


def test_a_full_document():
    document = {
        "attribution": "Radio Kinshasa Community, 2025",
        "purposes": ["research", "education"],
        "geography": {"mode": "deny", "places": ["ke", "EU"]},
        "pricing": {
            "currency": "USD",
            "basePriceCents": 25000,
            "rules": [{"places": ["AFRICA"], "priceCents": 0}],
        },
        "approval": "manual",
        "requestRequired": True,
        "guardiansRequired": 2,
        "grantDays": 365,
        "renewalReportRequired": True,
        "verifiedOrganizationRequired": True,
        "questions": [{"id": "use", "text": "What will you build?"}],
        "conditions": "No re-identification.",
        "rules": [
            {
                "organizationTypes": ["company"],
                "reason": "Not for companies.",
                "source": "TK Non-Commercial",
            }
        ],
    }
    policy = policy_from_document(document, licence=CC_BY)
    assert policy == Policy(
        licence=CC_BY,
        attribution="Radio Kinshasa Community, 2025",
        purposes=frozenset({Purpose.RESEARCH, Purpose.EDUCATION}),
        geography=Geography(GeographyMode.DENY, frozenset({"KE", "EU"})),
        currency="usd",
        base_price_cents=25000,
        price_rules=(PriceRule(Audience(places=frozenset({"AFRICA"})), 0),),
        approval=Approval.MANUAL,
        request_required=True,
        guardians_required=2,
        grant_days=365,
        renewal_report_required=True,
        verified_organization_required=True,
        questions=(Question("use", "What will you build?", required=True),),
        conditions="No re-identification.",
        rules=(
            Rule(
                Audience(organization_types=frozenset({OrganizationType.COMPANY})),
                reason="Not for companies.",
                source="TK Non-Commercial",
                effect=Outcome.DENIED,
            ),
        ),
    )
    written = policy_to_document(policy)
    assert written["geography"]["places"] == ["EU", "KE"]
    assert written["purposes"] == ["research", "education"]


def test_a_stored_document_carries_the_licence():
    stored = stored_document(Policy(licence=terms_for("NOODL-1.0")))
    assert stored["licence"]["identifier"] == "NOODL-1.0"
    assert stored["licence"]["rules"][0]["effect"] == "needs_approval"
    assert stored["licence"]["rules"][0]["outsidePlaces"] is True


def _with(path: str, value):
    """A valid document with the value at `path` (dotted, [i] for list items) replaced."""
    document = {
        "geography": {"mode": "allow", "places": ["KE", "NG", "AFRICA"]},
        "pricing": {
            "currency": "usd",
            "basePriceCents": 1000,
            "rules": [{"places": ["AFRICA"], "priceCents": 0}],
        },
        "questions": [{"id": "use", "text": "What for?"}, {"id": "team", "text": "Who?"}],
        "rules": [{"purposes": ["commercial"], "reason": "No.", "effect": "denied"}],
        "labels": [
            {"id": "tk-non-commercial", "community": "Radio Kinshasa", "text": "Not for sale."},
            {"id": "tk-attribution", "community": "Radio Kinshasa"},
        ],
    }
    keys = path.replace("[", ".").replace("]", "").split(".")
    target = document
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


BAD_VALUES = [
    # (path to set, value, field named in the error)
    ("surprise", 1, "surprise"),
    ("geography.zone", "x", "geography.zone"),
    ("pricing.rules[0].discount", 5, "pricing.rules[0].discount"),
    ("attribution", 5, "attribution"),
    ("attribution", "x" * 7501, "attribution"),
    ("conditions", "x" * 7501, "conditions"),
    ("purposes", "research", "purposes"),
    ("purposes", ["research", "fun"], "purposes[1]"),
    ("geography", [], "geography"),
    ("geography.mode", "nowhere", "geography.mode"),
    ("geography.places[2]", "ATLANTIS", "geography.places[2]"),
    ("geography.places[1]", "XX", "geography.places[1]"),
    ("geography.places[0]", 7, "geography.places[0]"),
    ("geography.places", [], "geography.places"),
    ("pricing.currency", "eur", "pricing.currency"),
    ("pricing.basePriceCents", -100, "pricing.basePriceCents"),
    ("pricing.basePriceCents", 99, "pricing.basePriceCents"),
    ("pricing.basePriceCents", 5_000_001, "pricing.basePriceCents"),
    ("pricing.basePriceCents", 1000.0, "pricing.basePriceCents"),
    ("pricing.basePriceCents", "1000", "pricing.basePriceCents"),
    ("pricing.basePriceCents", True, "pricing.basePriceCents"),
    ("pricing.rules[0].priceCents", 12.5, "pricing.rules[0].priceCents"),
    ("pricing.rules[0].priceCents", -1, "pricing.rules[0].priceCents"),
    ("pricing.rules[0]", {"places": ["AFRICA"]}, "pricing.rules[0].priceCents"),
    ("pricing.rules[0].places[0]", "mars", "pricing.rules[0].places[0]"),
    ("pricing.rules[0].organizationTypes", ["guild"], "pricing.rules[0].organizationTypes[0]"),
    ("pricing.rules[0].outsidePlaces", "yes", "pricing.rules[0].outsidePlaces"),
    ("pricing.rules", [{"outsidePlaces": True, "priceCents": 0}], "pricing.rules[0].outsidePlaces"),
    ("pricing.rules", [{"priceCents": 0}] * 51, "pricing.rules"),
    ("approval", "sometimes", "approval"),
    ("requestRequired", 1, "requestRequired"),
    ("renewalReportRequired", "false", "renewalReportRequired"),
    ("verifiedOrganizationRequired", None, "verifiedOrganizationRequired"),
    ("guardiansRequired", 0, "guardiansRequired"),
    ("guardiansRequired", 21, "guardiansRequired"),
    ("grantDays", 0, "grantDays"),
    ("grantDays", 3651, "grantDays"),
    ("grantDays", "30", "grantDays"),
    ("questions", [{"id": f"q{i}", "text": "?"} for i in range(51)], "questions"),
    ("questions[1].id", "use", "questions[1].id"),
    ("questions[1].id", "Team", "questions[1].id"),
    ("questions[1].id", "", "questions[1].id"),
    ("questions[1].id", "a" * 41, "questions[1].id"),
    ("questions[1].text", "x" * 501, "questions[1].text"),
    ("questions[1].text", "  ", "questions[1].text"),
    ("questions[1].required", "no", "questions[1].required"),
    ("questions[0]", {"text": "What for?"}, "questions[0].id"),
    ("questions[0]", "What for?", "questions[0]"),
    ("rules[0].effect", "allowed", "rules[0].effect"),
    ("rules[0].effect", "maybe", "rules[0].effect"),
    ("rules[0].reason", "", "rules[0].reason"),
    ("rules[0].reason", "x" * 501, "rules[0].reason"),
    ("rules[0]", {"purposes": ["commercial"]}, "rules[0].reason"),
    ("rules[0].source", "x" * 101, "rules[0].source"),
    ("rules[0].purposes", ["commercial", "profit"], "rules[0].purposes[1]"),
    ("labels", {"id": "tk-attribution"}, "labels"),
    ("labels", [{"id": "tk-attribution", "community": "X"}] * 21, "labels"),
    ("labels[0]", "tk-non-commercial", "labels[0]"),
    ("labels[0].id", "tk-no-such-label", "labels[0].id"),
    ("labels[0].id", "TK-NON-COMMERCIAL", "labels[0].id"),
    ("labels[0].id", 3, "labels[0].id"),
    ("labels[1].id", "tk-non-commercial", "labels[1].id"),
    ("labels[1]", {"community": "Radio Kinshasa"}, "labels[1].id"),
    ("labels[1]", {"id": "tk-attribution"}, "labels[1].community"),
    ("labels[1].community", "  ", "labels[1].community"),
    ("labels[1].community", "x" * 201, "labels[1].community"),
    ("labels[1].community", None, "labels[1].community"),
    ("labels[0].text", "x" * 2001, "labels[0].text"),
    ("labels[0].text", ["Not for sale."], "labels[0].text"),
    ("labels[0].url", "https://localcontexts.org", "labels[0].url"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_VALUES)
def test_bad_values_name_their_field(path, value, field):
    with pytest.raises(PolicyError) as error:
        policy_from_document(_with(path, value), licence=CC_BY)
    assert error.value.field == field
    assert error.value.message
    assert str(error.value).startswith(field)


def test_the_unchanged_fixture_is_valid():
    policy = policy_from_document(_with("attribution", "ok"), licence=CC_BY)
    assert policy.geography.places == {"KE", "NG", "AFRICA"}


def test_places_anywhere_must_be_empty():
    with pytest.raises(PolicyError) as error:
        policy_from_document({"geography": {"places": ["KE"]}}, licence=CC_BY)
    assert error.value.field == "geography.places"


def test_a_document_must_be_an_object():
    with pytest.raises(PolicyError) as error:
        policy_from_document([], licence=CC_BY)
    assert error.value.field == ""


def test_a_stored_document_needs_its_licence():
    stored = stored_document(Policy(licence=CC_BY))
    del stored["licence"]
    with pytest.raises(PolicyError) as error:
        policy_from_stored(stored)
    assert error.value.field == "licence"


def test_a_policy_document_cannot_set_the_licence():
    with pytest.raises(PolicyError) as error:
        policy_from_document(stored_document(Policy(licence=CC_BY)), licence=CC_BY)
    assert error.value.field == "licence"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identifier": ""}, "licence.identifier"),
        ({"commercialUse": "no"}, "licence.commercialUse"),
        ({"rules": [{"effect": "denied"}]}, "licence.rules[0].reason"),
        ({"url": "https://example.org"}, "licence.url"),
    ],
)
def test_bad_licence_snapshots_name_their_field(change, field):
    stored = stored_document(Policy(licence=CC_BY))
    stored["licence"].update(change)
    with pytest.raises(PolicyError) as error:
        policy_from_stored(stored)
    assert error.value.field == field


def test_policy_errors_are_value_errors():
    assert issubclass(PolicyError, ValueError)
