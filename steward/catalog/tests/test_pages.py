import hashlib

import pytest
from django.urls import reverse

from steward.catalog.models import Dataset, DatasetVersion
from steward.catalog.services import create_submission
from steward.catalog.tests.factories import make_dataset
from steward.organizations.services import create_organization

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:dataset-list")


def detail_url(value: str) -> str:
    return reverse("catalog:dataset-detail", args=[value])


@pytest.fixture
def catalogue(organization):
    """Three listed datasets that differ in every filter, plus one private dataset."""
    other = create_organization("yoruba-voices", name="Yoruba Voices", approved=True)
    return {
        "swahili": make_dataset(
            organization,
            slug="swahili-news",
            archive=b"swahili archive",
            sample=b"swahili sample",
            name="Swahili News",
            shortDescription="News articles from Nairobi.",
            locale="sw",
            task="NLP",
            format="TXT",
            licenseAbbreviation="CC-BY-4.0",
        ),
        "yoruba": make_dataset(
            other,
            slug="yoruba-speech",
            name="Yoruba Speech",
            locale="yo",
            task="ASR",
            format="WAV",
            licenseAbbreviation="CC-BY-NC-4.0",
            isPaid=True,
            basePriceCents=2500,
        ),
        "lingala": make_dataset(
            organization, slug="lingala-radio", name="Lingala Radio", task="TTS"
        ),
        "private": make_dataset(
            organization, slug="private-notes", name="Private Notes", visibility="private"
        ),
    }


def names_in(response) -> set[str]:
    """The datasets shown, checked both in the context and in the HTML."""
    shown = {dataset.name for dataset, _ in response.context["cards"]}
    assert all(name in response.content.decode() for name in shown)
    return shown


def test_home_shows_counts_and_newest_datasets(client, catalogue):
    response = client.get(reverse("catalog:home"))

    assert response.status_code == 200
    counts = response.context["counts"]
    # The private dataset is not counted, and its organization has listed ones anyway.
    assert counts == {"datasets": 3, "languages": 3, "organizations": 2}
    assert names_in(response) == {"Swahili News", "Yoruba Speech", "Lingala Radio"}
    assert "Private Notes" not in response.content.decode()


def test_browse_lists_every_listed_dataset(client, catalogue):
    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert names_in(response) == {"Swahili News", "Yoruba Speech", "Lingala Radio"}
    assert "Private Notes" not in response.content.decode()
    assert "<html" in response.content.decode()


def test_browse_searches_text(client, catalogue):
    response = client.get(LIST_URL, {"q": "nairobi"})

    assert response.status_code == 200
    assert names_in(response) == {"Swahili News"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"locale": "sw"}, {"Swahili News"}),
        ({"task": "ASR"}, {"Yoruba Speech"}),
        ({"license": "CC-BY-NC-4.0"}, {"Yoruba Speech"}),
        ({"format": "TXT"}, {"Swahili News"}),
        ({"organization": "yoruba-voices"}, {"Yoruba Speech"}),
        ({"pricing": "compensated"}, {"Yoruba Speech"}),
        ({"pricing": "free"}, {"Swahili News", "Lingala Radio"}),
        ({"sample": "true"}, {"Swahili News"}),
    ],
)
def test_browse_filters(client, catalogue, params, expected):
    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert names_in(response) == expected


def test_browse_offers_filter_values_in_use(client, catalogue):
    response = client.get(LIST_URL)

    filters = response.context["filters"]
    assert ("sw", "Swahili") in filters["locales"]
    assert "CC-BY-NC-4.0" in filters["licenses"]
    assert [o.slug for o in filters["organizations"]] == ["radio-kinshasa", "yoruba-voices"]


def test_browse_sorts_by_name(client, catalogue):
    response = client.get(LIST_URL, {"sort": "name", "sortDirection": "desc"})

    names = [dataset.name for dataset, _ in response.context["cards"]]
    assert names == ["Yoruba Speech", "Swahili News", "Lingala Radio"]


def test_browse_paginates(client, catalogue):
    first = client.get(LIST_URL, {"sort": "name", "limit": 2})
    second = client.get(LIST_URL, {"sort": "name", "limit": 2, "page": 2})

    assert [d.name for d, _ in first.context["cards"]] == ["Lingala Radio", "Swahili News"]
    assert "Page 1 of 2" in first.content.decode()
    assert 'rel="next"' in first.content.decode()
    assert [d.name for d, _ in second.context["cards"]] == ["Yoruba Speech"]


def test_browse_htmx_request_gets_only_the_results_fragment(client, catalogue):
    response = client.get(LIST_URL, {"task": "ASR"}, HTTP_HX_REQUEST="true")

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'id="f-task"' not in text
    assert names_in(response) == {"Yoruba Speech"}
    # Browsers must not serve a cached fragment for a full page load, or the reverse.
    assert "HX-Request" in response["Vary"]


