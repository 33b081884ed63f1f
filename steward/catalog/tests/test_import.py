"""`steward import-catalog`: one dataset per JSON line, idempotent by slug."""

import json

import pytest
from django.core.management import CommandError, call_command

from steward.catalog.models import Dataset, DatasetVersion
from steward.catalog.services import import_catalog
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Organization

pytestmark = pytest.mark.django_db


def line(**overrides) -> str:
    data = {
        "name": "Lingala Radio Speech",
        "slug": "lingala-radio",
        "shortDescription": "Read speech from a community radio.",
        "longDescription": "Twelve hours of read speech.",
        "locale": "ln",
        "task": "ASR",
        "format": "WAV",
        "licenseAbbreviation": "CC-BY-4.0",
        "isPaid": False,
        "basePriceCents": None,
        "visibility": "public",
        "organization": {"name": "Radio Kinshasa", "slug": "radio-kinshasa"},
        "restrictions": "No speaker identification.",
        "pointOfContactEmail": "marie@example.org",
    }
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not ...})


def test_import_publishes_datasets_and_creates_approved_organizations():
    report = import_catalog([line(), line(slug="hausa", name="Hausa", locale="ha")])
    assert (report.created, report.errors) == (2, [])
    org = Organization.objects.get(slug="radio-kinshasa")
    assert org.is_approved and org.name == "Radio Kinshasa"
    dataset = Dataset.objects.get(slug="lingala-radio")
    assert dataset.is_listed and dataset.organization == org
    assert dataset.current_version.number == 1 and dataset.current_version.is_published
    assert dataset.current_version.datasheet["restrictions"] == "No speaker identification."
    assert dataset.language.name == "Lingala"


def test_reimport_of_the_same_lines_changes_nothing():
    import_catalog([line()])
    before = Dataset.objects.values().get(slug="lingala-radio")
    report = import_catalog([line()])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Dataset.objects.values().get(slug="lingala-radio") == before
    assert DatasetVersion.objects.count() == 1


def test_reimport_of_a_changed_line_publishes_a_new_version_and_keeps_the_old():
    import_catalog([line()])
    report = import_catalog([line(shortDescription="Now with transcripts.")])
    assert report.updated == 1
    dataset = Dataset.objects.get(slug="lingala-radio")
    assert dataset.short_description == "Now with transcripts."
    assert list(dataset.versions.values_list("number", flat=True)) == [2, 1]
    # The published version 1 is frozen: its datasheet is what it was.
    assert (
        dataset.versions.get(number=1).datasheet["short_description"]
        == "Read speech from a community radio."
    )


def test_reimport_keeps_the_files_of_the_previous_version(organization):
    make_dataset(organization, slug="with-files", archive=b"archive-bytes")
    import_catalog(
        [
            line(
                slug="with-files",
                organization={"name": organization.name, "slug": organization.slug},
            )
        ]
    )
    dataset = Dataset.objects.get(slug="with-files")
    assert dataset.current_version.number == 2
    assert dataset.current_version.files.get().blob.size_bytes == len(b"archive-bytes")
    assert dataset.size_bytes == len(b"archive-bytes")


def test_invalid_lines_are_reported_by_number_and_valid_lines_still_import():
    lines = [
        line(),
        "not json at all",
        line(slug="bad-locale", locale="zz"),
        "[1, 2]",
        line(slug="no-org", organization=None),
        line(slug="bad-email", pointOfContactEmail="nope"),
        line(slug="paid-without-price", isPaid=True),
        line(slug="free-with-price", basePriceCents=5000),
        line(slug="long-name", name="x" * 256),
        line(slug="bad task", task="ASR"),
        line(slug="filters"),
        "",
        line(slug="hausa", locale="ha"),
    ]
    report = import_catalog(lines)
    assert report.created == 2
    assert [n for n, _ in report.errors] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    reasons = dict(report.errors)
    assert "zz" in reasons[3]
    assert reasons[6].startswith("pointOfContactEmail")
    assert reasons[7].startswith("basePriceCents")
    assert reasons[9].startswith("name")
    assert set(Dataset.objects.values_list("slug", flat=True)) == {"lingala-radio", "hausa"}


def test_a_slug_of_another_organization_is_refused():
    import_catalog([line()])
    report = import_catalog([line(organization={"name": "Impostor", "slug": "impostor"})])
    assert report.errors and "belongs to another organization" in report.errors[0][1]
    assert Dataset.objects.get(slug="lingala-radio").organization.slug == "radio-kinshasa"


def test_unknown_fields_are_collected_once_each():
    report = import_catalog([line(colour="red", weight=1), line(slug="b", colour="blue")])
    assert report.unknown_fields == ["colour", "weight"]


def test_mdc_read_only_fields_are_accepted_quietly():
    report = import_catalog(
        [line(id="cmt95wvb80027qb6e2vezm3d9", sizeBytes=10, checksum="ab", createdAt="2026-01-01")]
    )
    assert report.unknown_fields == [] and report.created == 1


def test_pricing_object_is_understood():
    import_catalog(
        [
            line(
                isPaid=...,
                basePriceCents=...,
                pricing={"isPaid": True, "basePriceCents": 9900, "currency": "usd"},
            )
        ]
    )
    dataset = Dataset.objects.get(slug="lingala-radio")
    assert dataset.is_paid and dataset.base_price_cents == 9900


def test_duplicate_slugs_in_one_file_become_an_update():
    report = import_catalog([line(), line(shortDescription="Second")])
    assert (report.created, report.updated) == (1, 1)
    assert Dataset.objects.get(slug="lingala-radio").short_description == "Second"


def test_command_prints_warnings_errors_and_summary(tmp_path, capsys):
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join([line(colour="red"), "{broken", line(slug="ha", locale="ha")]) + "\n")
    call_command("import_catalog", str(path))
    out, err = capsys.readouterr()
    assert "Imported: 2 created, 0 updated, 0 unchanged, 1 invalid." in out
    assert "unknown field 'colour'" in err
    assert "line 2: not valid JSON" in err


def test_command_refuses_a_missing_or_binary_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalog", str(tmp_path / "missing.jsonl"))
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_catalog", str(binary))
    assert Dataset.objects.count() == 0
