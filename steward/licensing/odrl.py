"""A usage policy as a W3C ODRL 2.2 policy in JSON-LD, for machines that read licences.

The output uses the ODRL context ("@context": "http://www.w3.org/ns/odrl.jsonld"); a copy of
it, written from the ODRL 2.2 vocabulary's term list, is bundled as odrl-context.json so that
tests (and anyone offline) can expand it without the network (`context_document()`).

How the policy maps (ODRL has no order between rules, so each rule stands on its own):

- One `use` permission per price: one for each price rule (its audience as constraints) and
  one for the base price. A price is an `odrl:compensate` duty refined by `payAmount` (the
  creator's price, in the currency's unit; the platform fee the buyer pays on top is not
  part of the licence). Where price rules overlap, Steward charges the first that matches.
- Constraints shared by every permission: `purpose` isAnyOf the admitted purposes,
  `spatial` isAnyOf (allow-list) or isNoneOf (deny-list), `elapsedTime` lteq the grant's
  length. Purposes and organization types are written as Steward's own words ("research",
  "company"); places as ISO 3166-1 alpha-2 country codes (plain literals), with regions
  expanded into their countries, since ODRL knows no region codes.
- `distribute` is permitted, and `derive` when the licence allows derivatives, both with the
  attribution duty (and `nextPolicy` when the licence is share-alike).
- Manual approval is an `obtainConsent` duty on every `use`. A rule that sends an audience to
  approval (NOODL-1.0) adds, for each price, a permission for that audience with the duty,
  and excludes that audience from the permission without it.
- Prohibitions, which win any conflict ("conflict": "prohibit"): `use` for purposes not
  admitted, `use` for each audience a rule refuses, `odrl:commercialize` when the licence
  does not allow commercial use, `derive` when it does not allow derivatives.
- Organization types are not in ODRL's vocabulary: constraints on them use the left operand
  `<profile>#organizationType`, and the policy then names the profile.
- The type is "Offer" when something must be agreed with the assigner (a price or a
  consent), "Set" otherwise.
- Local Contexts labels: the rules a label carries are prohibitions and consent duties like
  any other rule, their comments naming the label and its community. Each label is also
  listed under `<profile>#label` as a node of type `<profile>#LocalContextsLabel` with its id
  (`<profile>#labelId`), name (`rdfs:label`), community (`<profile>#community`), the
  community's text (`dct:description`), what it means in plain words (`rdfs:comment`) and
  the Local Contexts page of its kind (`rdfs:seeAlso`).

What ODRL cannot say (questions, verification, guardians, renewal reports, free-text
conditions) is left out: the `usagePolicy` document (document.py) is the complete statement.
"""

import json
from functools import cache
from pathlib import Path

from .describe import describe_label
from .engine import (
    Approval,
    Audience,
    GeographyMode,
    Label,
    Outcome,
    Policy,
    Purpose,
    admitted_purposes,
)
from .regions import COUNTRIES, expand_places

CONTEXT_URL = "http://www.w3.org/ns/odrl.jsonld"
CONTEXT_FILE = Path(__file__).with_name("odrl-context.json")
# Names Steward's own left operands; pass the site's own IRI to make them resolvable.
PROFILE = "urn:steward:odrl"
CURRENCY_UNITS = {"usd": "http://dbpedia.org/resource/United_States_dollar"}


@cache
def context_document() -> dict:
    """The bundled ODRL 2.2 JSON-LD context, as served at CONTEXT_URL."""
    return json.loads(CONTEXT_FILE.read_text())


def to_odrl(
    policy: Policy, *, uid: str, target: str, assigner: str, profile: str = PROFILE
) -> dict:
    """The policy as an ODRL 2.2 policy: `uid` is its IRI, `target` the dataset's IRI,
    `assigner` the owning organization's IRI."""
    writer = _Writer(policy, target=target, assigner=assigner, profile=profile)
    document = {
        "@context": CONTEXT_URL,
        "@type": "Set",
        "uid": uid,
        "conflict": "prohibit",
    }
    permissions = writer.permissions()
    prohibitions = writer.prohibitions()
    if policy.labels:
        document[f"{profile}#label"] = [_label_node(label, profile) for label in policy.labels]
        writer.uses_profile = True
    if writer.uses_profile:
        document["profile"] = profile
    if any(
        _duty_action(duty) in ("compensate", "obtainConsent")
        for permission in permissions
        for duty in permission.get("duty", [])
    ):
        document["@type"] = "Offer"
    if permissions:
        document["permission"] = permissions
    if prohibitions:
        document["prohibition"] = prohibitions
    return document


