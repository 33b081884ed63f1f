"""The region table: complete, M49-faithful, never clashing with a country code."""

import xml.etree.ElementTree as ET
from importlib.resources import files

import pycountry
import pytest

from steward.licensing.regions import (
    CONTINENTS,
    COUNTRIES,
    REGION_NAMES,
    REGIONS,
    expand_places,
    is_place,
)


def test_countries_are_every_current_iso_3166_code():
    assert {country.alpha_2 for country in pycountry.countries} == COUNTRIES
    assert len(COUNTRIES) == 249


def test_region_codes_never_clash_with_country_codes():
    for code in REGIONS:
        assert code.isupper()
        assert code not in COUNTRIES
        # EU is the one two-letter code: ISO 3166 reserves it for the European Union.
        assert len(code) > 2 or code == "EU"
    assert set(REGION_NAMES) == set(REGIONS)


def test_regions_hold_only_countries():
    for code, members in REGIONS.items():
        assert members <= COUNTRIES, code


def test_continents_partition_the_countries_but_antarctica():
    for country in COUNTRIES - {"AQ"}:
        holding = [continent for continent in CONTINENTS if country in REGIONS[continent]]
        assert len(holding) == 1, (country, holding)
    assert not any("AQ" in REGIONS[continent] for continent in CONTINENTS)


def test_sub_regions_sit_inside_their_continents():
    assert REGIONS["NORTHERN_AFRICA"] | REGIONS["SUB_SAHARAN_AFRICA"] == REGIONS["AFRICA"]
    assert not REGIONS["NORTHERN_AFRICA"] & REGIONS["SUB_SAHARAN_AFRICA"]
    assert REGIONS["NORTHERN_AMERICA"] | REGIONS["LATIN_AMERICA"] == REGIONS["AMERICAS"]
    assert not REGIONS["NORTHERN_AMERICA"] & REGIONS["LATIN_AMERICA"]


def test_the_unions():
    assert len(REGIONS["EU"]) == 27
    assert REGIONS["EEA"] == REGIONS["EU"] | {"IS", "LI", "NO"}
    assert "GB" not in REGIONS["EU"] and "CH" not in REGIONS["EEA"]
    assert REGIONS["EU"] <= REGIONS["EUROPE"] | {"CY"}  # M49 puts Cyprus in Western Asia


def _cldr_containment() -> dict[str, set[str]]:
    """CLDR's territory containment (UN M49 groups, plus EU), expanded to country codes."""
    source = files("language_data") / "data" / "supplementalData.xml"
    groups: dict[str, set[str]] = {}
    for group in ET.parse(source).getroot().iter("group"):
        if group.get("status"):  # deprecated or alternative groupings
            continue
        groups.setdefault(group.get("type"), set()).update(group.get("contains").split())

    def expand(code: str) -> set[str]:
        if code not in groups:
            return {code}
        return set().union(*(expand(member) for member in groups[code]))

    return {code: expand(code) & COUNTRIES for code in groups}


@pytest.mark.parametrize(
    ("region", "m49"),
    [
        ("AFRICA", "002"),
        ("AMERICAS", "019"),
        ("ASIA", "142"),
        ("EUROPE", "150"),
        ("OCEANIA", "009"),
        ("NORTHERN_AFRICA", "015"),
        ("SUB_SAHARAN_AFRICA", "202"),
        ("NORTHERN_AMERICA", "021"),
        ("LATIN_AMERICA", "419"),
        ("EU", "EU"),
    ],
)
def test_regions_agree_with_cldr(region, m49):
    expected = _cldr_containment()[m49]
    if region == "OCEANIA":
        expected -= {"AQ"}  # CLDR files Antarctica under "Outlying Oceania"; M49 does not
    assert REGIONS[region] == expected


def test_is_place():
    assert is_place("KE")
    assert is_place("AFRICA")
    assert is_place("EEA")
    assert not is_place("ke")
    assert not is_place("XX")
    assert not is_place("")


def test_expand_places():
    assert expand_places(frozenset()) == frozenset()
    assert expand_places(frozenset({"KE"})) == {"KE"}
    assert expand_places(frozenset({"EU", "KE"})) == REGIONS["EU"] | {"KE"}
    assert expand_places(frozenset({"AFRICA", "SUB_SAHARAN_AFRICA"})) == REGIONS["AFRICA"]
