"""Regions a policy can name instead of listing countries: ISO 3166-1 alpha-2 codes by region.

Region codes are upper-case words (`AFRICA`, `EEA`), so they never clash with a two-letter
country code; `EU` is the one two-letter region, a code ISO 3166 reserves for the Union.

The continents and sub-regions follow the UN M49 standard ("Standard country or area codes
for statistical use"); the unions are the European Union (27 members) and the European
Economic Area (the EU with Iceland, Liechtenstein and Norway).

The five continents partition the countries, with one exception: Antarctica (AQ) belongs to
no continent, as in M49, which leaves it outside its five regions. A policy that means it
names it.
"""

from functools import lru_cache


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every current ISO 3166-1 alpha-2 code (249), including territories such as PR or GL.
COUNTRIES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """
)


# UN M49 sub-regions, the building blocks of the regions below.
_NORTHERN_AFRICA = _codes("DZ EG EH LY MA SD TN")
_WESTERN_AFRICA = _codes("BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG")
_MIDDLE_AFRICA = _codes("AO CD CF CG CM GA GQ ST TD")
_EASTERN_AFRICA = _codes("BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW")
_SOUTHERN_AFRICA = _codes("BW LS NA SZ ZA")

_NORTHERN_AMERICA = _codes("BM CA GL PM US")
_CARIBBEAN = _codes(
    "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI"
)
_CENTRAL_AMERICA = _codes("BZ CR GT HN MX NI PA SV")
_SOUTH_AMERICA = _codes("AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE")

_CENTRAL_ASIA = _codes("KG KZ TJ TM UZ")
_EASTERN_ASIA = _codes("CN HK JP KP KR MN MO TW")
_SOUTH_EASTERN_ASIA = _codes("BN ID KH LA MM MY PH SG TH TL VN")
_SOUTHERN_ASIA = _codes("AF BD BT IN IR LK MV NP PK")
_WESTERN_ASIA = _codes("AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE")

_EASTERN_EUROPE = _codes("BG BY CZ HU MD PL RO RU SK UA")
_NORTHERN_EUROPE = _codes("AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ")
_SOUTHERN_EUROPE = _codes("AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA")
_WESTERN_EUROPE = _codes("AT BE CH DE FR LI LU MC NL")

_AUSTRALIA_NEW_ZEALAND = _codes("AU CC CX HM NF NZ")
_MELANESIA = _codes("FJ NC PG SB VU")
_MICRONESIA = _codes("FM GU KI MH MP NR PW UM")
_POLYNESIA = _codes("AS CK NU PF PN TK TO TV WF WS")

_EU = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK")

REGIONS: dict[str, frozenset[str]] = {
    # Continents (M49 regions).
    "AFRICA": _NORTHERN_AFRICA
    | _WESTERN_AFRICA
    | _MIDDLE_AFRICA
    | _EASTERN_AFRICA
    | _SOUTHERN_AFRICA,
    "AMERICAS": _NORTHERN_AMERICA | _CARIBBEAN | _CENTRAL_AMERICA | _SOUTH_AMERICA,
    "ASIA": _CENTRAL_ASIA | _EASTERN_ASIA | _SOUTH_EASTERN_ASIA | _SOUTHERN_ASIA | _WESTERN_ASIA,
    "EUROPE": _EASTERN_EUROPE | _NORTHERN_EUROPE | _SOUTHERN_EUROPE | _WESTERN_EUROPE,
    "OCEANIA": _AUSTRALIA_NEW_ZEALAND | _MELANESIA | _MICRONESIA | _POLYNESIA,
    # Sub-regions.
    "NORTHERN_AFRICA": _NORTHERN_AFRICA,
    "SUB_SAHARAN_AFRICA": _WESTERN_AFRICA | _MIDDLE_AFRICA | _EASTERN_AFRICA | _SOUTHERN_AFRICA,
    "NORTHERN_AMERICA": _NORTHERN_AMERICA,
    "LATIN_AMERICA": _CARIBBEAN | _CENTRAL_AMERICA | _SOUTH_AMERICA,
    # Unions.
    "EU": _EU,
    "EEA": _EU | _codes("IS LI NO"),
}

CONTINENTS = ("AFRICA", "AMERICAS", "ASIA", "EUROPE", "OCEANIA")


def gettext_noop(message: str) -> str:
    """Marks a name for the message catalogues; Django code translates it where it is shown."""
    return message


# English names, written to follow "in" or "outside": "Not available in the European Union".
REGION_NAMES: dict[str, str] = {
    "AFRICA": gettext_noop("Africa"),
    "AMERICAS": gettext_noop("the Americas"),
    "ASIA": gettext_noop("Asia"),
    "EUROPE": gettext_noop("Europe"),
    "OCEANIA": gettext_noop("Oceania"),
    "NORTHERN_AFRICA": gettext_noop("Northern Africa"),
    "SUB_SAHARAN_AFRICA": gettext_noop("Sub-Saharan Africa"),
    "NORTHERN_AMERICA": gettext_noop("Northern America"),
    "LATIN_AMERICA": gettext_noop("Latin America and the Caribbean"),
    "EU": gettext_noop("the European Union"),
    "EEA": gettext_noop("the European Economic Area"),
}


def is_place(code: str) -> bool:
    """True for a country code (upper case) or a region code that a policy can name."""
    return code in COUNTRIES or code in REGIONS


@lru_cache(maxsize=1024)
def expand_places(places: frozenset[str]) -> frozenset[str]:
    """The country codes that a set of country and region codes covers."""
    countries = set()
    for place in places:
        countries |= REGIONS.get(place, {place})
    return frozenset(countries)
