"""Regions a policy can name instead of listing countries: ISO 3166-1 alpha-2 codes by region.

Region codes are upper-case words (`AFRICA`, `EU`) so they never clash with a country code.
"""

from functools import lru_cache

REGIONS: dict[str, frozenset[str]] = {
    "EU": frozenset(
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
    ),
    "AFRICA": frozenset(
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY"
        " MG MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM"
        " ZW".split()
    ),
}


@lru_cache(maxsize=1024)
def expand_places(places: frozenset[str]) -> frozenset[str]:
    """The country codes that a set of country and region codes covers."""
    countries = set()
    for place in places:
        countries |= REGIONS.get(place, {place})
    return frozenset(countries)
