"""A usage policy as a JSON document: the shape stored in a JSON column and shown by the API
as `usagePolicy`. Keys are camelCase; every key is optional and takes the default below.

    {
      "attribution": "",                 # the credit line users must give
      "purposes": [],                    # research, education, non_commercial, commercial;
                                         # empty: any purpose
      "geography": {"mode": "anywhere", "places": []},   # or "allow" / "deny" with places:
                                         # ISO 3166-1 alpha-2 codes and regions.py codes
      "pricing": {"currency": "usd", "basePriceCents": 0, "rules": [
          {"purposes": [], "places": [], "outsidePlaces": false, "organizationTypes": [],
           "priceCents": 0}]},           # the first rule that matches sets the price
      "approval": "automatic",           # or "manual"
      "requestRequired": false,
      "guardiansRequired": 1,
      "grantDays": null,                 # null: grants do not expire
      "renewalReportRequired": false,
      "verifiedOrganizationRequired": false,
      "questions": [{"id": "use", "text": "What will you build?", "required": true}],
      "conditions": "",
      "rules": [
          {"purposes": [], "places": [], "outsidePlaces": false, "organizationTypes": [],
           "effect": "denied", "reason": "...", "source": "..."}],
      "labels": [{"id": "tk-non-commercial", "community": "...", "text": "..."}]
    }

`labels` are Local Contexts TK and BC Labels and Notices (labels.py: the known ids and the
rules each carries): at most 20, each id once, the community that applied it (required, up
to 200 characters) and its own text (up to 2000). The key is written only when there are
labels, so that a policy without any reads and stores exactly as it did before labels existed.

`policy_from_document` validates everything and raises `PolicyError(field, message)` where
`field` is the dotted path of the first wrong value ("geography.places[2]",
"pricing.rules[0].priceCents"; "" for the document itself). A stored document
(`stored_document`) also carries the licence's facts under "licence", so a policy version
reads back exactly as it was published even if the licence table changes later.
"""

import re
from collections.abc import Iterable
from typing import Any

from .engine import (
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
    Rule,
)
from .labels import LABELS, MAX_COMMUNITY, MAX_LABEL_TEXT, MAX_LABELS, Label
from .regions import is_place

CURRENCIES = ("usd",)
# A price is free (0) or between 1 and 50,000 USD, in cents.
MIN_PRICE_CENTS = 100
MAX_PRICE_CENTS = 5_000_000
MAX_GRANT_DAYS = 3650
MAX_GUARDIANS = 20
MAX_QUESTIONS = 50
MAX_RULES = 50
MAX_PLACES = 300
MAX_TEXT = 7500  # attribution and conditions
MAX_LICENCE_TEXT = 100_000  # a custom licence's full text
MAX_QUESTION_TEXT = 500
MAX_REASON = 500
MAX_SOURCE = 100
MAX_LICENCE_IDENTIFIER = 100
MAX_LICENCE_NAME = 1000
QUESTION_ID = re.compile(r"[a-z0-9_-]{1,40}")

# What each rule's effect is called in a document.
RULE_EFFECTS = (Outcome.DENIED, Outcome.NEEDS_APPROVAL)

POLICY_KEYS = (
    "attribution",
    "purposes",
    "geography",
    "pricing",
    "approval",
    "requestRequired",
    "guardiansRequired",
    "grantDays",
    "renewalReportRequired",
    "verifiedOrganizationRequired",
    "questions",
    "conditions",
    "rules",
    "labels",
)
AUDIENCE_KEYS = ("purposes", "places", "outsidePlaces", "organizationTypes")


class PolicyError(ValueError):
    """A policy document that cannot be used; `field` is the dotted path of the wrong value."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


# Writing


def policy_to_document(policy: Policy) -> dict:
    """The policy as a JSON-ready dict, with every key (but `labels` when there are none) and
    a stable order in each list."""
    document = {
        "attribution": policy.attribution,
        "purposes": _values(Purpose, policy.purposes),
        "geography": {
            "mode": GeographyMode(policy.geography.mode).value,
            "places": sorted(policy.geography.places),
        },
        "pricing": {
            "currency": policy.currency,
            "basePriceCents": policy.base_price_cents,
            "rules": [
                {**_audience_document(rule.audience), "priceCents": rule.price_cents}
                for rule in policy.price_rules
            ],
        },
        "approval": Approval(policy.approval).value,
        "requestRequired": policy.request_required,
        "guardiansRequired": policy.guardians_required,
        "grantDays": policy.grant_days,
        "renewalReportRequired": policy.renewal_report_required,
        "verifiedOrganizationRequired": policy.verified_organization_required,
        "questions": [
            {"id": question.id, "text": question.text, "required": question.required}
            for question in policy.questions
        ],
        "conditions": policy.conditions,
        "rules": [_rule_document(rule) for rule in policy.rules],
    }
    if policy.labels:
        document["labels"] = [
            {"id": label.id, "community": label.community, "text": label.text}
            for label in policy.labels
        ]
    return document


def licence_to_document(licence: LicenceTerms) -> dict:
    """A snapshot of a licence's facts."""
    return {
        "identifier": licence.identifier,
        "name": licence.name,
        "attribution": licence.attribution,
        "shareAlike": licence.share_alike,
        "commercialUse": licence.commercial_use,
        "derivatives": licence.derivatives,
        "rules": [_rule_document(rule) for rule in licence.rules],
        "text": licence.text,
    }


