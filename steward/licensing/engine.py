"""The usage-policy engine: (policy, requester) -> decision. Pure: imports only the standard
library (and the pure pricing module), so it can be reasoned about and property-tested alone.

A decision is one of four outcomes, with every reason in plain words and the price quote:

- `denied`: something in the terms rules the requester out (country, purpose, licence, a
  Local Contexts label, an unverified organization); nothing the requester can wait or pay for;
- `needs_approval`: the organization (or its guardians) must approve a request first;
- `needs_payment`: allowed once the quoted price is paid;
- `allowed`.

Denials win over everything else; approval comes before payment.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from steward.payments.pricing import Quote, quote

from .i18n import gettext_noop, untranslated
from .labels import Label, LabelRule
from .regions import expand_places


class Purpose(StrEnum):
    """What a requester declares they will use the data for. Research and education count
    as non-commercial; commercial research is declared as commercial."""

    RESEARCH = "research"
    EDUCATION = "education"
    NON_COMMERCIAL = "non_commercial"
    COMMERCIAL = "commercial"


NON_COMMERCIAL_PURPOSES = frozenset({Purpose.RESEARCH, Purpose.EDUCATION, Purpose.NON_COMMERCIAL})


class OrganizationType(StrEnum):
    INDIVIDUAL = "individual"
    ACADEMIC = "academic"
    NONPROFIT = "nonprofit"
    COMMUNITY = "community"
    GOVERNMENT = "government"
    COMPANY = "company"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    NEEDS_PAYMENT = "needs_payment"
    DENIED = "denied"


class GeographyMode(StrEnum):
    ANYWHERE = "anywhere"
    ALLOW = "allow"  # only the listed countries and regions
    DENY = "deny"  # everywhere but the listed countries and regions


class Approval(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


@dataclass(frozen=True)
class Geography:
    mode: GeographyMode = GeographyMode.ANYWHERE
    # ISO 3166-1 alpha-2 country codes and region codes (see regions.py).
    places: frozenset[str] = frozenset()

    def admits(self, country: str) -> bool:
        if self.mode == GeographyMode.ANYWHERE:
            return True
        listed = country in expand_places(self.places)
        return listed if self.mode == GeographyMode.ALLOW else not listed


@dataclass(frozen=True)
class Audience:
    """Who a price or a rule applies to; an empty set matches everyone on that axis."""

    purposes: frozenset[Purpose] = frozenset()
    places: frozenset[str] = frozenset()
    organization_types: frozenset[OrganizationType] = frozenset()
    # True: the rule applies to requesters *outside* `places` instead of inside.
    outside_places: bool = False

    def matches(self, requester: "Requester") -> bool:
        if self.purposes and requester.purpose not in self.purposes:
            return False
        if self.organization_types and requester.organization_type not in self.organization_types:
            return False
        if self.places:
            inside = requester.country in expand_places(self.places)
            if inside == self.outside_places:
                return False
        return True


@dataclass(frozen=True)
class PriceRule:
    """A price for one audience; the first rule that matches a requester sets their price."""

    audience: Audience
    price_cents: int


@dataclass(frozen=True)
class Rule:
    """A condition that refuses (or sends to approval) the requests of one audience, carried
    by the licence (NOODL-1.0) or a Local Contexts label, with the reason shown to them."""

    audience: Audience
    reason: str
    source: str  # e.g. "NOODL-1.0" or "TK Community Use Only"
    effect: Outcome = Outcome.DENIED  # DENIED or NEEDS_APPROVAL


@dataclass(frozen=True)
class LicenceTerms:
    """A licence's machine-readable facts."""

    identifier: str
    name: str = ""
    attribution: bool = True
    share_alike: bool = False
    commercial_use: bool = True
    derivatives: bool = True
    rules: tuple[Rule, ...] = ()
    # A custom licence's own text, as its community wrote it (predefined ones link to theirs).
    text: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    required: bool = True


