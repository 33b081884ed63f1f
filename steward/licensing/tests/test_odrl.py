"""ODRL export: the output is JSON-LD that expands, with the ODRL context served from the
bundled copy (no network), into the triples the policy means."""

import json

import pytest
from hypothesis import given
from pyld import jsonld

from steward.licensing.engine import (
    Approval,
    Audience,
    Geography,
    GeographyMode,
    Label,
    OrganizationType,
    Policy,
    PriceRule,
    Purpose,
    Rule,
)
from steward.licensing.licences import terms_for
from steward.licensing.odrl import CONTEXT_URL, PROFILE, context_document, to_odrl
from steward.licensing.regions import REGIONS

from .strategies import SETTINGS, policies

ODRL = "http://www.w3.org/ns/odrl/2/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDF_VALUE = RDF + "value"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDFS_COMMENT = RDFS + "comment"
DCT_DESCRIPTION = "http://purl.org/dc/terms/description"
UID = "https://steward.example.org/policies/7"
TARGET = "https://steward.example.org/datasets/abc"
ASSIGNER = "https://steward.example.org/organizations/radio-kinshasa"


def load_locally(url, options=None):
    """A JSON-LD document loader that knows only the ODRL context, from the bundled file."""
    if url != CONTEXT_URL:
        raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": context_document()}


class Graph:
    """The triples of a JSON-LD document, with the few look-ups the tests need."""

    def __init__(self, document: dict):
        # Through JSON first: what the API sends is text.
        document = json.loads(json.dumps(document))
        dataset = jsonld.to_rdf(document, {"documentLoader": load_locally})
        self.triples = {
            (t["subject"]["value"], t["predicate"]["value"], t["object"]["value"])
            for t in dataset["@default"]
        }

    def objects(self, subject, predicate) -> set[str]:
        return {o for s, p, o in self.triples if s == subject and p == predicate}

    def one(self, subject, predicate) -> str:
        (value,) = self.objects(subject, predicate)
        return value

    def rules(self, kind: str, action: str) -> list[str]:
        """The permission/prohibition nodes of the policy with that action."""
        return [
            node
            for node in self.objects(UID, ODRL + kind)
            if ODRL + action in self.objects(node, ODRL + "action")
        ]

    def constraints(self, rule) -> dict[tuple[str, str], set[str]]:
        """{(leftOperand, operator): rightOperands} of a rule's plain constraints."""
        found = {}
        for node in self.objects(rule, ODRL + "constraint"):
            left = self.objects(node, ODRL + "leftOperand")
            if left:
                operator = self.one(node, ODRL + "operator").removeprefix(ODRL)
                key = (left.pop().removeprefix(ODRL), operator)
                found[key] = self.objects(node, ODRL + "rightOperand")
        return found

    def list_items(self, head) -> list[str]:
        items = []
        while head != RDF + "nil":
            items.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return items

    def duty_actions(self, rule) -> set[str]:
        actions = set()
        for duty in self.objects(rule, ODRL + "duty"):
            for action in self.objects(duty, ODRL + "action"):
                refined = self.objects(action, RDF_VALUE)
                actions.add((refined.pop() if refined else action).removeprefix(ODRL))
        return actions


def graph_of(policy: Policy) -> Graph:
    return Graph(to_odrl(policy, uid=UID, target=TARGET, assigner=ASSIGNER))


def test_the_bundled_context_is_the_odrl_vocabulary():
    context = context_document()["@context"]
    assert context["odrl"] == ODRL
    for term in ["Offer", "Set", "permission", "prohibition", "duty", "constraint"]:
        assert term in context
    for term in ["use", "distribute", "derive", "attribute", "compensate", "obtainConsent"]:
        assert context[term] == f"odrl:{term}"
    for term in ["purpose", "spatial", "payAmount", "isAnyOf", "isNoneOf", "refinement"]:
        assert term in context


