"""The plain-English summary of a policy."""

from hypothesis import given

from steward.licensing.describe import describe
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
    Question,
)
from steward.licensing.licences import terms_for

from .strategies import SETTINGS, policies

NAMES = {"KE": "Kenya", "NG": "Nigeria", "FR": "France"}


def country_name(code: str) -> str:
    return NAMES[code]


def test_an_open_cc_by_policy():
    assert describe(Policy(licence=terms_for("CC-BY-4.0"), attribution="Radio Kinshasa")) == [
        "You may use it for any purpose.",
        "Free.",
        "Credit: Radio Kinshasa",
        "Licence: Creative Commons Attribution 4.0 International (CC-BY-4.0).",
        "The licence requires attribution.",
    ]


def test_purposes():
    def first(purposes, licence="CC-BY-4.0"):
        policy = Policy(licence=terms_for(licence), purposes=frozenset(purposes))
        return describe(policy)[0]

    assert first({Purpose.RESEARCH, Purpose.EDUCATION}) == (
        "You may use it for research and education only."
    )
    assert first({Purpose.RESEARCH}) == "You may use it for research only."
    assert first({Purpose.NON_COMMERCIAL}) == "You may use it for non-commercial purposes only."
    assert first(set(), "CC-BY-NC-4.0") == "You may use it for non-commercial purposes only."
    assert first({Purpose.COMMERCIAL}, "CC-BY-NC-4.0").startswith("Nobody may use it")


def test_places_use_the_callers_country_names_and_the_region_names():
    policy = Policy(
        licence=terms_for("CC0-1.0"),
        geography=Geography(GeographyMode.DENY, frozenset({"KE", "EU"})),
    )
    assert "Not available in: the European Union and Kenya." in describe(
        policy, country_name=country_name
    )
    policy = Policy(
        licence=terms_for("CC0-1.0"),
        geography=Geography(GeographyMode.ALLOW, frozenset({"NG", "KE", "EEA"})),
    )
    assert "Only available in: the European Economic Area, Kenya and Nigeria." in describe(
        policy, country_name=country_name
    )


def test_without_country_names_codes_are_shown():
    policy = Policy(
        licence=terms_for("CC0-1.0"),
        geography=Geography(GeographyMode.DENY, frozenset({"KE"})),
    )
    assert "Not available in: KE." in describe(policy)


def test_prices():
    tiered = Policy(
        licence=terms_for("CC-BY-4.0"),
        base_price_cents=25000,
        price_rules=(
            PriceRule(Audience(places=frozenset({"AFRICA"})), 0),
            PriceRule(
                Audience(
                    organization_types=frozenset(
                        {OrganizationType.ACADEMIC, OrganizationType.NONPROFIT}
                    ),
                    purposes=frozenset({Purpose.RESEARCH}),
                ),
                1_234_567,
            ),
        ),
    )
    assert (
        "Free for users in Africa; 12,345.67 USD for academic institutions and nonprofits"
        " using it for research; 250.00 USD for everyone else." in describe(tiered)
    )
    assert "Price: 1.00 USD." in describe(Policy(licence=terms_for("MIT"), base_price_cents=100))


def test_noodl():
    sentences = describe(Policy(licence=terms_for("NOODL-1.0")))
    assert (
        "Companies outside Africa that use the data commercially must first agree compensation"
        " with the licensor (NOODL-1.0)." in sentences
    )


def test_licence_facts():
    assert describe(Policy(licence=terms_for("CC-BY-NC-SA-4.0")))[-3:] == [
        "The licence requires attribution.",
        "The licence does not allow commercial use.",
        "Derivatives must be shared alike, under the same licence.",
    ]
    assert "The licence does not allow derivatives." in describe(
        Policy(licence=terms_for("CC-BY-ND-4.0"))
    )
    assert "The licence requires attribution." not in describe(Policy(licence=terms_for("CC0-1.0")))


def test_access_steps():
    policy = Policy(
        licence=terms_for("Unlicense"),
        approval=Approval.MANUAL,
        guardians_required=2,
        verified_organization_required=True,
        questions=(Question("use", "What for?"),),
        grant_days=365,
        renewal_report_required=True,
        conditions="No re-identification.",
    )
    assert describe(policy) == [
        "You may use it for any purpose.",
        "Free.",
        "The organization approves each request (2 approvals needed).",
        "Your organization must be verified.",
        "When you ask for access, you answer 1 question.",
        "Access lasts 365 days.",
        "To renew it, you report how you used the data.",
        "Licence: The Unlicense (Unlicense).",
        "Further conditions apply: read them before you use the data.",
    ]
    assert "You must request access first." in describe(
        Policy(licence=terms_for("MIT"), request_required=True)
    )


def test_labels_read_as_the_communitys_words_and_what_they_mean():
    policy = Policy(
        licence=terms_for("CC-BY-4.0"),
        labels=(
            Label("tk-non-commercial", "Radio Kinshasa Community", "Ours, not for sale."),
            Label("tk-attribution", "Radio Kinshasa Community"),
        ),
    )
    sentences = describe(policy)
    assert sentences[0] == "You may use it for non-commercial purposes only."
    label_sentences = [
        "TK Non-Commercial (applied by Radio Kinshasa Community): Ours, not for sale.",
        "Requests for commercial use are refused (TK Non-Commercial).",
        # No text of the community's own: the label's description; no rule, nothing more.
        "TK Attribution (applied by Radio Kinshasa Community): Names who should be credited"
        " for this material; credit them in any use.",
    ]
    start = sentences.index(label_sentences[0])
    assert sentences[start : start + 3] == label_sentences


def test_purposes_refused_by_labels_are_not_offered():
    def first(*ids):
        labels = tuple(Label(label_id, "Lingala speakers") for label_id in ids)
        return describe(Policy(licence=terms_for("CC-BY-4.0"), labels=labels))[0]

    assert first("bc-research-use") == "You may use it for research only."
    assert first("tk-outreach") == "You may use it for education only."
    assert first("bc-research-use", "tk-outreach") == (
        "Nobody may use it: its terms refuse every purpose."
    )
    # Refusing only some requesters' commercial use leaves every purpose on offer.
    assert first("tk-community-use-only") == "You may use it for any purpose."


@SETTINGS
@given(policies())
def test_every_policy_reads_as_sentences(policy):
    sentences = describe(policy)
    assert sentences
    assert all(isinstance(sentence, str) and sentence for sentence in sentences)
