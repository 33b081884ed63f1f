"""A usage policy in plain English: "What you may do with this data", one sentence each.

Country names come from the caller (`country_name`), so that this module stays pure: Django
code passes a lookup such as pycountry's; without one, codes are shown as they are. Region
names come from regions.py.

Each Local Contexts label reads as the community's own words, "TK Non-Commercial (applied by
the Radio Kinshasa Community): ...", then what its rules mean here (`describe_label`).
"""

from collections.abc import Callable

from .engine import (
    NON_COMMERCIAL_PURPOSES,
    Approval,
    Audience,
    GeographyMode,
    Label,
    OrganizationType,
    Outcome,
    Policy,
    Purpose,
    admitted_purposes,
)
from .regions import REGION_NAMES

# How a purpose reads after "for".
PURPOSE_WORDS = {
    Purpose.RESEARCH: "research",
    Purpose.EDUCATION: "education",
    Purpose.NON_COMMERCIAL: "non-commercial purposes",
    Purpose.COMMERCIAL: "commercial purposes",
}
# Who an organization type is, in the plural.
ORGANIZATION_WORDS = {
    OrganizationType.INDIVIDUAL: "individuals",
    OrganizationType.ACADEMIC: "academic institutions",
    OrganizationType.NONPROFIT: "nonprofits",
    OrganizationType.COMMUNITY: "community organizations",
    OrganizationType.GOVERNMENT: "government bodies",
    OrganizationType.COMPANY: "companies",
}


def describe(policy: Policy, *, country_name: Callable[[str], str] = str) -> list[str]:
    """The policy's terms as plain sentences, most important first."""

    def place_names(places: frozenset[str], conjunction: str) -> str:
        names = [REGION_NAMES.get(code) or country_name(code) for code in places]
        names.sort(key=lambda name: name.removeprefix("the ").casefold())
        return _join(names, conjunction)

    def who(audience: Audience) -> str:
        subject = (
            _join(
                [
                    ORGANIZATION_WORDS[kind]
                    for kind in OrganizationType
                    if kind in audience.organization_types
                ],
                "and",
            )
            or "users"
        )
        if audience.places:
            where = "outside" if audience.outside_places else "in"
            subject += f" {where} {place_names(audience.places, 'or')}"
        if audience.purposes:
            purposes = [PURPOSE_WORDS[p] for p in Purpose if p in audience.purposes]
            subject += f" using it for {_join(purposes, 'or')}"
        return subject

    sentences = [_purposes_sentence(policy)]

    geography = policy.geography
    if geography.mode == GeographyMode.ALLOW:
        sentences.append(f"Only available in: {place_names(geography.places, 'and')}.")
    elif geography.mode == GeographyMode.DENY:
        sentences.append(f"Not available in: {place_names(geography.places, 'and')}.")

    if policy.price_rules:
        parts = [
            f"{_price(rule.price_cents, policy.currency)} for {who(rule.audience)}"
            for rule in policy.price_rules
        ]
        parts.append(f"{_price(policy.base_price_cents, policy.currency)} for everyone else")
        sentences.append(_capitalised("; ".join(parts)) + ".")
    elif policy.base_price_cents:
        sentences.append(f"Price: {_price(policy.base_price_cents, policy.currency)}.")
    else:
        sentences.append("Free.")

    if policy.approval == Approval.MANUAL:
        sentence = "The organization approves each request"
        if policy.guardians_required > 1:
            sentence += f" ({policy.guardians_required} approvals needed)"
        sentences.append(sentence + ".")
    elif policy.request_required:
        sentences.append("You must request access first.")
    if policy.verified_organization_required:
        sentences.append("Your organization must be verified.")
    if policy.questions:
        count = len(policy.questions)
        noun = "question" if count == 1 else "questions"
        sentences.append(f"When you ask for access, you answer {count} {noun}.")

    # The labels' rules are told with their labels, below.
    for rule in policy.licence.rules + policy.rules:
        if rule.effect in (Outcome.DENIED, Outcome.NEEDS_APPROVAL):
            text = rule.reason.strip().rstrip(".")
            sentences.append(f"{text} ({rule.source})." if rule.source else f"{text}.")
    for label in policy.labels:
        sentences.extend(describe_label(label))

    if policy.grant_days:
        unit = "day" if policy.grant_days == 1 else "days"
        sentences.append(f"Access lasts {policy.grant_days} {unit}.")
        if policy.renewal_report_required:
            sentences.append("To renew it, you report how you used the data.")
    elif policy.renewal_report_required:
        sentences.append("You report how you used the data.")

    if policy.attribution:
        sentences.append(f"Credit: {policy.attribution}")

    licence = policy.licence
    name = licence.name or licence.identifier
    sentences.append(
        f"Licence: {name} ({licence.identifier})."
        if licence.name and licence.name != licence.identifier
        else f"Licence: {name}."
    )
    if licence.attribution:
        sentences.append("The licence requires attribution.")
    if not licence.commercial_use:
        sentences.append("The licence does not allow commercial use.")
    if not licence.derivatives:
        sentences.append("The licence does not allow derivatives.")
    if licence.share_alike:
        sentences.append("Derivatives must be shared alike, under the same licence.")

    if policy.conditions.strip():
        sentences.append("Further conditions apply: read them before you use the data.")
    return sentences


def describe_label(label: Label) -> list[str]:
    """A label in plain sentences: its name, who applied it and their text (the label's own
    description when they wrote none), then what its rules mean for a request, if any."""
    kind = label.type
    text = label.text.strip() or kind.description
    sentences = [f"{kind.name} (applied by {label.community.strip()}): {text}"]
    if kind.meaning:
        sentences.append(f"{kind.meaning.rstrip('.')} ({kind.name}).")
    return sentences


def _purposes_sentence(policy: Policy) -> str:
    # Purposes a rule refuses to everyone (a label's "non-commercial only") are not offered.
    refused = {
        purpose
        for rule in policy.all_rules
        if rule.effect == Outcome.DENIED
        and rule.audience.purposes
        and not (rule.audience.places or rule.audience.organization_types)
        for purpose in rule.audience.purposes
    }
    admitted = admitted_purposes(policy) - refused
    if admitted == frozenset(Purpose):
        return "You may use it for any purpose."
    if not admitted and not refused:
        return "Nobody may use it: the purposes it is offered for are not allowed by its licence."
    if not admitted:
        return "Nobody may use it: its terms refuse every purpose."
    shown = [p for p in Purpose if p in admitted]
    if admitted >= NON_COMMERCIAL_PURPOSES:
        # Research and education are non-commercial: no need to name them too.
        shown = [p for p in shown if p not in (Purpose.RESEARCH, Purpose.EDUCATION)]
    return f"You may use it for {_join([PURPOSE_WORDS[p] for p in shown], 'and')} only."


def _price(cents: int, currency: str) -> str:
    if not cents:
        return "free"
    return f"{cents // 100:,}.{cents % 100:02d} {currency.upper()}"


def _join(words: list[str], conjunction: str) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
