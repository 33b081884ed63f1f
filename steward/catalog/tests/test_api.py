"""The MDC read API: GET /api/datasets, /api/datasets/filters, /api/datasets/{id or slug}."""

import re

import pytest

from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def catalogue(organization):
    """Five datasets in different languages, tasks, licences, prices and visibilities."""
    org = organization
    return {
        "lingala": make_dataset(org, slug="lingala-radio", archive=b"ln-bytes", sample=b"s"),
        "swahili": make_dataset(
            org, slug="swahili-news", name="Habari za Kiswahili", locale="sw-KE", task="MT",
            format="TSV", licenseAbbreviation="CC0-1.0", isPaid=True, basePriceCents=25000,
        ),
        "hazaragi": make_dataset(
            org, slug="hazaragi-stories", name="Hazaragi oral stories", locale="haz",
            task="NLP", format="TXT",
            longDescription="Stories told in Hazaragi, recorded by the archive.",
        ),
        "romansh": make_dataset(
            org, slug="romansh-words", name="Pledari", locale="rm", task="LM",
            visibility="restricted", licenseAbbreviation="CC-BY-SA-4.0",
        ),
        "private": make_dataset(
            org, slug="secret-recordings", name="Secret", locale="mda", visibility="private"
        ),
    }  # fmt: skip


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["items"]]


def test_list_returns_listed_datasets_with_total(client, catalogue):
    response = client.get("/api/datasets")
    assert response.status_code == 200
    body = response.json()
    # Private datasets are never listed; restricted ones are.
    assert body["total"] == 4
    assert set(slugs(response)) == {
        "lingala-radio",
        "swahili-news",
        "hazaragi-stories",
        "romansh-words",
    }