def _label_node(label: Label, profile: str) -> dict:
    node = {
        "@type": f"{profile}#LocalContextsLabel",
        f"{profile}#labelId": label.id,
        f"{profile}#community": label.community,
        "rdfs:label": label.type.name,
        "rdfs:comment": " ".join(describe_label(label)),
        "rdfs:seeAlso": {"@id": label.type.url},
    }
    if label.text:
        node["dct:description"] = label.text
    return node


def _duty_action(duty: dict) -> str:
    action = duty["action"]
    if isinstance(action, list):  # a refined action: [{"rdf:value": {"@id": "odrl:..."}}]
        return action[0]["rdf:value"]["@id"].removeprefix("odrl:")
    return action


class _Writer:
    def __init__(self, policy: Policy, *, target: str, assigner: str, profile: str):
        self.policy = policy
        self.target = target
        self.assigner = assigner
        self.profile = profile
        self.uses_profile = False

    # Permissions

    def permissions(self) -> list[dict]:
        policy = self.policy
        admitted = admitted_purposes(policy)
        if not admitted:
            return []  # nobody may use it at all: the prohibitions say so
        shared = self.shared_constraints(admitted)
        duties = self.attribution_duties()
        if policy.approval == Approval.MANUAL:
            duties.append(self.consent_duty("The organization approves each request."))
            approval_rules = []
        else:
            approval_rules = [
                rule for rule in policy.all_rules if rule.effect == Outcome.NEEDS_APPROVAL
            ]

        prices = [(rule.audience, rule.price_cents) for rule in policy.price_rules]
        prices.append((None, policy.base_price_cents))
        permissions = []
        for audience, price in prices:
            constraints = shared + (self.audience_constraints(audience) if audience else [])
            price_duties = duties + ([self.compensate_duty(price)] if price else [])
            # Everyone in this price's audience but those the approval rules name...
            exclusions = [self.negated(rule.audience) for rule in approval_rules]
            if all(exclusion is not None for exclusion in exclusions):
                permissions.append(self.rule("use", constraints + exclusions, price_duties))
            # ...and those, once the organization consents.
            for rule in approval_rules:
                if audience and _disjoint(audience, rule.audience):
                    continue  # no one is in both (free in Africa, approval outside it)
                permissions.append(
                    self.rule(
                        "use",
                        constraints + self.audience_constraints(rule.audience),
                        [*price_duties, self.consent_duty(_rule_text(rule))],
                    )
                )

        sharing = self.attribution_duties()
        if policy.licence.share_alike:
            same_licence = f"Share it under the same licence ({policy.licence.identifier})."
            sharing.append({"action": "nextPolicy", "rdfs:comment": same_licence})
        permissions.append(self.rule("distribute", shared, sharing))
        if policy.licence.derivatives:
            permissions.append(self.rule("derive", shared, sharing))
        return permissions

    def shared_constraints(self, admitted: frozenset[Purpose]) -> list[dict]:
        policy = self.policy
        constraints = []
        if admitted != frozenset(Purpose):
            constraints.append(_constraint("purpose", "isAnyOf", _purpose_values(admitted)))
        geography = policy.geography
        if geography.mode != GeographyMode.ANYWHERE:
            operator = "isAnyOf" if geography.mode == GeographyMode.ALLOW else "isNoneOf"
            constraints.append(_constraint("spatial", operator, _countries(geography.places)))
        if policy.grant_days:
            constraints.append(
                _constraint(
                    "elapsedTime",
                    "lteq",
                    {"@value": f"P{policy.grant_days}D", "@type": "xsd:duration"},
                )
            )
        return constraints

    def attribution_duties(self) -> list[dict]:
        policy = self.policy
        if not (policy.licence.attribution or policy.attribution):
            return []
        duty = {"action": "attribute", "attributedParty": self.assigner}
        if policy.attribution:
            duty["rdfs:comment"] = policy.attribution
        return [duty]

    def compensate_duty(self, price_cents: int) -> dict:
        currency = self.policy.currency
        amount = {"@value": f"{price_cents // 100}.{price_cents % 100:02d}", "@type": "xsd:decimal"}
        refinement = {"leftOperand": "payAmount", "operator": "eq", "rightOperand": amount}
        if currency in CURRENCY_UNITS:
            refinement["unit"] = {"@id": CURRENCY_UNITS[currency]}
        return {
            "action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [refinement]}],
            "compensatedParty": self.assigner,
        }

    def consent_duty(self, reason: str) -> dict:
        return {
            "action": "obtainConsent",
            "consentingParty": self.assigner,
            "rdfs:comment": reason,
        }

    # Prohibitions

    def prohibitions(self) -> list[dict]:
        policy = self.policy
        prohibitions = []
        refused = frozenset(Purpose) - admitted_purposes(policy)
        if refused:
            prohibitions.append(
                self.rule("use", [_constraint("purpose", "isAnyOf", _purpose_values(refused))])
            )
        for rule in policy.all_rules:
            if rule.effect == Outcome.DENIED:
                prohibition = self.rule("use", self.audience_constraints(rule.audience))
                prohibition["rdfs:comment"] = _rule_text(rule)
                prohibitions.append(prohibition)
        if not policy.licence.commercial_use:
            prohibitions.append(self.rule("odrl:commercialize"))
        if not policy.licence.derivatives:
            prohibitions.append(self.rule("derive"))
        return prohibitions

    # Building blocks

    def rule(self, action: str, constraints=(), duties=()) -> dict:
        rule = {"target": self.target, "assigner": self.assigner, "action": action}
        if constraints:
            rule["constraint"] = list(constraints)
        if duties:
            rule["duty"] = list(duties)
        return rule

    def audience_constraints(self, audience: Audience) -> list[dict]:
        """Constraints that hold for exactly the audience (all of them at once)."""
        constraints = []
        if audience.purposes:
            constraints.append(
                _constraint("purpose", "isAnyOf", _purpose_values(audience.purposes))
            )
        if audience.places:
            operator = "isNoneOf" if audience.outside_places else "isAnyOf"
            constraints.append(_constraint("spatial", operator, _countries(audience.places)))
        if audience.organization_types:
            constraints.append(self.organization_constraint("isAnyOf", audience))
        return constraints

    def negated(self, audience: Audience) -> dict | None:
        """One constraint that holds for everyone outside the audience; None if the audience
        is everyone. Not (A and B) is (not A) or (not B)."""
        atoms = []
        if audience.purposes:
            atoms.append(_constraint("purpose", "isNoneOf", _purpose_values(audience.purposes)))
        if audience.places:
            operator = "isAnyOf" if audience.outside_places else "isNoneOf"
            atoms.append(_constraint("spatial", operator, _countries(audience.places)))
        if audience.organization_types:
            atoms.append(self.organization_constraint("isNoneOf", audience))
        if not atoms:
            return None
        if len(atoms) == 1:
            return atoms[0]
        return {"or": {"@list": atoms}}

    def organization_constraint(self, operator: str, audience: Audience) -> dict:
        self.uses_profile = True
        values = sorted(str(kind) for kind in audience.organization_types)
        return {
            "leftOperand": {"@id": f"{self.profile}#organizationType"},
            "operator": operator,
            "rightOperand": values,
        }


def _disjoint(a: Audience, b: Audience) -> bool:
    """True when no requester can be in both audiences."""
    if a.purposes and b.purposes and not a.purposes & b.purposes:
        return True
    kinds_a, kinds_b = a.organization_types, b.organization_types
    if kinds_a and kinds_b and not kinds_a & kinds_b:
        return True
    if a.places and b.places:
        return not _admitted_countries(a) & _admitted_countries(b)
    return False


def _admitted_countries(audience: Audience) -> frozenset[str]:
    listed = expand_places(audience.places)
    return COUNTRIES - listed if audience.outside_places else listed


def _constraint(left: str, operator: str, right) -> dict:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def _purpose_values(purposes) -> list[str]:
    return [purpose.value for purpose in Purpose if purpose in purposes]


def _countries(places: frozenset[str]) -> list[str]:
    return sorted(expand_places(places))


def _rule_text(rule) -> str:
    return f"{rule.source}: {rule.reason}" if rule.source else rule.reason