# A custom licence as a usagePolicy states it: its text and facts (camelCase, like the API).
CUSTOM_LICENCE_KEYS = ("text", "attribution", "shareAlike", "commercialUse", "derivatives")


def custom_licence_to_document(licence: LicenceTerms) -> dict:
    """The usagePolicy `licence` object of a custom licence."""
    return {
        "text": licence.text,
        "attribution": licence.attribution,
        "shareAlike": licence.share_alike,
        "commercialUse": licence.commercial_use,
        "derivatives": licence.derivatives,
    }


def custom_licence_from_document(doc: Any, *, identifier: str, name: str = "") -> LicenceTerms:
    """A custom licence named `identifier` with the text and facts of a usagePolicy `licence`
    object (missing facts: attribution required, commercial use and derivatives allowed).
    Raises PolicyError naming "licence.<key>"."""
    doc = _object(doc, "licence", CUSTOM_LICENCE_KEYS)
    return LicenceTerms(
        identifier=identifier,
        name=name or identifier,
        text=_string(doc.get("text", ""), "licence.text", MAX_LICENCE_TEXT),
        attribution=_boolean(doc.get("attribution", True), "licence.attribution"),
        share_alike=_boolean(doc.get("shareAlike", False), "licence.shareAlike"),
        commercial_use=_boolean(doc.get("commercialUse", True), "licence.commercialUse"),
        derivatives=_boolean(doc.get("derivatives", True), "licence.derivatives"),
    )


def stored_document(policy: Policy) -> dict:
    """What a policy version stores: the policy document and its licence's facts."""
    return {**policy_to_document(policy), "licence": licence_to_document(policy.licence)}


def _values(enum: Iterable, members: Iterable) -> list[str]:
    """Enum values in the enum's own order (research before commercial)."""
    chosen = set(members)
    return [member.value for member in enum if member in chosen]


def _audience_document(audience: Audience) -> dict:
    return {
        "purposes": _values(Purpose, audience.purposes),
        "places": sorted(audience.places),
        "outsidePlaces": audience.outside_places,
        "organizationTypes": _values(OrganizationType, audience.organization_types),
    }


def _rule_document(rule: Rule) -> dict:
    return {
        **_audience_document(rule.audience),
        "effect": Outcome(rule.effect).value,
        "reason": rule.reason,
        "source": rule.source,
    }


# Reading


def policy_from_document(doc: Any, *, licence: LicenceTerms) -> Policy:
    """The policy a document describes, under `licence`. Raises PolicyError."""
    doc = _object(doc, "", POLICY_KEYS)
    geography = _geography(doc.get("geography", {}), "geography")
    pricing = _object(doc.get("pricing", {}), "pricing", ("currency", "basePriceCents", "rules"))
    currency = _string(pricing.get("currency", "usd"), "pricing.currency", 10).lower()
    if currency not in CURRENCIES:
        raise PolicyError("pricing.currency", f"must be one of: {', '.join(CURRENCIES)}")
    price_rules = tuple(
        PriceRule(
            audience=_audience(rule, path),
            price_cents=_price(_required(rule, "priceCents", path), f"{path}.priceCents"),
        )
        for rule, path in _items(
            pricing.get("rules", []), "pricing.rules", MAX_RULES, (*AUDIENCE_KEYS, "priceCents")
        )
    )
    grant_days = doc.get("grantDays")
    if grant_days is not None:
        grant_days = _integer(grant_days, "grantDays", 1, MAX_GRANT_DAYS)
    return Policy(
        licence=licence,
        attribution=_string(doc.get("attribution", ""), "attribution", MAX_TEXT),
        purposes=_choices(doc.get("purposes", []), "purposes", Purpose),
        geography=geography,
        currency=currency,
        base_price_cents=_price(pricing.get("basePriceCents", 0), "pricing.basePriceCents"),
        price_rules=price_rules,
        approval=_choice(doc.get("approval", "automatic"), "approval", Approval),
        request_required=_boolean(doc.get("requestRequired", False), "requestRequired"),
        guardians_required=_integer(
            doc.get("guardiansRequired", 1), "guardiansRequired", 1, MAX_GUARDIANS
        ),
        grant_days=grant_days,
        renewal_report_required=_boolean(
            doc.get("renewalReportRequired", False), "renewalReportRequired"
        ),
        verified_organization_required=_boolean(
            doc.get("verifiedOrganizationRequired", False), "verifiedOrganizationRequired"
        ),
        questions=_questions(doc.get("questions", []), "questions"),
        conditions=_string(doc.get("conditions", ""), "conditions", MAX_TEXT),
        rules=_rules(doc.get("rules", []), "rules"),
        labels=_labels(doc.get("labels", []), "labels"),
    )