def test_an_open_policy_is_a_set_permitting_use_distribution_and_derivation():
    graph = graph_of(Policy(licence=terms_for("CC-BY-4.0")))
    document = to_odrl(
        Policy(licence=terms_for("CC-BY-4.0")), uid=UID, target=TARGET, assigner=ASSIGNER
    )
    assert document["@context"] == CONTEXT_URL
    assert (UID, RDF_TYPE, ODRL + "Set") in graph.triples
    assert graph.one(UID, ODRL + "conflict") == ODRL + "prohibit"
    (use,) = graph.rules("permission", "use")
    assert graph.one(use, ODRL + "target") == TARGET
    assert graph.one(use, ODRL + "assigner") == ASSIGNER
    assert graph.constraints(use) == {}
    assert graph.duty_actions(use) == {"attribute"}
    assert graph.rules("permission", "distribute")
    assert graph.rules("permission", "derive")
    assert not graph.objects(UID, ODRL + "prohibition")


def test_a_deny_listed_country_is_in_an_is_none_of_spatial_constraint():
    policy = Policy(
        licence=terms_for("CC0-1.0"),
        geography=Geography(GeographyMode.DENY, frozenset({"KE", "EU"})),
    )
    graph = graph_of(policy)
    (use,) = graph.rules("permission", "use")
    assert graph.constraints(use) == {("spatial", "isNoneOf"): REGIONS["EU"] | {"KE"}}
    assert graph.duty_actions(use) == set()  # CC0 asks for no attribution


def test_an_allow_list_is_an_is_any_of_spatial_constraint():
    policy = Policy(
        licence=terms_for("CC-BY-4.0"),
        geography=Geography(GeographyMode.ALLOW, frozenset({"AFRICA"})),
    )
    graph = graph_of(policy)
    for action in ["use", "distribute", "derive"]:
        (rule,) = graph.rules("permission", action)
        assert graph.constraints(rule)[("spatial", "isAnyOf")] == REGIONS["AFRICA"]


def test_purposes_constrain_use_and_the_others_are_prohibited():
    policy = Policy(licence=terms_for("CC-BY-4.0"), purposes=frozenset({Purpose.RESEARCH}))
    graph = graph_of(policy)
    (use,) = graph.rules("permission", "use")
    assert graph.constraints(use) == {("purpose", "isAnyOf"): {"research"}}
    (prohibited,) = graph.rules("prohibition", "use")
    assert graph.constraints(prohibited) == {
        ("purpose", "isAnyOf"): {"education", "non_commercial", "commercial"}
    }


def test_a_non_commercial_licence_prohibits_commercialize():
    graph = graph_of(Policy(licence=terms_for("CC-BY-NC-SA-4.0")))
    assert graph.rules("prohibition", "commercialize")
    (use,) = graph.rules("permission", "use")
    assert graph.constraints(use) == {
        ("purpose", "isAnyOf"): {"research", "education", "non_commercial"}
    }
    (derive,) = graph.rules("permission", "derive")
    assert graph.duty_actions(derive) == {"attribute", "nextPolicy"}


def test_no_derivatives_prohibits_derive():
    graph = graph_of(Policy(licence=terms_for("CC-BY-ND-4.0")))
    assert not graph.rules("permission", "derive")
    assert graph.rules("prohibition", "derive")
    assert graph.rules("permission", "distribute")


