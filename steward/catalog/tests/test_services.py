"""Publishing datasets and versions."""

import pytest

from steward.catalog.models import Dataset, DatasetVersion
from steward.catalog.services import CatalogError, publish_dataset, publish_version
from steward.catalog.tests.factories import make_dataset, make_sheet
from steward.organizations.services import create_organization

pytestmark = pytest.mark.django_db


def test_publishing_creates_version_one_with_its_files(organization):
    dataset = make_dataset(organization, slug="lingala", archive=b"abc", sample=b"s")
    version = dataset.current_version
    assert version.number == 1 and version.is_published
    assert {f.role: f.filename for f in version.files.all()} == {
        "archive": "lingala.tar.gz",
        "sample": "lingala-sample.tar.gz",
    }
    archive = version.files.get(role="archive").blob
    assert dataset.size_bytes == archive.size_bytes == 3
    assert dataset.checksum == archive.sha256
    assert dataset.has_sample
    assert len(dataset.public_id) == 25 and dataset.public_id.isalnum()


def test_only_an_approved_organization_may_publish():
    pending = create_organization("pending", name="Pending")
    with pytest.raises(CatalogError, match="approved"):
        publish_dataset(pending, sheet=make_sheet())
    assert Dataset.objects.count() == 0


@pytest.mark.parametrize("slug", ["filters", "Has Space", "-dash", "a/b", "x" * 121, "dots..dots"])
def test_bad_or_reserved_slugs_are_refused(organization, slug):
    with pytest.raises(CatalogError) as excinfo:
        publish_dataset(organization, sheet=make_sheet(), slug=slug)
    assert excinfo.value.field == "slug"
    assert Dataset.objects.count() == 0


def test_a_taken_slug_is_refused(organization):
    make_dataset(organization, slug="taken")
    with pytest.raises(CatalogError, match="taken"):
        make_dataset(organization, slug="taken")
    assert Dataset.objects.count() == 1


def test_a_new_version_leaves_the_published_one_as_it_was(organization):
    dataset = make_dataset(organization, slug="lingala", archive=b"abc")
    first = dataset.current_version
    frozen = (first.datasheet, list(first.files.values_list("blob__sha256", flat=True)))

    second = publish_version(dataset, sheet=make_sheet(name="Lingala Radio Speech, revised"))
    dataset.refresh_from_db()
    first.refresh_from_db()
    assert second.number == 2 and dataset.current_version == second
    assert dataset.name == "Lingala Radio Speech, revised"
    # A version without files makes a metadata-only dataset; version 1 keeps its archive.
    assert dataset.filename == "" and dataset.checksum == ""
    assert (first.datasheet, list(first.files.values_list("blob__sha256", flat=True))) == frozen
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 2


def test_search_document_holds_language_names_and_codes(organization):
    dataset = make_dataset(organization, slug="yoruba", name="Ìtàn", locale="yo-NG")
    for word in ["itan", "yoruba", "ede yoruba", "yor", "yo-ng", "radio kinshasa"]:
        assert word in dataset.search_document
    assert dataset.language.code == "yo"