def licence_from_document(doc: Any) -> LicenceTerms:
    """The licence facts of a snapshot made by `licence_to_document`. Raises PolicyError."""
    return _licence(doc, "")


def policy_from_stored(doc: Any) -> Policy:
    """The policy a stored document (`stored_document`) holds. Raises PolicyError."""
    doc = _object(doc, "", (*POLICY_KEYS, "licence"))
    licence = _licence(_required(doc, "licence", ""), "licence")
    return policy_from_document(
        {key: value for key, value in doc.items() if key != "licence"}, licence=licence
    )


def _licence(doc: Any, path: str) -> LicenceTerms:
    keys = (
        "identifier",
        "name",
        "attribution",
        "shareAlike",
        "commercialUse",
        "derivatives",
        "rules",
        "text",
    )
    doc = _object(doc, path, keys)
    identifier = _string(
        _required(doc, "identifier", path), _join(path, "identifier"), MAX_LICENCE_IDENTIFIER
    )
    if not identifier.strip():
        raise PolicyError(_join(path, "identifier"), "must not be empty")
    return LicenceTerms(
        identifier=identifier,
        name=_string(doc.get("name", ""), _join(path, "name"), MAX_LICENCE_NAME),
        attribution=_boolean(doc.get("attribution", True), _join(path, "attribution")),
        share_alike=_boolean(doc.get("shareAlike", False), _join(path, "shareAlike")),
        commercial_use=_boolean(doc.get("commercialUse", True), _join(path, "commercialUse")),
        derivatives=_boolean(doc.get("derivatives", True), _join(path, "derivatives")),
        rules=_rules(doc.get("rules", []), _join(path, "rules")),
        text=_string(doc.get("text", ""), _join(path, "text"), MAX_LICENCE_TEXT),
    )


def _geography(value: Any, path: str) -> Geography:
    doc = _object(value, path, ("mode", "places"))
    mode = _choice(doc.get("mode", "anywhere"), f"{path}.mode", GeographyMode)
    places = _places(doc.get("places", []), f"{path}.places")
    if mode == GeographyMode.ANYWHERE and places:
        raise PolicyError(f"{path}.places", "must be empty when the mode is anywhere")
    if mode != GeographyMode.ANYWHERE and not places:
        raise PolicyError(f"{path}.places", f"name at least one country or region to {mode}")
    return Geography(mode=mode, places=places)


def _audience(doc: dict, path: str) -> Audience:
    places = _places(doc.get("places", []), f"{path}.places")
    outside = _boolean(doc.get("outsidePlaces", False), f"{path}.outsidePlaces")
    if outside and not places:
        raise PolicyError(f"{path}.outsidePlaces", "needs at least one place")
    return Audience(
        purposes=_choices(doc.get("purposes", []), f"{path}.purposes", Purpose),
        places=places,
        organization_types=_choices(
            doc.get("organizationTypes", []), f"{path}.organizationTypes", OrganizationType
        ),
        outside_places=outside,
    )


def _rules(value: Any, path: str) -> tuple[Rule, ...]:
    rules = []
    keys = (*AUDIENCE_KEYS, "effect", "reason", "source")
    for doc, item_path in _items(value, path, MAX_RULES, keys):
        effect = doc.get("effect", "denied")
        if not isinstance(effect, str) or effect not in RULE_EFFECTS:
            raise PolicyError(f"{item_path}.effect", "must be one of: denied, needs_approval")
        reason = _string(_required(doc, "reason", item_path), f"{item_path}.reason", MAX_REASON)
        if not reason.strip():
            raise PolicyError(f"{item_path}.reason", "must not be empty")
        rules.append(
            Rule(
                audience=_audience(doc, item_path),
                reason=reason,
                source=_string(doc.get("source", ""), f"{item_path}.source", MAX_SOURCE),
                effect=Outcome(effect),
            )
        )
    return tuple(rules)