def test_a_price_is_a_compensate_duty_with_its_amount_and_currency():
    policy = Policy(
        licence=terms_for("CC-BY-4.0"),
        attribution="Radio Kinshasa Community",
        base_price_cents=25050,
        price_rules=(PriceRule(Audience(places=frozenset({"AFRICA"})), 0),),
    )
    graph = graph_of(policy)
    assert (UID, RDF_TYPE, ODRL + "Offer") in graph.triples
    uses = graph.rules("permission", "use")
    assert len(uses) == 2
    (paid,) = [use for use in uses if "compensate" in graph.duty_actions(use)]
    (free,) = [use for use in uses if use != paid]
    assert graph.constraints(free) == {("spatial", "isAnyOf"): REGIONS["AFRICA"]}
    assert graph.constraints(paid) == {}
    (duty,) = [
        duty
        for duty in graph.objects(paid, ODRL + "duty")
        if graph.objects(duty, ODRL + "compensatedParty")
    ]
    assert graph.one(duty, ODRL + "compensatedParty") == ASSIGNER
    (action,) = graph.objects(duty, ODRL + "action")
    assert graph.one(action, RDF_VALUE) == ODRL + "compensate"
    (refinement,) = graph.objects(action, ODRL + "refinement")
    assert graph.one(refinement, ODRL + "leftOperand") == ODRL + "payAmount"
    assert graph.one(refinement, ODRL + "operator") == ODRL + "eq"
    assert graph.one(refinement, ODRL + "rightOperand") == "250.50"
    assert (
        graph.one(refinement, ODRL + "unit") == "http://dbpedia.org/resource/United_States_dollar"
    )
    attribution_duties = [
        duty
        for duty in graph.objects(paid, ODRL + "duty")
        if ODRL + "attribute" in graph.objects(duty, ODRL + "action")
    ]
    (attribute,) = attribution_duties
    assert graph.one(attribute, RDFS_COMMENT) == "Radio Kinshasa Community"


def test_manual_approval_is_an_obtain_consent_duty():
    policy = Policy(licence=terms_for("MIT"), approval=Approval.MANUAL, grant_days=30)
    graph = graph_of(policy)
    assert (UID, RDF_TYPE, ODRL + "Offer") in graph.triples
    (use,) = graph.rules("permission", "use")
    assert graph.duty_actions(use) == {"attribute", "obtainConsent"}
    assert graph.constraints(use) == {("elapsedTime", "lteq"): {"P30D"}}


def test_noodl_asks_consent_of_commercial_companies_outside_africa_only():
    graph = graph_of(Policy(licence=terms_for("NOODL-1.0")))
    assert graph.one(UID, ODRL + "profile") == PROFILE
    uses = graph.rules("permission", "use")
    (consented,) = [use for use in uses if "obtainConsent" in graph.duty_actions(use)]
    (open_use,) = [use for use in uses if use != consented]
    africa = REGIONS["AFRICA"]
    assert graph.constraints(consented) == {
        ("purpose", "isAnyOf"): {"commercial"},
        ("spatial", "isNoneOf"): africa,
        (f"{PROFILE}#organizationType", "isAnyOf"): {"company"},
    }
    # The open permission excludes that audience: not commercial, or in Africa, or no company.
    (either,) = graph.objects(open_use, ODRL + "constraint")
    (alternatives,) = graph.objects(either, ODRL + "or")
    negated = {}
    for node in graph.list_items(alternatives):
        left = graph.one(node, ODRL + "leftOperand").removeprefix(ODRL)
        operator = graph.one(node, ODRL + "operator").removeprefix(ODRL)
        negated[(left, operator)] = graph.objects(node, ODRL + "rightOperand")
    assert negated == {
        ("purpose", "isNoneOf"): {"commercial"},
        ("spatial", "isAnyOf"): africa,
        (f"{PROFILE}#organizationType", "isNoneOf"): {"company"},
    }


def test_a_refusing_rule_is_a_prohibition_with_its_reason():
    rule = Rule(
        Audience(organization_types=frozenset({OrganizationType.COMPANY})),
        reason="Not for companies.",
        source="TK Non-Commercial",
    )
    graph = graph_of(Policy(licence=terms_for("CC-BY-4.0"), rules=(rule,)))
    (prohibition,) = graph.rules("prohibition", "use")
    assert graph.one(prohibition, RDFS_COMMENT) == "TK Non-Commercial: Not for companies."
    assert graph.constraints(prohibition) == {
        (f"{PROFILE}#organizationType", "isAnyOf"): {"company"}
    }


