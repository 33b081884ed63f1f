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