def test_browse_htmx_history_restore_gets_the_whole_page(client, catalogue):
    response = client.get(LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"locale": "not a locale"}, "locale:"),
        ({"task": "speech recognition"}, "task:"),
        ({"limit": "101"}, "limit: must be between 1 and 100"),
        ({"page": "abc"}, "page: &#x27;abc&#x27; is not a whole number"),
        ({"sort": "price"}, "sort:"),
    ],
)
def test_browse_bad_parameter_shows_the_error_with_status_400(client, catalogue, params, message):
    response = client.get(LIST_URL, params)

    assert response.status_code == 400
    text = response.content.decode()
    assert 'role="alert"' in text
    assert message in text
    # The filters stay on the page so the user can correct them.
    assert 'id="f-locale"' in text


def test_browse_bad_parameter_in_htmx_fragment_is_400_with_the_message(client, catalogue):
    response = client.get(LIST_URL, {"limit": "0"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "limit: must be between 1 and 100" in response.content.decode()


def test_browse_unknown_but_well_formed_locale_matches_nothing(client, catalogue):
    response = client.get(LIST_URL, {"locale": "zz"})

    assert response.status_code == 200
    assert names_in(response) == set()
    assert "No dataset matches" in response.content.decode()


@pytest.mark.parametrize(
    "q",
    [
        'swahili "news',
        "100% swahili",
        "' OR 1=1; DROP TABLE catalog_dataset; --",
        "NEAR(swahili news) AND NOT *",
        "_%_",
    ],
)
def test_browse_query_syntax_in_q_is_plain_text(client, catalogue, q):
    response = client.get(LIST_URL, {"q": q})

    assert response.status_code == 200


def test_browse_query_count_does_not_grow_with_results(
    client, organization, django_assert_max_num_queries
):
    for number in range(30):
        make_dataset(organization, slug=f"dataset-{number}", name=f"Dataset {number}", locale="sw")

    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL, {"limit": 30})

    assert len(response.context["cards"]) == 30


def test_languages_index_lists_name_autonym_code_and_count(client, catalogue, organization):
    make_dataset(organization, slug="swahili-radio", name="Swahili Radio", locale="sw-KE")

    response = client.get(reverse("catalog:language-list"))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Swahili" in text
    assert '<span lang="sw" dir="auto">Kiswahili</span>' in text
    assert "<code>swa</code>" in text
    swahili = next(lang for lang in response.context["languages"] if lang.code == "sw")
    assert swahili.dataset_count == 2
    assert f"{LIST_URL}?locale=sw" in text


def test_languages_index_filters_by_name_and_autonym(client, catalogue):
    by_name = client.get(reverse("catalog:language-list"), {"name": "yoru"})
    by_autonym = client.get(reverse("catalog:language-list"), {"name": "kiswahili"})

    assert [lang.code for lang in by_name.context["languages"]] == ["yo"]
    assert [lang.code for lang in by_autonym.context["languages"]] == ["sw"]


def test_languages_index_htmx_request_gets_only_the_table(client, catalogue):
    response = client.get(reverse("catalog:language-list"), {"name": "swa"}, HTTP_HX_REQUEST="true")

    assert "<html" not in response.content.decode()
    assert "Kiswahili" in response.content.decode()


def test_dataset_page_shows_files_terms_and_sdk_snippet(client, catalogue):
    dataset = catalogue["swahili"]

    response = client.get(detail_url(dataset.public_id))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Swahili News" in text
    assert '<p class="lead" lang="sw" dir="auto">News articles from Nairobi.</p>' in text
    assert "Kiswahili" in text
    assert "Natural language processing" in text
    assert "Creative Commons Attribution 4.0 International" in text
    assert "You must credit the creators." in text
    assert "swahili-news.tar.gz" in text
    assert hashlib.sha256(b"swahili archive").hexdigest() in text
    assert "15\xa0bytes" in text
    assert "pip install datacollective" in text
    assert "export MDC_API_URL=http://" in text
    assert f'download_dataset("{dataset.public_id}")' in text
    assert "Radio Kinshasa Community (" in text
    assert (
        f"(version 1) [Data set]. Steward. http://127.0.0.1:8000/datasets/{dataset.public_id}"
        in text
    )


def test_dataset_page_works_by_slug(client, catalogue):
    response = client.get(detail_url("swahili-news"))

    assert response.status_code == 200
    assert response.context["dataset"] == catalogue["swahili"]


def test_dataset_page_shows_the_price_breakdown(client, catalogue, settings):
    settings.STEWARD_PLATFORM_FEE_RATE = "0.05"

    response = client.get(detail_url("yoruba-speech"))

    text = response.content.decode()
    assert "USD 25.00" in text
    assert "Platform fee (5%)" in text
    assert "USD 1.25" in text
    assert "USD 26.25" in text
    assert "Not for commercial use" in text or "not for commercial use" in text


def test_dataset_page_shows_datasheet_and_contacts_only_when_allowed(client, organization):
    make_dataset(
        organization,
        slug="with-sheet",
        name="With Sheet",
        intendedUsage="Training speech recognisers.",
        forbiddenUsage="Surveillance.",
        pointOfContactFullName="Amani Juma",
        pointOfContactEmail="amani@example.org",
        showContactInfo=False,
    )
    make_dataset(
        organization,
        slug="with-contacts",
        name="With Contacts",
        pointOfContactFullName="Amani Juma",
        pointOfContactEmail="amani@example.org",
        showContactInfo=True,
    )

    hidden = client.get(detail_url("with-sheet")).content.decode()
    shown = client.get(detail_url("with-contacts")).content.decode()

    assert "Training speech recognisers." in hidden
    assert "Surveillance." in hidden
    assert "amani@example.org" not in hidden
    assert "amani@example.org" in shown


def test_dataset_page_shows_annotation_and_known_biases(client, organization):
    make_dataset(
        organization,
        slug="annotated",
        annotationProcess="Two speakers transcribed each recording.",
        knownBiases="Mostly men over 40 from Kinshasa.",
    )
    page = client.get(detail_url("annotated")).content.decode()
    datasheet = page.split('id="datasheet-heading"')[1].split("</section>")[0]
    # Community text, in the dataset's language and direction, under its label.
    for label, text in [
        ("Annotation and transcription", "Two speakers transcribed each recording."),
        ("Known biases and gaps", "Mostly men over 40 from Kinshasa."),
    ]:
        assert (
            f'<dt>{label}</dt><dd class="prose" lang="ln" dir="auto"><p>{text}</p></dd>'
            in datasheet
        )


def test_a_dataset_published_before_annotation_and_biases_keeps_working(
    client, organization, owner
):
    dataset = make_dataset(organization, slug="older", intendedUsage="Speech recognisers.")
    version = dataset.current_version
    older = {k: v for k, v in version.datasheet.items() if k not in ("annotation", "biases")}
    DatasetVersion.objects.filter(pk=version.pk).update(datasheet=older)

    response = client.get(detail_url("older"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Speech recognisers." in page
    assert "Known biases and gaps" not in page and "Annotation and transcription" not in page
    # A new version starts from the older datasheet, with the two fields empty.
    dataset = Dataset.objects.get(pk=dataset.pk)
    assert "biases" not in dataset.current_version.datasheet
    draft = create_submission(owner, data={"name": "Older, second version"}, dataset=dataset)
    assert (draft.datasheet["annotation"], draft.datasheet["biases"]) == ("", "")
    assert draft.datasheet["intended_usage"] == "Speech recognisers."


def test_restricted_dataset_says_access_must_be_requested(client, organization):
    make_dataset(organization, slug="restricted", name="Restricted", visibility="restricted")

    response = client.get(detail_url("restricted"))

    assert response.status_code == 200
    assert "access must be requested" in response.content.decode()


def test_private_dataset_is_404_to_anonymous_and_outsider(client, catalogue, outsider):
    assert client.get(detail_url("private-notes")).status_code == 404

    client.force_login(outsider)
    response = client.get(detail_url("private-notes"))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_private_dataset_is_shown_to_a_member(client, catalogue, member):
    client.force_login(member)

    response = client.get(detail_url("private-notes"))

    assert response.status_code == 200
    assert "Private Notes" in response.content.decode()


def test_unknown_dataset_is_404(client, db):
    assert client.get(detail_url("no-such-dataset")).status_code == 404


def test_removed_dataset_is_410_with_the_reason(client, catalogue):
    Dataset.objects.filter(slug="swahili-news").update(
        status="removed", removal_reason="Consent was withdrawn."
    )

    response = client.get(detail_url("swahili-news"))

    assert response.status_code == 410
    assert "Consent was withdrawn." in response.content.decode()


def test_organization_page_lists_its_datasets(client, catalogue):
    response = client.get(reverse("catalog:organization-detail", args=["radio-kinshasa"]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Radio Kinshasa Community" in text
    assert "Congo - Kinshasa (CD)" in text
    assert names_in(response) == {"Swahili News", "Lingala Radio"}
    assert "Private Notes" not in text


def test_organization_page_is_404_for_unknown_or_unapproved(client, db):
    create_organization("pending-org", name="Pending")

    assert client.get(reverse("catalog:organization-detail", args=["nope"])).status_code == 404
    assert (
        client.get(reverse("catalog:organization-detail", args=["pending-org"])).status_code == 404
    )