@dataclass(frozen=True)
class Policy:
    licence: LicenceTerms
    attribution: str = ""
    # Empty: any purpose.
    purposes: frozenset[Purpose] = frozenset()
    geography: Geography = field(default_factory=Geography)
    currency: str = "usd"
    base_price_cents: int = 0
    price_rules: tuple[PriceRule, ...] = ()
    approval: Approval = Approval.AUTOMATIC
    # Restricted datasets: every user asks first, even where the answer is automatic.
    # Whether a user has asked (and holds a grant) is the caller's to know: `decide` answers
    # what a request would get, or, with `has_grant`, whether a grant still lets them in.
    request_required: bool = False
    guardians_required: int = 1
    grant_days: int | None = None
    renewal_report_required: bool = False
    verified_organization_required: bool = False
    questions: tuple[Question, ...] = ()
    conditions: str = ""
    rules: tuple[Rule, ...] = ()
    # Local Contexts TK and BC Labels and Notices; some carry rules (labels.py).
    labels: tuple[Label, ...] = ()

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        """The licence's rules, the policy's own, then those its labels carry."""
        carried = tuple(rule for label in self.labels for rule in label_rules(label))
        return self.licence.rules + self.rules + carried

    @property
    def is_open(self) -> bool:
        """True when nothing needs asking: any signed-in user may download without a request.
        `approval` only says how requests are answered, so it plays no part here: an owner who
        wants to approve everyone sets `request_required` (an MDC "restricted" dataset)."""
        return not (
            self.request_required
            or self.purposes
            or self.geography.mode != GeographyMode.ANYWHERE
            or self.base_price_cents
            or any(rule.price_cents for rule in self.price_rules)
            or self.verified_organization_required
            or self.questions
            or self.all_rules
            or not self.licence.commercial_use
        )

    def price_for(self, requester: "Requester") -> int:
        for rule in self.price_rules:
            if rule.audience.matches(requester):
                return rule.price_cents
        return self.base_price_cents


@dataclass(frozen=True)
class Requester:
    """What is known about who asks. `country` is an ISO 3166-1 alpha-2 code."""

    country: str | None = None
    purpose: Purpose | None = None
    organization_type: OrganizationType | None = None
    organization_verified: bool = False
    # A member of the organization that owns the data: always allowed.
    is_member: bool = False
    # The requester holds a grant (approved, not expired, not revoked) under this policy.
    has_grant: bool = False
    has_paid: bool = False

    def __post_init__(self):
        # Policies list upper-case codes; a lower-case one must not slip past a deny-list.
        if self.country is not None and not self.country.isupper():
            object.__setattr__(self, "country", self.country.upper())


def english_money(cents: int, currency: str) -> str:
    """1250, "usd" -> "12.50 USD": prices where no locale applies."""
    return f"{cents // 100:,}.{cents % 100:02d} {currency.upper()}"


@dataclass(frozen=True)
class Reason:
    """Why a decision went as it did: a code for programs and a sentence for people.

    The sentence is an English template, marked for the message catalogues, with the values
    it names kept apart (`values`), so that Django code can show it in the reader's language
    with `text(gettext, ...)`; `message` is the English."""

    code: str
    template: str
    values: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        return self.text()

    def text(
        self,
        gettext: Callable[[str], str] = untranslated,
        *,
        country_name: Callable[[str], str] = str,
        money: Callable[[int, str], str] = english_money,
    ) -> str:
        """The sentence, translated by `gettext`, with country codes named by `country_name`
        and prices written by `money` (cents, currency)."""
        if not self.values:
            return gettext(self.template)
        values = dict(self.values)
        shown = {}
        for key, value in values.items():
            if key == "country":
                shown[key] = country_name(value)
            elif key == "purposes":
                shown[key] = ", ".join(gettext(PURPOSE_NAMES[p]) for p in value)
            elif key == "total":
                shown[key] = money(value, values["currency"])
            elif key == "reason":
                # A label's own reason is in the catalogues; a community's words are kept.
                shown[key] = gettext(value)
            else:
                shown[key] = value
        return gettext(self.template) % shown


