"""The official `datacollective` SDK (0.7.0), unmodified, against a live Steward server."""

import pytest

from steward.catalog.tests.factories import make_dataset

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def sdk(live_server, monkeypatch, organization):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    monkeypatch.delenv("MDC_API_KEY", raising=False)
    make_dataset(organization, slug="lingala-radio", archive=b"archive", sample=b"sample")
    make_dataset(
        organization,
        slug="swahili-news",
        name="Habari za Kiswahili",
        locale="sw",
        task="MT",
        format="TSV",
    )
    make_dataset(
        organization, slug="hazaragi-stories", name="Hazaragi oral stories", locale="haz",
        task="NLP", licenseAbbreviation="CC0-1.0", isPaid=True, basePriceCents=25000,
    )  # fmt: skip
    make_dataset(organization, slug="hidden", name="Hidden", locale="mda", visibility="private")
    import datacollective

    return datacollective


def test_list_datasets_with_search_and_filters(sdk):
    everything = sdk.list_datasets()
    assert everything.total == 3 and len(everything) == 3

    found = sdk.list_datasets("kiswahili")
    assert [d.slug for d in found] == ["swahili-news"]

    filtered = sdk.list_datasets(
        task=["ASR", "NLP"], locale=["ln", "haz"], results_per_page=1, page_number=2
    )
    assert filtered.total == 2 and len(filtered) == 1

    assert {d.slug for d in sdk.list_datasets(pricing="compensated")} == {"hazaragi-stories"}
    assert {d.slug for d in sdk.list_datasets(has_sample=True)} == {"lingala-radio"}
    assert sdk.list_datasets(locale="xx").total == 0
    sized = sdk.list_datasets(sort="size", sort_direction="desc", upload_date="thisYear")
    assert sized[0].slug == "lingala-radio"


def test_list_dataset_filters(sdk):
    filters = sdk.list_dataset_filters()
    assert "ASR" in filters.tasks and len(filters.tasks) == 15
    assert filters.locales == ["haz", "ln", "sw"]
    assert filters.licenses == ["CC-BY-4.0", "CC0-1.0"]
    assert filters.formats == ["TSV", "WAV"]


def test_get_dataset_details_by_id_and_by_slug(sdk):
    by_slug = sdk.get_dataset_details("hazaragi-stories")
    by_id = sdk.get_dataset_details(by_slug.id)
    assert by_id.id == by_slug.id and by_id.name == "Hazaragi oral stories"
    assert by_id.pricing.platformFeeRate == "0.05" and by_id.pricing.totalPriceCents == 26250
    lingala = sdk.get_dataset_details("lingala-radio")
    assert lingala.filename == "lingala-radio.tar.gz" and lingala.sizeBytes == len(b"archive")
    assert len(lingala.checksum) == 64


def test_unknown_and_private_datasets_raise_file_not_found(sdk):
    with pytest.raises(FileNotFoundError):
        sdk.get_dataset_details("no-such-dataset")
    with pytest.raises(FileNotFoundError):
        sdk.get_dataset_details("hidden")
