"""The semantic ranking extra: the shipped model must tell related datasets from unrelated ones.

Runs only where `pip install steward[semantic]` is installed (the test extra includes it)."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from steward.search import semantic

pytest.importorskip("wordllama")

CATALOGUE = [
    "Kiswahili audio transcription corpus: 200 hours of read speech with transcripts",
    "Chest X-ray images with radiologist labels for pneumonia detection",
    "Parallel corpus of English and French parliamentary proceedings for machine translation",
    "Photos of cats and dogs labelled by breed",
    "Daily weather station records: temperature, rainfall and wind speed",
    "Customer reviews of restaurants with star ratings for sentiment analysis",
    "Yoruba folk songs recorded in villages, with lyrics",
    "Satellite imagery of farmland for crop yield estimation",
    "Legal contracts annotated with clause types",
    "Handwritten digits scanned from postal envelopes",
    "Conversational Spanish telephone speech with transcripts",
    "Tweets about football matches labelled by team",
]


def best_match(query: str) -> str:
    scores = semantic.similarities(query, CATALOGUE)
    return CATALOGUE[scores.index(max(scores))]


def test_the_model_loads_from_the_installed_package():
    # With the package installed, a model that fails to load is a bug, not a reason to skip.
    assert semantic.is_available()


def test_a_paraphrase_scores_higher_than_an_unrelated_text():
    scores = semantic.similarities(
        "speech recognition for Swahili",
        ["Kiswahili audio transcription corpus", "images of cats"],
    )

    assert scores[0] > scores[1] + 0.2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("speech recognition for Swahili", CATALOGUE[0]),
        # No word in common with the dataset they should find.
        ("pet pictures", CATALOGUE[3]),
        ("climate and meteorology measurements", CATALOGUE[4]),
        ("traditional music from Nigeria", CATALOGUE[6]),
        ("agriculture remote sensing", CATALOGUE[7]),
        ("OCR of handwritten numbers", CATALOGUE[9]),
    ],
)
def test_the_closest_dataset_is_the_one_that_means_the_query(query, expected):
    assert best_match(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reconocimiento de voz en español", CATALOGUE[10]),
        ("traduction automatique anglais français", CATALOGUE[2]),
        ("Wetterdaten Temperatur Niederschlag", CATALOGUE[4]),
        ("imagens de satélite agricultura", CATALOGUE[7]),
        ("radiografias de tórax", CATALOGUE[1]),
    ],
)
def test_queries_in_other_languages_find_english_descriptions(query, expected):
    assert best_match(query) == expected


def test_scores_are_cosines_in_the_order_of_the_texts():
    texts = ["Photos of cats and dogs", "Legal contracts", "Photos of cats and dogs"]

    scores = semantic.similarities("Photos of cats and dogs", texts)

    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert scores[2] == scores[0]
    assert all(-1.0 <= score <= 1.0 for score in scores)
    assert scores[1] < 0.5


def test_empty_inputs_have_no_similarity():
    assert semantic.similarities("speech", []) == []
    assert semantic.similarities("", ["speech corpus", "cats"]) == [0.0, 0.0]
    # Whitespace alone carries no meaning either.
    assert semantic.similarities("speech", ["", " \n\t "]) == [0.0, 0.0]
    assert semantic.embed([]).shape == (0, semantic.DIMENSIONS)


def test_embeddings_are_unit_rows_that_give_the_same_scores():
    rows = semantic.embed(CATALOGUE)
    query = semantic.embed(["speech recognition for Swahili"])[0]

    assert rows.shape == (len(CATALOGUE), semantic.DIMENSIONS)
    assert (abs((rows**2).sum(axis=1) - 1) < 1e-5).all()
    # Stored rows and a fresh query give what similarities() gives.
    assert (rows @ query).tolist() == pytest.approx(
        semantic.similarities("speech recognition for Swahili", CATALOGUE), abs=1e-6
    )


def test_a_long_description_is_judged_by_its_beginning():
    summary = "Kiswahili audio transcription corpus: read speech with transcripts. "
    long_text = summary + "Recorded by volunteers on phones across the coast. " * 50_000

    query = "speech recognition for Swahili"

    scores = semantic.similarities(query, [long_text, "Photos of cats and dogs"])

    assert len(long_text) > 2_000_000
    assert scores[0] > scores[1] + 0.1
    beginning = long_text[: semantic.MAX_CHARS]
    assert scores[0] == pytest.approx(semantic.similarities(query, [beginning])[0])


def test_threads_share_one_model_and_get_the_same_answers():
    expected = semantic.similarities("speech recognition for Swahili", CATALOGUE)
    results: list[list[float]] = []

    def rank():
        results.append(semantic.similarities("speech recognition for Swahili", CATALOGUE))

    threads = [threading.Thread(target=rank) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [expected] * 8


def test_the_setting_turns_semantic_ranking_off(settings):
    settings.STEWARD_ASSISTANT_SEMANTIC = "off"
    assert not semantic.is_enabled()

    settings.STEWARD_ASSISTANT_SEMANTIC = "auto"
    assert semantic.is_enabled()


def test_an_unknown_setting_value_is_refused(settings):
    settings.STEWARD_ASSISTANT_SEMANTIC = "sometimes"

    with pytest.raises(ImproperlyConfigured, match="STEWARD_ASSISTANT_SEMANTIC"):
        semantic.is_enabled()