def test_summary_has_the_mdc_types(client, catalogue):
    item = client.get("/api/datasets/lingala-radio").json()
    assert isinstance(item["id"], str) and item["id"] == catalogue["lingala"].public_id
    assert item["filename"] == "lingala-radio.tar.gz"
    assert item["sizeBytes"] == len(b"ln-bytes")
    assert HEX64.match(item["checksum"])
    assert item["organization"] == {"name": "Radio Kinshasa Community", "slug": "radio-kinshasa"}
    assert item["pricing"]["isPaid"] is False and item["pricing"]["platformFeeRate"] is None
    assert item["isPaid"] is False and item["basePriceCents"] is None
    assert item["licenseAbbreviation"] == "CC-BY-4.0"
    assert item["license"] == "Creative Commons Attribution 4.0 International"
    assert item["datasetUrl"].startswith("http") and item["datasetUrl"].endswith(item["id"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", item["createdAt"])


@pytest.mark.parametrize("q", ["\u2103", "\u2122 \u2116", "E\u0300de\u0300 Yoru\u0300ba\u0301"])
def test_compatibility_and_decomposed_characters_search_like_their_composed_form(
    client, catalogue, q
):
    """NFKC first: '℃' is '°C' and a decomposed 'Yorùbá' one word, as the index folds them."""
    assert client.get("/api/datasets", {"q": q}).status_code == 200


def test_paid_dataset_pricing_is_base_plus_fee(client, catalogue, settings):
    settings.STEWARD_PLATFORM_FEE_RATE = "0.05"
    pricing = client.get("/api/datasets/swahili-news").json()["pricing"]
    assert pricing == {
        "isPaid": True, "basePriceCents": 25000, "currency": "usd", "platformFeeRate": "0.05",
        "platformFeeCents": 1250, "totalPriceCents": 26250,
    }  # fmt: skip


def test_details_by_id_and_by_slug_are_the_same(client, catalogue):
    by_slug = client.get("/api/datasets/hazaragi-stories").json()
    by_id = client.get(f"/api/datasets/{catalogue['hazaragi'].public_id}").json()
    assert by_slug == by_id


def test_unknown_dataset_is_404_with_error(client, catalogue):
    response = client.get("/api/datasets/no-such-dataset")
    assert response.status_code == 404
    assert response.json()["error"] == "Dataset not found"


def test_private_dataset_is_404_by_slug_and_an_outline_by_id(client, catalogue):
    assert client.get("/api/datasets/secret-recordings").status_code == 404
    # By id it answers (the SDK reads details anonymously before downloading), with no more
    # than a download needs; steward/access/tests covers this in full.
    private = catalogue["private"]
    body = client.get(f"/api/datasets/{private.public_id}").json()
    assert body["id"] == private.public_id and body["name"] is None


def test_removed_dataset_is_410_with_reason(client, catalogue):
    Dataset.objects.filter(slug="lingala-radio").update(
        status="removed", removal_reason="Consent withdrawn."
    )
    response = client.get("/api/datasets/lingala-radio")
    assert response.status_code == 410
    assert response.json()["error"] == "Consent withdrawn."
    assert "lingala-radio" not in slugs(client.get("/api/datasets"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=hazaragi", {"hazaragi-stories"}),
        ("q=Kiswahili", {"swahili-news"}),  # the autonym
        ("q=swahili", {"swahili-news"}),  # the English name
        ("q=swa", {"swahili-news"}),  # the ISO 639-3 code
        ("q=lingála", {"lingala-radio"}),  # diacritics fold
        # Other names of a language and plain words for a task find them by their codes.
        ("q=suajili", {"swahili-news"}),  # Swahili in Spanish
        ("q=kiswahili traduction", {"swahili-news"}),  # MT in French
        ("q=swahili machine translation", {"swahili-news"}),
        ("q=reconnaissance vocale", {"lingala-radio"}),  # ASR in French
        ("q=speech recognition lingala", {"lingala-radio"}),
        ("q=oral stories", {"hazaragi-stories"}),
        ("q=recorded archive", {"hazaragi-stories"}),
        ("task=MT", {"swahili-news"}),
        ("task=ASR&task=LM", {"lingala-radio", "romansh-words"}),
        ("locale=sw", {"swahili-news"}),  # a language matches all its locales
        ("locale=sw-KE", {"swahili-news"}),
        ("locale=sw-TZ", set()),
        ("locale=swa", {"swahili-news"}),
        ("locale=rm&locale=haz", {"romansh-words", "hazaragi-stories"}),
        ("license=CC0-1.0", {"swahili-news"}),
        ("format=tsv", {"swahili-news"}),
        ("pricing=compensated", {"swahili-news"}),
        ("pricing=free", {"lingala-radio", "hazaragi-stories", "romansh-words"}),
        ("sample=true", {"lingala-radio"}),
        (
            "uploadDate=today",
            {"lingala-radio", "swahili-news", "hazaragi-stories", "romansh-words"},
        ),
        ("organization=radio-kinshasa&task=NLP", {"hazaragi-stories"}),
        ("q=secret", set()),  # private datasets stay out of search too
        ("task=XYZ", set()),  # a well-formed value nobody carries matches nothing
        ("locale=zz", set()),
        ("license=Made-Up-1.0", set()),
    ],
)
def test_filters(client, catalogue, query, expected):
    response = client.get(f"/api/datasets?{query}")
    assert response.status_code == 200
    assert set(slugs(response)) == expected
    assert response.json()["total"] == len(expected)


def test_pagination_pages_and_keeps_total(client, catalogue):
    first = client.get("/api/datasets?limit=3&page=1&sort=name&sortDirection=asc").json()
    second = client.get("/api/datasets?limit=3&page=2&sort=name&sortDirection=asc").json()
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    names = [i["name"] for i in first["items"] + second["items"]]
    assert names == sorted(names)


def test_page_past_the_end_is_empty_with_same_total(client, catalogue):
    body = client.get("/api/datasets?page=50").json()
    assert body["items"] == [] and body["total"] == 4


def test_sort_by_size_puts_largest_first(client, organization):
    make_dataset(organization, slug="small", archive=b"x")
    make_dataset(organization, slug="large", archive=b"x" * 1000)
    make_dataset(organization, slug="empty")
    assert slugs(client.get("/api/datasets?sort=size")) == ["large", "small", "empty"]
    assert slugs(client.get("/api/datasets?sort=size&sortDirection=asc")) == [
        "small",
        "large",
        "empty",
    ]


def test_relevance_ranks_name_matches_first(client, organization):
    make_dataset(
        organization, slug="mentions", name="Radio clips", longDescription="Some Yoruba in it."
    )
    make_dataset(organization, slug="named", name="Yoruba speech", locale="yo")
    assert slugs(client.get("/api/datasets?q=yoruba"))[0] == "named"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("sort=popular", "sort"),
        ("sortDirection=up", "sortDirection"),
        ("uploadDate=yesterday", "uploadDate"),
        ("pricing=cheap", "pricing"),
        ("locale=en-!!", "locale"),
        ("locale=12", "locale"),
        ("task=DROP TABLE", "task"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, catalogue, query, field):
    response = client.get(f"/api/datasets?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert body["error"].startswith(field)


@pytest.mark.parametrize(
    "q",
    ['"', "'", "%", "%%", '"oral', "oral*", "stories' OR 1=1 --", "DROP TABLE catalog_dataset;",
     "NEAR(oral stories)", "a AND OR NOT", "\\", "_", "(", "{}", "oral:*", "!!! ???", "😀"],
)  # fmt: skip
def test_hostile_search_strings_never_fail(client, catalogue, q):
    response = client.get("/api/datasets", {"q": q})
    assert response.status_code == 200
    assert isinstance(response.json()["total"], int)


def test_filters_lists_vocabulary_and_values_in_use(client, catalogue):
    body = client.get("/api/datasets/filters").json()
    assert body["tasks"][:3] == ["N/A", "NLP", "ASR"] and len(body["tasks"]) == 15
    # The private dataset's locale (mda) is not advertised.
    assert body["locales"] == ["haz", "ln", "rm", "sw-KE"]
    assert body["licenses"] == ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0"]
    assert body["formats"] == ["TSV", "TXT", "WAV"]
    assert all(isinstance(v, str) for values in body.values() for v in values)


def test_filters_route_is_not_taken_for_a_slug(client, catalogue):
    assert "tasks" in client.get("/api/datasets/filters").json()


def test_paths_need_no_trailing_slash(client, catalogue):
    assert client.get("/api/datasets").status_code == 200
    assert client.get("/api/health").json() == {"status": "ok"}


def test_list_makes_a_bounded_number_of_queries(
    client, organization, settings, django_assert_max_num_queries
):
    # The listing's own queries; the rate limiter's counter is tested in operations.
    settings.STEWARD_RATE_LIMIT_API = "off"
    for n in range(30):
        make_dataset(organization, slug=f"dataset-{n}", name=f"Corpus {n}")
    # The catalogue generation (two lookups, for the cache), the count, the page, the rows.
    with django_assert_max_num_queries(5):
        response = client.get("/api/datasets?q=corpus&limit=30")
    assert response.json()["total"] == 30


def test_a_cached_listing_never_outlives_a_change(client, organization, staff):
    from steward.catalog.services import remove_dataset

    dataset = make_dataset(organization, slug="first", name="Yoruba speech", locale="yo")
    assert client.get("/api/datasets?q=yoruba").json()["total"] == 1
    make_dataset(organization, slug="second", name="Yoruba stories", locale="yo")
    assert client.get("/api/datasets?q=yoruba").json()["total"] == 2
    remove_dataset(dataset, actor=staff, reason="Taken down.")
    assert client.get("/api/datasets?q=yoruba").json()["total"] == 1
