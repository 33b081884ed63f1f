"""The predefined licences and their machine-readable facts."""

import pytest

from steward.licensing.engine import LicenceTerms, OrganizationType, Outcome, Purpose
from steward.licensing.licences import PREDEFINED, licence_name, terms_for

# abbreviation: (attribution, share_alike, commercial_use, derivatives)
FACTS = {
    "Apache-2.0": (True, False, True, True),
    "BSD-3-Clause": (True, False, True, True),
    "CC-BY-4.0": (True, False, True, True),
    "CC-BY-ND-4.0": (True, False, True, False),
    "CC-BY-NC-4.0": (True, False, False, True),
    "CC-BY-NC-SA-4.0": (True, True, False, True),
    "CC-BY-SA-4.0": (True, True, True, True),
    "CC-SA-1.0": (False, True, True, True),
    "CC0-1.0": (False, False, True, True),
    "EUPL-1.2": (True, True, True, True),
    "AGPL-3.0": (True, True, True, True),
    "GFDL-1.3": (True, True, True, True),
    "GPL-3.0": (True, True, True, True),
    "LGPLLR": (True, True, True, True),
    "MIT": (True, False, True, True),
    "MPL-2.0": (True, True, True, True),
    "NLOD-2.0": (True, False, True, True),
    "NOODL-1.0": (True, False, True, True),
    "ODC-By-1.0": (True, False, True, True),
    "ODbL-1.0": (True, True, True, True),
    "OGL-Canada-2.0": (True, False, True, True),
    "OGL-UK-3.0": (True, False, True, True),
    "OPUBL-1.0": (True, False, True, True),
    "OGDL-Taiwan-1.0": (True, False, True, True),
    "Unlicense": (False, False, True, True),
}


def test_every_predefined_licence_has_its_facts_listed():
    assert set(PREDEFINED) == set(FACTS)


@pytest.mark.parametrize("abbreviation", sorted(FACTS))
def test_licence_facts(abbreviation):
    terms = terms_for(abbreviation)
    assert (
        terms.attribution,
        terms.share_alike,
        terms.commercial_use,
        terms.derivatives,
    ) == FACTS[abbreviation]
    assert terms.identifier == abbreviation
    assert terms.name == PREDEFINED[abbreviation].name
    if abbreviation != "NOODL-1.0":
        assert terms.rules == ()


def test_noodl_sends_commercial_companies_outside_africa_to_approval():
    (rule,) = terms_for("NOODL-1.0").rules
    assert rule.effect == Outcome.NEEDS_APPROVAL
    assert rule.source == "NOODL-1.0"
    assert rule.audience.places == {"AFRICA"}
    assert rule.audience.outside_places
    assert rule.audience.organization_types == {OrganizationType.COMPANY}
    assert rule.audience.purposes == {Purpose.COMMERCIAL}
    assert "compensation" in rule.reason


def test_a_custom_licence_requires_attribution_and_allows_the_rest():
    terms = terms_for("Our-Own-1.0", custom_name="Our Own Licence")
    assert terms == LicenceTerms(identifier="Our-Own-1.0", name="Our Own Licence")
    assert terms.attribution and terms.commercial_use and terms.derivatives
    assert not terms.share_alike and terms.rules == ()
    assert terms_for("Our-Own-1.0").name == "Our-Own-1.0"


def test_a_custom_licence_can_state_its_facts():
    terms = terms_for("X", facts={"commercial_use": False, "share_alike": True})
    assert not terms.commercial_use and terms.share_alike
    assert terms.attribution and terms.derivatives


def test_unknown_facts_are_refused():
    with pytest.raises(ValueError, match="royalties"):
        terms_for("X", facts={"royalties": True})


def test_a_predefined_licence_keeps_its_own_facts():
    assert terms_for("CC-BY-NC-4.0", facts={"commercial_use": True}).commercial_use is False


def test_licence_names():
    assert licence_name("CC-BY-4.0") == "Creative Commons Attribution 4.0 International"
    assert licence_name("Mine", "My licence") == "My licence"
    assert licence_name("Mine") == "Mine"
