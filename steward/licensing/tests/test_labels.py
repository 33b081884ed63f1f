"""Local Contexts labels and notices: the table, the rules each label carries through the
engine, and that a label only ever adds to what a policy asks."""

import re
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from steward.licensing.document import PolicyError, policy_from_document, policy_to_document
from steward.licensing.engine import (
    Label,
    OrganizationType,
    Outcome,
    Policy,
    Purpose,
    Requester,
    decide,
    label_rules,
)
from steward.licensing.labels import (
    KIND_URLS,
    LABELS,
    MAX_COMMUNITY,
    MAX_LABEL_TEXT,
    MAX_LABELS,
    LabelKind,
)
from steward.licensing.licences import terms_for

from .strategies import SETTINGS, label_ids, policies, reasons, requesters, short_text
from .test_engine import strictness

FEE = Decimal("0.05")
CC_BY = terms_for("CC-BY-4.0")
COMMUNITY = "Radio Kinshasa Community"

TK_LABELS = {
    "tk-attribution",
    "tk-clan",
    "tk-family",
    "tk-multiple-communities",
    "tk-community-voice",
    "tk-creative",
    "tk-verified",
    "tk-non-verified",
    "tk-seasonal",
    "tk-women-general",
    "tk-men-general",
    "tk-women-restricted",
    "tk-men-restricted",
    "tk-culturally-sensitive",
    "tk-secret-sacred",
    "tk-outreach",
    "tk-non-commercial",
    "tk-commercial",
    "tk-community-use-only",
    "tk-open-to-collaboration",
}
BC_LABELS = {
    "bc-provenance",
    "bc-multiple-communities",
    "bc-clan",
    "bc-consent-verified",
    "bc-consent-non-verified",
    "bc-research-use",
    "bc-non-commercial",
    "bc-outreach",
    "bc-open-to-collaboration",
    "bc-open-to-commercialization",
}
NOTICES = {
    "tk-notice",
    "bc-notice",
    "attribution-incomplete-notice",
    "open-to-collaborate-notice",
}
# Labels that send every request from outside the organization to approval.
ASK_FIRST = {
    "tk-seasonal",
    "tk-women-general",
    "tk-men-general",
    "tk-women-restricted",
    "tk-men-restricted",
    "tk-culturally-sensitive",
    "tk-secret-sacred",
    "tk-multiple-communities",
    "bc-multiple-communities",
}
RULE_BEARING = ASK_FIRST | {
    "tk-non-commercial",
    "bc-non-commercial",
    "tk-community-use-only",
    "bc-research-use",
    "tk-outreach",
    "bc-outreach",
    "bc-open-to-commercialization",
}
INFORMING = set(LABELS) - RULE_BEARING


def labelled(*ids: str, **changes) -> Policy:
    labels = tuple(Label(label_id, COMMUNITY, "In the community's words.") for label_id in ids)
    return Policy(licence=CC_BY, labels=labels, **changes)


def ask(purpose=Purpose.RESEARCH, kind=OrganizationType.ACADEMIC, country="KE", **extra):
    return Requester(country=country, purpose=purpose, organization_type=kind, **extra)


def decision(policy: Policy, requester: Requester):
    found = decide(policy, requester, fee_rate=FEE)
    return found.outcome, found.code


# The table


def test_the_table_holds_the_local_contexts_labels_and_notices():
    assert set(LABELS) == TK_LABELS | BC_LABELS | NOTICES
    kinds = {label_id: label.kind for label_id, label in LABELS.items()}
    assert {i for i, kind in kinds.items() if kind == LabelKind.TK_LABEL} == TK_LABELS
    assert {i for i, kind in kinds.items() if kind == LabelKind.BC_LABEL} == BC_LABELS
    assert {i for i, kind in kinds.items() if kind == LabelKind.NOTICE} == NOTICES


@pytest.mark.parametrize("label_id", sorted(LABELS))
def test_each_entry_is_complete(label_id):
    label = LABELS[label_id]
    assert label.id == label_id
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", label_id)
    prefix = {LabelKind.TK_LABEL: "TK ", LabelKind.BC_LABEL: "BC "}.get(label.kind)
    if prefix:
        assert label.name.startswith(prefix) and label.code.startswith(prefix)
    else:
        assert label.name.endswith(" Notice")
    assert label.url == KIND_URLS[label.kind]
    assert label.kind_name
    assert label.description.endswith(".") and "\n" not in label.description
    # A label with rules says what they mean; one without says nothing it does not do.
    assert bool(label.meaning) == bool(label.rules) == (label_id in RULE_BEARING)