def test_labels_are_described_and_their_rules_are_prohibitions_and_consent_duties():
    community = "Radio Kinshasa Community"
    policy = Policy(
        licence=terms_for("CC-BY-4.0"),
        labels=(
            Label("tk-non-commercial", community, "Ours, not for sale."),
            Label("tk-secret-sacred", community, "Ask the elders."),
            Label("tk-attribution", community),
        ),
    )
    document = to_odrl(policy, uid=UID, target=TARGET, assigner=ASSIGNER)
    assert document["profile"] == PROFILE
    assert document["@type"] == "Offer"  # the community's consent is asked for
    graph = Graph(document)

    nodes = graph.objects(UID, f"{PROFILE}#label")
    assert len(nodes) == 3
    by_id = {graph.one(node, f"{PROFILE}#labelId"): node for node in nodes}
    assert set(by_id) == {"tk-non-commercial", "tk-secret-sacred", "tk-attribution"}
    node = by_id["tk-non-commercial"]
    assert graph.objects(node, RDF_TYPE) == {f"{PROFILE}#LocalContextsLabel"}
    assert graph.one(node, RDFS + "label") == "TK Non-Commercial"
    assert graph.one(node, f"{PROFILE}#community") == community
    assert graph.one(node, DCT_DESCRIPTION) == "Ours, not for sale."
    assert "Requests for commercial use are refused" in graph.one(node, RDFS_COMMENT)
    assert graph.one(node, RDFS + "seeAlso") == (
        "https://localcontexts.org/labels/traditional-knowledge-labels/"
    )
    assert not graph.objects(by_id["tk-attribution"], DCT_DESCRIPTION)

    # Non-commercial: commercial use is prohibited, named after the label and its community.
    refusals = {
        graph.one(rule, RDFS_COMMENT): graph.constraints(rule)
        for rule in graph.rules("prohibition", "use")
    }
    reason = f"TK Non-Commercial ({community}): The community does not allow commercial use."
    assert refusals[reason] == {("purpose", "isAnyOf"): {"commercial"}}
    # Secret / sacred: every use needs the community's consent, so no use without it.
    uses = graph.rules("permission", "use")
    assert uses and all("obtainConsent" in graph.duty_actions(use) for use in uses)
    consents = {
        graph.one(duty, RDFS_COMMENT)
        for use in uses
        for duty in graph.objects(use, ODRL + "duty")
        if graph.objects(duty, ODRL + "action") == {ODRL + "obtainConsent"}
    }
    assert consents == {
        f"TK Secret / Sacred ({community}): The community must approve every use outside it."
    }


@pytest.mark.parametrize("profile", ["https://steward.example.org/ns/odrl"])
def test_the_profile_can_be_the_sites_own(profile):
    document = to_odrl(
        Policy(licence=terms_for("NOODL-1.0")),
        uid=UID,
        target=TARGET,
        assigner=ASSIGNER,
        profile=profile,
    )
    assert document["profile"] == profile
    assert f"{profile}#organizationType" in json.dumps(document)


@SETTINGS
@given(policies())
def test_every_policy_expands_to_an_odrl_policy(policy):
    graph = graph_of(policy)
    types = graph.objects(UID, RDF_TYPE)
    assert types in ({ODRL + "Offer"}, {ODRL + "Set"})
    for rule in graph.objects(UID, ODRL + "permission") | graph.objects(UID, ODRL + "prohibition"):
        assert graph.one(rule, ODRL + "target") == TARGET
        assert len(graph.objects(rule, ODRL + "action")) == 1
    labels = graph.objects(UID, f"{PROFILE}#label")
    assert {graph.one(node, f"{PROFILE}#labelId") for node in labels} == {
        label.id for label in policy.labels
    }
