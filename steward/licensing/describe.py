"""A usage policy in plain words: "What you may do with this data", one sentence each.

Country names come from the caller (`country_name`), so that this module stays pure: Django
code passes a lookup such as pycountry's; without one, codes are shown as they are. Region
names come from regions.py. The words are English unless the caller passes its translation
functions (`gettext`, `ngettext`): Django code passes django.utils.translation's, and the
message catalogues find the texts below by those names.

Each Local Contexts label reads as the community's own words, "TK Non-Commercial (applied by
the Radio Kinshasa Community): ...", then what its rules mean here (`describe_label`).
"""

from collections.abc import Callable

from .engine import (
    NON_COMMERCIAL_PURPOSES,
    PURPOSE_NAMES,
    Approval,
    Audience,
    GeographyMode,
    Label,
    OrganizationType,
    Outcome,
    Policy,
    Purpose,
    admitted_purposes,
    english_money,
)
from .i18n import gettext_noop, untranslated
from .regions import REGION_NAMES

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


# Who an organization type is, in the plural.
ORGANIZATION_WORDS = {
    OrganizationType.INDIVIDUAL: gettext_noop("individuals"),
    OrganizationType.ACADEMIC: gettext_noop("academic institutions"),
    OrganizationType.NONPROFIT: gettext_noop("nonprofits"),
    OrganizationType.COMMUNITY: gettext_noop("community organizations"),
    OrganizationType.GOVERNMENT: gettext_noop("government bodies"),
    OrganizationType.COMPANY: gettext_noop("companies"),
}


def describe(
    policy: Policy,
    *,
    country_name: Callable[[str], str] = str,
    gettext: Gettext = untranslated,
    ngettext: Ngettext = _english_plural,
    money: Callable[[int, str], str] = english_money,
) -> list[str]:
    """The policy's terms as plain sentences, most important first; prices written by
    `money` (cents, currency)."""
    _ = gettext

    def place_names(places: frozenset[str], conjunction: str) -> str:
        names = [
            _(REGION_NAMES[code]) if code in REGION_NAMES else country_name(code) for code in places
        ]
        names.sort(key=lambda name: name.removeprefix("the ").casefold())
        return _join(names, conjunction, gettext)

    def who(audience: Audience) -> str:
        subject = _join(
            [
                _(ORGANIZATION_WORDS[kind])
                for kind in OrganizationType
                if kind in audience.organization_types
            ],
            "and",
            gettext,
        ) or _("users")
        if audience.places:
            where = (
                _("%(who)s outside %(places)s")
                if audience.outside_places
                else _("%(who)s in %(places)s")
            )
            subject = where % {"who": subject, "places": place_names(audience.places, "or")}
        if audience.purposes:
            purposes = [_(PURPOSE_NAMES[p]) for p in Purpose if p in audience.purposes]
            subject = _("%(who)s using it for %(purposes)s") % {
                "who": subject,
                "purposes": _join(purposes, "or", gettext),
            }
        return subject

    def price(cents: int) -> str:
        return money(cents, policy.currency) if cents else _("free")

    sentences = [_purposes_sentence(policy, gettext)]

    geography = policy.geography
    if geography.mode == GeographyMode.ALLOW:
        sentences.append(
            _("Only available in: %(places)s.") % {"places": place_names(geography.places, "and")}
        )
    elif geography.mode == GeographyMode.DENY:
        sentences.append(
            _("Not available in: %(places)s.") % {"places": place_names(geography.places, "and")}
        )

    if policy.price_rules:
        parts = [
            _("%(price)s for %(who)s")
            % {"price": price(rule.price_cents), "who": who(rule.audience)}
            for rule in policy.price_rules
        ]
        parts.append(_("%(price)s for everyone else") % {"price": price(policy.base_price_cents)})
        sentences.append(_capitalised("; ".join(parts)) + ".")
    elif policy.base_price_cents:
        sentences.append(_("Price: %(price)s.") % {"price": price(policy.base_price_cents)})
    else:
        sentences.append(_("Free."))

    if policy.approval == Approval.MANUAL:
        if policy.guardians_required > 1:
            sentences.append(
                _("The organization approves each request (%(count)d approvals needed).")
                % {"count": policy.guardians_required}
            )
        else:
            sentences.append(_("The organization approves each request."))
    elif policy.request_required:
        sentences.append(_("You must request access first."))
    if policy.verified_organization_required:
        sentences.append(_("Your organization must be verified."))
    if policy.questions:
        count = len(policy.questions)
        sentences.append(
            ngettext(
                "When you ask for access, you answer %(count)d question.",
                "When you ask for access, you answer %(count)d questions.",
                count,
            )
            % {"count": count}
        )

    # The labels' rules are told with their labels, below.
    for rule in policy.licence.rules + policy.rules:
        if rule.effect in (Outcome.DENIED, Outcome.NEEDS_APPROVAL):
            text = rule.reason.strip().rstrip(".")
            sentences.append(
                _("%(reason)s (%(source)s).") % {"reason": text, "source": rule.source}
                if rule.source
                else f"{text}."
            )
    for label in policy.labels:
        sentences.extend(describe_label(label, gettext=gettext))

    if policy.grant_days:
        sentences.append(
            ngettext(
                "Access lasts %(count)d day.", "Access lasts %(count)d days.", policy.grant_days
            )
            % {"count": policy.grant_days}
        )
        if policy.renewal_report_required:
            sentences.append(_("To renew it, you report how you used the data."))
    elif policy.renewal_report_required:
        sentences.append(_("You report how you used the data."))

    if policy.attribution:
        sentences.append(_("Credit: %(attribution)s") % {"attribution": policy.attribution})

    licence = policy.licence
    name = licence.name or licence.identifier
    sentences.append(
        _("Licence: %(name)s (%(identifier)s).") % {"name": name, "identifier": licence.identifier}
        if licence.name and licence.name != licence.identifier
        else _("Licence: %(name)s.") % {"name": name}
    )
    if licence.attribution:
        sentences.append(_("The licence requires attribution."))
    if not licence.commercial_use:
        sentences.append(_("The licence does not allow commercial use."))
    if not licence.derivatives:
        sentences.append(_("The licence does not allow derivatives."))
    if licence.share_alike:
        sentences.append(_("Derivatives must be shared alike, under the same licence."))

    if policy.conditions.strip():
        sentences.append(_("Further conditions apply: read them before you use the data."))
    return sentences