def test_names_and_codes_are_unique():
    names = [label.name for label in LABELS.values()]
    codes = [label.code for label in LABELS.values()]
    assert len(set(names)) == len(names)
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("label_id", sorted(RULE_BEARING))
def test_label_rules_become_engine_rules_named_after_the_label_and_community(label_id):
    rules = label_rules(Label(label_id, COMMUNITY))
    assert rules
    for rule in rules:
        assert rule.source == f"{LABELS[label_id].name} ({COMMUNITY})"
        assert rule.effect in (Outcome.DENIED, Outcome.NEEDS_APPROVAL)
        assert rule.reason.strip()
        # Labels speak of purposes and kinds of organization, never of places.
        assert not rule.audience.places


def test_an_unknown_label_cannot_be_made():
    with pytest.raises(ValueError, match="tk-unknown"):
        Label("tk-unknown", COMMUNITY)


def test_all_rules_adds_the_labels_rules_after_the_licence_and_policy_rules():
    noodl = Policy(licence=terms_for("NOODL-1.0"), labels=labelled("tk-non-commercial").labels)
    assert noodl.all_rules == noodl.licence.rules + label_rules(noodl.labels[0])


# Each label through the engine

COMMUNITY_ORG = OrganizationType.COMMUNITY
COMPANY = OrganizationType.COMPANY
COMMERCIAL = Purpose.COMMERCIAL
DENIED = (Outcome.DENIED, "refused_by_rule")
APPROVAL = (Outcome.NEEDS_APPROVAL, "approval_required")
ALLOWED = (Outcome.ALLOWED, "allowed")


@pytest.mark.parametrize(
    ("label_id", "requester", "expected"),
    [
        # Non-commercial: commercial use is refused, even to a grant holder (a grant skips
        # approval, never a refusal); anything else goes as the rest of the policy says.
        ("tk-non-commercial", ask(COMMERCIAL, COMPANY), DENIED),
        ("tk-non-commercial", ask(COMMERCIAL, COMPANY, has_grant=True, has_paid=True), DENIED),
        ("tk-non-commercial", ask(COMMERCIAL, COMMUNITY_ORG), DENIED),
        ("tk-non-commercial", ask(Purpose.RESEARCH, COMPANY), ALLOWED),
        ("tk-non-commercial", ask(purpose=None), (Outcome.DENIED, "purpose_required")),
        ("bc-non-commercial", ask(COMMERCIAL, OrganizationType.NONPROFIT), DENIED),
        ("bc-non-commercial", ask(Purpose.EDUCATION), ALLOWED),
        # Community use only: outsiders ask first; commercial use outside community
        # organizations is refused.
        ("tk-community-use-only", ask(Purpose.NON_COMMERCIAL, COMMUNITY_ORG), APPROVAL),
        ("tk-community-use-only", ask(COMMERCIAL, COMMUNITY_ORG), APPROVAL),
        ("tk-community-use-only", ask(Purpose.RESEARCH, OrganizationType.ACADEMIC), APPROVAL),
        ("tk-community-use-only", ask(Purpose.RESEARCH, has_grant=True), ALLOWED),
        ("tk-community-use-only", ask(COMMERCIAL, COMMUNITY_ORG, has_grant=True), ALLOWED),
        ("tk-community-use-only", ask(COMMERCIAL, COMPANY), DENIED),
        ("tk-community-use-only", ask(COMMERCIAL, COMPANY, has_grant=True), DENIED),
        ("tk-community-use-only", ask(COMMERCIAL, OrganizationType.INDIVIDUAL), DENIED),
        ("tk-community-use-only", ask(COMMERCIAL, OrganizationType.GOVERNMENT), DENIED),
        (
            "tk-community-use-only",
            ask(COMMERCIAL, kind=None),
            (Outcome.DENIED, "organization_type_required"),
        ),
        ("tk-community-use-only", ask(COMMERCIAL, COMPANY, is_member=True), ALLOWED),
        # Research use: any other purpose is refused.
        ("bc-research-use", ask(Purpose.RESEARCH), ALLOWED),
        ("bc-research-use", ask(Purpose.EDUCATION), DENIED),
        ("bc-research-use", ask(Purpose.NON_COMMERCIAL), DENIED),
        ("bc-research-use", ask(COMMERCIAL, COMPANY), DENIED),
        # Outreach: educational outreach only.
        ("tk-outreach", ask(Purpose.EDUCATION), ALLOWED),
        ("tk-outreach", ask(Purpose.RESEARCH), DENIED),
        ("bc-outreach", ask(COMMERCIAL, COMPANY), DENIED),
        ("bc-outreach", ask(Purpose.EDUCATION, OrganizationType.NONPROFIT), ALLOWED),
        # Open to commercialization: commercial use is negotiated first.
        ("bc-open-to-commercialization", ask(COMMERCIAL, COMPANY), APPROVAL),
        ("bc-open-to-commercialization", ask(COMMERCIAL, COMPANY, has_grant=True), ALLOWED),
        ("bc-open-to-commercialization", ask(Purpose.RESEARCH), ALLOWED),
    ],
)
def test_a_labels_rules_decide(label_id, requester, expected):
    assert decision(labelled(label_id), requester) == expected


