"""Languages and locales: every ISO 639-3 language, and validation of BCP-47 tags.

Names come from CLDR (through langcodes and language-data) and ISO 639-3 (pycountry),
so a language is findable by its English name, its autonym or any of its codes.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import langcodes
import pycountry

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class LanguageInfo:
    code: str  # the shortest ISO 639 code: "sw", "haz"
    iso639_3: str  # "swa", "haz"
    name: str  # English name
    autonym: str  # the language's name for itself, "" when unknown


def _names(code: str, fallback: str) -> tuple[str, str]:
    language = langcodes.Language.get(code, normalize=False)
    name = language.display_name()
    if name.startswith("Unknown language"):
        name = fallback
    autonym = language.autonym()
    if "[" in autonym or autonym == name or autonym.startswith("Unknown"):
        autonym = ""
    return name, autonym


def iter_languages() -> Iterator[LanguageInfo]:
    """Every language in ISO 639-3, each with its shortest code."""
    for entry in pycountry.languages:
        code = getattr(entry, "alpha_2", None) or entry.alpha_3
        name, autonym = _names(code, entry.name)
        yield LanguageInfo(code=code, iso639_3=entry.alpha_3, name=name, autonym=autonym)


def language_info(code: str) -> LanguageInfo | None:
    """The language with this shortest code ("sw", "haz"), or None."""
    entry = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    if entry is None:
        return None
    shortest = getattr(entry, "alpha_2", None) or entry.alpha_3
    name, autonym = _names(shortest, entry.name)
    return LanguageInfo(code=shortest, iso639_3=entry.alpha_3, name=name, autonym=autonym)


@lru_cache(maxsize=1)
def _alpha3_to_alpha2() -> dict[str, str]:
    return {e.alpha_3: e.alpha_2 for e in pycountry.languages if getattr(e, "alpha_2", None)}


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(getattr(e, "alpha_2", None) or e.alpha_3 for e in pycountry.languages)


class InvalidLocale(ValueError):
    pass


def normalize_locale(tag: str) -> str:
    """A well-formed BCP-47 tag in canonical case with the shortest language code.

    'EN_us' -> 'en-US', 'swa' -> 'sw', 'sr-latn-rs' -> 'sr-Latn-RS'. Raises InvalidLocale
    for anything that is not a tag of a known ISO 639 language.
    """
    raw = tag.strip().replace("_", "-")
    parts = raw.split("-")
    if not raw or len(raw) > 35 or not all(_SUBTAG.match(p) for p in parts):
        raise InvalidLocale(f"{tag!r} is not a BCP-47 language tag")
    language = parts[0].lower()
    if not language.isalpha() or len(language) not in (2, 3):
        raise InvalidLocale(f"{tag!r} does not start with an ISO 639 language code")
    language = _alpha3_to_alpha2().get(language, language)
    if language not in _known_codes():
        raise InvalidLocale(f"{tag!r}: {language!r} is not an ISO 639 language")
    out = [language]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    normalized = "-".join(out)
    if not langcodes.tag_is_valid(normalized):
        raise InvalidLocale(f"{tag!r} is not a valid BCP-47 language tag")
    return normalized


def language_code(locale: str) -> str:
    """The language part of a normalized locale: 'de-DE' -> 'de'."""
    return locale.split("-", 1)[0]


# Where languages are spoken, from CLDR's territory data (the supplementalData.xml that
# language-data ships): each territory's languages with their share of its population, and
# which regions (UN M49 codes such as 002 Africa, 011 Western Africa) hold which territories.


@dataclass(frozen=True)
class SpokenLanguage:
    code: str  # shortest ISO 639 code
    speakers: int  # in the territory
    # The share of the language's speakers worldwide who live in the territory: high for a
    # language of that place (Ewondo in Cameroon), low for one spoken everywhere (English).
    share: float


@lru_cache(maxsize=1)
def _territory_data() -> tuple[dict[str, dict[str, int]], dict[str, frozenset[str]]]:
    """Speakers per language per territory, and the direct members of each region."""
    import xml.etree.ElementTree as ElementTree

    from language_data.util import data_filename

    root = ElementTree.parse(data_filename("supplementalData.xml")).getroot()
    speakers: dict[str, dict[str, int]] = {}
    for territory in root.iter("territory"):
        population = float(territory.get("population", "0"))
        counts = speakers.setdefault(territory.get("type"), {})
        for spoken in territory.iter("languagePopulation"):
            code = spoken.get("type").split("_")[0]
            code = _alpha3_to_alpha2().get(code, code)
            count = int(population * float(spoken.get("populationPercent", "0")) / 100)
            counts[code] = max(counts.get(code, 0), count)
    members: dict[str, set[str]] = {}
    for group in root.iter("group"):
        if group.get("status") == "deprecated" or group.get("type") == "001":
            continue
        members.setdefault(group.get("type"), set()).update(group.get("contains").split())
    return speakers, {region: frozenset(codes) for region, codes in members.items()}


def countries_in(territory: str) -> frozenset[str]:
    """The countries (ISO 3166 alpha-2) a territory code stands for: itself, or a region's."""
    regions = _territory_data()[1]
    if territory not in regions:
        return frozenset({territory})
    out: set[str] = set()
    for member in regions[territory]:
        out |= countries_in(member)
    return frozenset(out)


def regions() -> frozenset[str]:
    """The region codes CLDR knows (UN M49 numbers and groupings such as EU)."""
    return frozenset(_territory_data()[1])


@lru_cache(maxsize=1)
def _speakers_worldwide() -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in _territory_data()[0].values():
        for code, count in counts.items():
            total[code] = total.get(code, 0) + count
    return total


@lru_cache(maxsize=512)
def languages_spoken_in(territory: str) -> tuple[SpokenLanguage, ...]:
    """The languages spoken in a country or region, most particular to it first."""
    counts: dict[str, int] = {}
    for country in countries_in(territory):
        for code, count in _territory_data()[0].get(country, {}).items():
            counts[code] = counts.get(code, 0) + count
    worldwide = _speakers_worldwide()
    spoken = [
        SpokenLanguage(code, count, count / worldwide[code] if worldwide[code] else 0.0)
        for code, count in counts.items()
    ]
    return tuple(sorted(spoken, key=lambda s: (-s.share, -s.speakers, s.code)))


def territories_of(code: str) -> tuple[str, ...]:
    """The countries where a language is spoken, most speakers first."""
    places = [
        (counts[code], country)
        for country, counts in _territory_data()[0].items()
        if code in counts
    ]
    return tuple(country for _, country in sorted(places, reverse=True))