# How each purpose is named in a list of the purposes a dataset may be used for.
PURPOSE_NAMES = {
    Purpose.RESEARCH: gettext_noop("research"),
    Purpose.EDUCATION: gettext_noop("education"),
    Purpose.NON_COMMERCIAL: gettext_noop("non-commercial purposes"),
    Purpose.COMMERCIAL: gettext_noop("commercial purposes"),
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...] = ()
    price_cents: int = 0
    quote: Quote | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == Outcome.ALLOWED

    @property
    def code(self) -> str:
        return self.reasons[0].code if self.reasons else self.outcome.value

    @property
    def message(self) -> str:
        return self.text()

    def text(self, gettext: Callable[[str], str] = untranslated, **namers) -> str:
        """Every reason's sentence, in the language of `gettext` (see Reason.text)."""
        return " ".join(reason.text(gettext, **namers) for reason in self.reasons)


def decide(policy: Policy, requester: Requester, *, fee_rate: Decimal) -> Decision:
    """The decision for one requester under one policy."""
    if requester.is_member:
        return Decision(Outcome.ALLOWED)
    denials = _denials(policy, requester)
    if denials:
        return Decision(Outcome.DENIED, tuple(denials))
    price = policy.price_for(requester)
    price_quote = quote(price, policy.currency, fee_rate) if price else None
    approvals = [] if requester.has_grant else _approvals(policy, requester)
    if approvals:
        return Decision(Outcome.NEEDS_APPROVAL, tuple(approvals), price, price_quote)
    if price and not requester.has_paid:
        return Decision(Outcome.NEEDS_PAYMENT, (_payment_reason(price_quote),), price, price_quote)
    return Decision(Outcome.ALLOWED, (), price, price_quote)


def _denials(policy: Policy, requester: Requester) -> list[Reason]:
    reasons = []
    if policy.geography.mode != GeographyMode.ANYWHERE:
        if not requester.country:
            reasons.append(
                Reason(
                    "country_required", gettext_noop("Say which country you will use the data in.")
                )
            )
        elif not policy.geography.admits(requester.country):
            reasons.append(
                Reason(
                    "country_not_allowed",
                    gettext_noop("This dataset is not available in your country (%(country)s)."),
                    (("country", requester.country),),
                )
            )
    needs_purpose = policy.purposes or not policy.licence.commercial_use or policy.all_rules
    if needs_purpose and requester.purpose is None:
        reasons.append(
            Reason("purpose_required", gettext_noop("Say what you will use the data for."))
        )
    elif policy.purposes and not _purpose_admitted(requester.purpose, policy.purposes):
        allowed = tuple(p for p in Purpose if p in policy.purposes)
        reasons.append(
            Reason(
                "purpose_not_allowed",
                gettext_noop("This dataset may only be used for: %(purposes)s."),
                (("purposes", allowed),),
            )
        )
    elif requester.purpose == Purpose.COMMERCIAL and not policy.licence.commercial_use:
        reasons.append(
            Reason(
                "purpose_not_allowed",
                gettext_noop("The licence (%(licence)s) does not allow commercial use."),
                (("licence", policy.licence.identifier),),
            )
        )
    reasons.extend(_missing_facts(policy, requester, reasons))
    for rule in policy.all_rules:
        if rule.effect == Outcome.DENIED and rule.audience.matches(requester):
            reasons.append(_rule_reason("refused_by_rule", rule))
    if policy.verified_organization_required and not requester.organization_verified:
        reasons.append(
            Reason(
                "verification_required",
                gettext_noop(
                    "Your organization must be verified: confirm an email address on a domain"
                    " its website uses."
                ),
            )
        )
    return reasons


def _approvals(policy: Policy, requester: Requester) -> list[Reason]:
    reasons = []
    if policy.is_open:
        return reasons
    if policy.approval == Approval.MANUAL:
        reasons.append(
            Reason(
                "approval_required",
                gettext_noop("The organization must approve your request first."),
            )
        )
    for rule in policy.all_rules:
        if rule.effect == Outcome.NEEDS_APPROVAL and rule.audience.matches(requester):
            reasons.append(_rule_reason("approval_required", rule))
    return reasons