@pytest.mark.parametrize("label_id", sorted(ASK_FIRST))
@pytest.mark.parametrize("purpose", list(Purpose))
def test_protocol_labels_send_every_outsider_to_approval(label_id, purpose):
    policy = labelled(label_id)
    assert decision(policy, ask(purpose, COMMUNITY_ORG)) == APPROVAL
    assert decision(policy, ask(purpose, COMPANY)) == APPROVAL
    assert decision(policy, ask(purpose, COMPANY, has_grant=True)) == ALLOWED
    assert decision(policy, ask(purpose, COMPANY, is_member=True)) == ALLOWED


def test_a_refusal_names_the_label_and_the_community():
    refused = decide(labelled("tk-non-commercial"), ask(COMMERCIAL, COMPANY), fee_rate=FEE)
    assert refused.message == (
        f"TK Non-Commercial ({COMMUNITY}): The community does not allow commercial use."
    )
    asked = decide(labelled("tk-secret-sacred"), ask(), fee_rate=FEE)
    assert asked.message == (
        f"TK Secret / Sacred ({COMMUNITY}): The community must approve every use outside it."
    )


def test_only_rule_bearing_labels_close_an_open_policy():
    assert labelled(*sorted(INFORMING)).is_open
    for label_id in RULE_BEARING:
        assert not labelled(label_id).is_open


def test_labels_add_to_the_policys_own_conditions():
    # A price still applies once the community approves, and a manual policy still asks.
    priced = labelled("tk-secret-sacred", base_price_cents=25000)
    assert decision(priced, ask(has_grant=True)) == (Outcome.NEEDS_PAYMENT, "payment_required")
    research_only = labelled("tk-non-commercial", purposes=frozenset({Purpose.RESEARCH}))
    assert decision(research_only, ask(Purpose.EDUCATION))[0] == Outcome.DENIED


# Properties


@SETTINGS
@given(st.data())
def test_adding_a_label_never_decides_more_leniently(data):
    policy = data.draw(policies())
    requester = data.draw(requesters())
    label_id = data.draw(label_ids)
    assume(label_id not in {label.id for label in policy.labels})
    label = Label(label_id, data.draw(reasons), data.draw(short_text))
    labelled_policy = replace(policy, labels=(*policy.labels, label))
    assert strictness(labelled_policy, requester) >= strictness(policy, requester)


@SETTINGS
@given(policies(), requesters(), st.sampled_from(sorted(INFORMING)))
def test_an_informing_label_changes_no_decision(policy, requester, label_id):
    assume(label_id not in {label.id for label in policy.labels})
    informed = replace(policy, labels=(*policy.labels, Label(label_id, COMMUNITY)))
    assert decide(informed, requester, fee_rate=FEE) == decide(policy, requester, fee_rate=FEE)
    assert informed.is_open == policy.is_open


@SETTINGS
@given(policies(), requesters(), st.sampled_from(["tk-non-commercial", "bc-non-commercial"]))
def test_a_non_commercial_label_refuses_every_commercial_request(policy, requester, label_id):
    assume(label_id not in {label.id for label in policy.labels})
    policy = replace(policy, labels=(*policy.labels, Label(label_id, COMMUNITY)))
    commercial = replace(requester, purpose=Purpose.COMMERCIAL)
    assert decide(policy, commercial, fee_rate=FEE).outcome == Outcome.DENIED


# The document's limits


def test_the_documents_limits_are_inclusive():
    document = {
        "labels": [
            {"id": label_id, "community": "c" * MAX_COMMUNITY, "text": "t" * MAX_LABEL_TEXT}
            for label_id in sorted(LABELS)[:MAX_LABELS]
        ]
    }
    policy = policy_from_document(document, licence=CC_BY)
    assert len(policy.labels) == MAX_LABELS
    assert policy_to_document(policy)["labels"] == document["labels"]
    document["labels"].append({"id": sorted(LABELS)[MAX_LABELS], "community": "c"})
    with pytest.raises(PolicyError) as error:
        policy_from_document(document, licence=CC_BY)
    assert error.value.field == "labels"