def describe_label(label: Label, *, gettext: Gettext = untranslated) -> list[str]:
    """A label in plain sentences: its name, who applied it and their text (the label's own
    description when they wrote none), then what its rules mean for a request, if any."""
    _ = gettext
    kind = label.type
    text = label.text.strip() or kind.description
    sentences = [
        _("%(label)s (applied by %(community)s): %(text)s")
        % {"label": kind.name, "community": label.community.strip(), "text": text}
    ]
    if kind.meaning:
        sentences.append(
            _("%(meaning)s (%(label)s).")
            % {"meaning": kind.meaning.rstrip("."), "label": kind.name}
        )
    return sentences


def _purposes_sentence(policy: Policy, gettext: Gettext) -> str:
    _ = gettext
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
        return _("You may use it for any purpose.")
    if not admitted and not refused:
        return _(
            "Nobody may use it: the purposes it is offered for are not allowed by its licence."
        )
    if not admitted:
        return _("Nobody may use it: its terms refuse every purpose.")
    shown = [p for p in Purpose if p in admitted]
    if admitted >= NON_COMMERCIAL_PURPOSES:
        # Research and education are non-commercial: no need to name them too.
        shown = [p for p in shown if p not in (Purpose.RESEARCH, Purpose.EDUCATION)]
    return _("You may use it for %(purposes)s only.") % {
        "purposes": _join([_(PURPOSE_NAMES[p]) for p in shown], "and", gettext)
    }


def _join(words: list[str], conjunction: str, gettext: Gettext) -> str:
    """ "a", "a and b", "a, b and c" ("or" when `conjunction` is "or")."""
    if len(words) <= 1:
        return "".join(words)
    joined = (
        gettext("%(items)s and %(last)s")
        if conjunction == "and"
        else gettext("%(items)s or %(last)s")
    )
    return joined % {"items": ", ".join(words[:-1]), "last": words[-1]}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