def _missing_facts(policy: Policy, requester: Requester, found: list[Reason]) -> list[Reason]:
    """Ask for the facts that a rule or a price depends on when the requester left them out.

    Without this, leaving out a country or an organization type would slip past a rule that
    names them ("companies outside Africa need approval") or a price meant for them. An
    audience that the known facts already rule out needs nothing more.
    """
    missing = set()
    audiences = [rule.audience for rule in policy.all_rules]
    audiences += [rule.audience for rule in policy.price_rules]
    for audience in audiences:
        unknown = set()
        if audience.places:
            if requester.country is None:
                unknown.add("country")
            elif (requester.country in expand_places(audience.places)) == audience.outside_places:
                continue
        if audience.purposes:
            if requester.purpose is None:
                unknown.add("purpose")
            elif requester.purpose not in audience.purposes:
                continue
        if audience.organization_types:
            if requester.organization_type is None:
                unknown.add("organization_type")
            elif requester.organization_type not in audience.organization_types:
                continue
        missing |= unknown
    already = {reason.code for reason in found}
    reasons = []
    if "country" in missing and "country_required" not in already:
        reasons.append(
            Reason("country_required", gettext_noop("Say which country you will use the data in."))
        )
    if "purpose" in missing and "purpose_required" not in already:
        reasons.append(
            Reason("purpose_required", gettext_noop("Say what you will use the data for."))
        )
    if "organization_type" in missing:
        reasons.append(
            Reason(
                "organization_type_required",
                gettext_noop(
                    "Say what kind of organization you will use the data for, or that you act"
                    " as an individual."
                ),
            )
        )
    return reasons


@lru_cache(maxsize=4096)
def label_rules(label: Label) -> tuple[Rule, ...]:
    """The rules a label carries, each named after the label and the community that applied
    it ("TK Non-Commercial (Radio Kinshasa Community)")."""
    source = f"{label.type.name} ({label.community})"
    return tuple(_label_rule(rule, source) for rule in label.type.rules)


def _label_rule(rule: LabelRule, source: str) -> Rule:
    purposes = frozenset(Purpose(p) for p in rule.purposes)
    if rule.except_purposes:
        purposes = frozenset(Purpose) - {Purpose(p) for p in rule.except_purposes}
    kinds = frozenset(OrganizationType(t) for t in rule.organization_types)
    if rule.except_organization_types:
        kinds = frozenset(OrganizationType) - {
            OrganizationType(t) for t in rule.except_organization_types
        }
    return Rule(
        audience=Audience(purposes=purposes, organization_types=kinds),
        reason=rule.reason,
        source=source,
        effect=Outcome(rule.effect),
    )


def _rule_reason(code: str, rule: Rule) -> Reason:
    if rule.source:
        values = (("source", rule.source), ("reason", rule.reason))
        return Reason(code, "%(source)s: %(reason)s", values)
    return Reason(code, "%(reason)s", (("reason", rule.reason),))


def admitted_purposes(policy: Policy) -> frozenset[Purpose]:
    """The purposes a requester may declare under the policy and its licence."""
    return frozenset(
        purpose
        for purpose in Purpose
        if (not policy.purposes or _purpose_admitted(purpose, policy.purposes))
        and (purpose != Purpose.COMMERCIAL or policy.licence.commercial_use)
    )


def _purpose_admitted(purpose: Purpose | None, allowed: frozenset[Purpose]) -> bool:
    if purpose in allowed:
        return True
    return Purpose.NON_COMMERCIAL in allowed and purpose in NON_COMMERCIAL_PURPOSES


def _payment_reason(price_quote: Quote | None) -> Reason:
    if price_quote is None:
        return Reason("payment_required", gettext_noop("Payment is required."))
    return Reason(
        "payment_required",
        gettext_noop("Pay %(total)s to download this dataset."),
        (("total", price_quote.total_price_cents), ("currency", price_quote.currency)),
    )
