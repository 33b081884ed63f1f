"""Country names in the interface's language, from CLDR (the data langcodes ships), for
every ISO 3166-1 country: forms' choices, pages, plain-language terms and refusals."""

import unicodedata
from functools import cache

import langcodes
import pycountry
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@cache
def _names(language: str) -> dict[str, str]:
    return {
        country.alpha_2: langcodes.Language.make(territory=country.alpha_2).territory_name(language)
        for country in pycountry.countries
    }


def _sort_key(name: str) -> str:
    # "Égypte" sorts with the E's, not after "Zimbabwe".
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_names(language).items(), key=lambda item: _sort_key(item[1])))


def country_name(code: str) -> str:
    """The country's name in the active language; the code itself when it is no country."""
    return _names(get_language() or "en").get((code or "").upper(), code)


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in the active language, sorted by name,
    after a "Choose a country" prompt."""
    return [("", _("Choose a country")), *_choices(get_language() or "en")]
