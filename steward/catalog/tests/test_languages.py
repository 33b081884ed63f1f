"""Every ISO 639-3 language is known; locales are validated BCP-47 tags."""

import pytest

from steward.catalog.languages import InvalidLocale, normalize_locale
from steward.catalog.models import Language


@pytest.mark.django_db
def test_every_iso_639_3_language_is_loaded():
    import pycountry

    assert Language.objects.count() == len(pycountry.languages)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "iso639_3", "name", "autonym"),
    [
        ("haz", "haz", "Hazaragi", ""),
        ("mda", "mda", "Mada (Nigeria)", ""),
        ("rm", "roh", "Romansh", "rumantsch"),
        ("sw", "swa", "Swahili", "Kiswahili"),
        ("yo", "yor", "Yoruba", "Èdè Yorùbá"),
        ("en", "eng", "English", ""),
    ],
)
def test_languages_have_english_names_and_autonyms(code, iso639_3, name, autonym):
    language = Language.objects.get(code=code)
    assert (language.iso639_3, language.name, language.autonym) == (iso639_3, name, autonym)


@pytest.mark.parametrize(
    ("tag", "normalized"),
    [
        ("en", "en"),
        ("EN_us", "en-US"),
        ("eng", "en"),
        ("swa", "sw"),
        ("sr-latn-rs", "sr-Latn-RS"),
        ("es-419", "es-419"),
        ("haz", "haz"),
        ("zh-Hant-TW", "zh-Hant-TW"),
    ],
)
def test_locales_are_normalized(tag, normalized):
    assert normalize_locale(tag) == normalized


@pytest.mark.parametrize("tag", ["", "x", "zz", "qaa", "en-!!", "1234", "en--US", "e n", "a" * 40])
def test_invalid_locales_are_refused(tag):
    with pytest.raises(InvalidLocale):
        normalize_locale(tag)
