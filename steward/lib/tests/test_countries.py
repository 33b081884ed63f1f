from django.utils import translation

from steward.lib.countries import country_choices, country_name


def test_names_follow_the_interface_language_in_every_language_it_speaks():
    expected = {"en": "Cameroon", "fr": "Cameroun", "es": "Camerún", "sw": "Kameruni"}
    for language, name in expected.items():
        with translation.override(language):
            assert country_name("CM") == name
    with translation.override("ar"):
        assert country_name("cm") == "الكاميرون"


def test_an_unknown_code_is_shown_as_it_is():
    assert country_name("ZZ") == "ZZ"
    assert country_name("") == ""


def test_choices_start_with_the_prompt_and_sort_by_name_ignoring_accents():
    with translation.override("fr"):
        choices = country_choices()
        names = [name for _code, name in choices[1:]]
    assert choices[0][0] == ""
    assert len(names) == 249
    # "Égypte" sorts among the E's, before "Érythrée" and "Espagne", not after "Zimbabwe".
    assert names.index("Égypte") < names.index("Espagne") < names.index("Zimbabwe")
    assert names.index("Danemark") < names.index("Égypte")