def _labels(value: Any, path: str) -> tuple[Label, ...]:
    labels = []
    seen = set()
    for doc, item_path in _items(value, path, MAX_LABELS, ("id", "community", "text")):
        label_id = _string(_required(doc, "id", item_path), f"{item_path}.id", 100)
        if label_id not in LABELS:
            raise PolicyError(
                f"{item_path}.id", f"unknown Local Contexts label or notice {label_id!r}"
            )
        if label_id in seen:
            raise PolicyError(f"{item_path}.id", f"the label {label_id!r} is already applied")
        seen.add(label_id)
        community = _string(
            _required(doc, "community", item_path), f"{item_path}.community", MAX_COMMUNITY
        )
        if not community.strip():
            raise PolicyError(f"{item_path}.community", "name the community that applied it")
        text = _string(doc.get("text", ""), f"{item_path}.text", MAX_LABEL_TEXT)
        labels.append(Label(id=label_id, community=community, text=text))
    return tuple(labels)


def _questions(value: Any, path: str) -> tuple[Question, ...]:
    questions = []
    seen = set()
    for doc, item_path in _items(value, path, MAX_QUESTIONS, ("id", "text", "required")):
        question_id = _string(_required(doc, "id", item_path), f"{item_path}.id", 40)
        if not QUESTION_ID.fullmatch(question_id):
            raise PolicyError(
                f"{item_path}.id", "use 1 to 40 lower-case letters, digits, '-' or '_'"
            )
        if question_id in seen:
            raise PolicyError(
                f"{item_path}.id", f"another question already has the id {question_id!r}"
            )
        seen.add(question_id)
        text = _string(_required(doc, "text", item_path), f"{item_path}.text", MAX_QUESTION_TEXT)
        if not text.strip():
            raise PolicyError(f"{item_path}.text", "must not be empty")
        required = _boolean(doc.get("required", True), f"{item_path}.required")
        questions.append(Question(id=question_id, text=text, required=required))
    return tuple(questions)


# Typed values


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str, keys: Iterable[str]) -> dict:
    if not isinstance(value, dict):
        raise PolicyError(path, "must be an object")
    allowed = set(keys)
    for key in value:
        if key not in allowed:
            raise PolicyError(_join(path, str(key)), "unknown key")
    return value


def _required(doc: dict, key: str, path: str) -> Any:
    if key not in doc:
        raise PolicyError(_join(path, key), "required")
    return doc[key]


def _items(value: Any, path: str, limit: int, keys: Iterable[str]):
    """(object, path) for each item of a list of objects."""
    items = _list(value, path, limit)
    return [(_object(item, f"{path}[{i}]", keys), f"{path}[{i}]") for i, item in enumerate(items)]


def _list(value: Any, path: str, limit: int) -> list:
    if not isinstance(value, list):
        raise PolicyError(path, "must be a list")
    if len(value) > limit:
        raise PolicyError(path, f"at most {limit} items")
    return value


def _string(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        raise PolicyError(path, "must be a string")
    if len(value) > limit:
        raise PolicyError(path, f"at most {limit} characters")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(path, "must be true or false")
    return value


def _integer(value: Any, path: str, low: int, high: int) -> int:
    # bool is an int in Python, but `true` is not a number in JSON.
    if not isinstance(value, int) or isinstance(value, bool):
        raise PolicyError(path, "must be a whole number")
    if not low <= value <= high:
        raise PolicyError(path, f"must be between {low} and {high}")
    return value


def _price(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PolicyError(path, "must be a whole number of cents")
    if value != 0 and not MIN_PRICE_CENTS <= value <= MAX_PRICE_CENTS:
        raise PolicyError(
            path, f"must be 0 (free) or between {MIN_PRICE_CENTS} and {MAX_PRICE_CENTS} cents"
        )
    return value


def _choice(value: Any, path: str, enum):
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    names = ", ".join(member.value for member in enum)
    raise PolicyError(path, f"must be one of: {names}")


def _choices(value: Any, path: str, enum) -> frozenset:
    items = _list(value, path, 20)
    return frozenset(_choice(item, f"{path}[{i}]", enum) for i, item in enumerate(items))


def _places(value: Any, path: str) -> frozenset[str]:
    places = set()
    for i, item in enumerate(_list(value, path, MAX_PLACES)):
        if not isinstance(item, str):
            raise PolicyError(f"{path}[{i}]", "must be a string")
        code = item.upper()
        if not is_place(code):
            raise PolicyError(f"{path}[{i}]", f"unknown country or region code {item!r}")
        places.add(code)
    return frozenset(places)
