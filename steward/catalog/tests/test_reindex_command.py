"""`steward reindex`: every dataset's search entry rebuilt from its version, language and
organization, so that edits made outside the services (the admin, an upgrade) are found."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import QueryDict

from steward.catalog.models import Dataset
from steward.catalog.queries import filter_datasets, parse_dataset_query
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Organization

pytestmark = pytest.mark.django_db


def found(q: str) -> list[str]:
    return [d.slug for d in filter_datasets(parse_dataset_query(QueryDict(f"q={q}")))]


def reindex(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("reindex", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def catalogue(organization):
    make_dataset(organization, slug="lingala", name="Lingala radio")
    make_dataset(organization, slug="swahili", name="Swahili radio", locale="sw")
    # A rename in the admin saves the row without rebuilding its datasets' search entries.
    Organization.objects.filter(pk=organization.pk).update(name="Mbandaka Voices")


def test_a_catalogue_built_by_the_services_is_up_to_date(organization):
    make_dataset(organization, slug="lingala", name="Lingala radio")
    out, _ = reindex("--check", "--json")
    assert json.loads(out) == {"checked": 1, "stale": 0, "updated": 0}


def test_check_reports_stale_entries_and_fails_without_changing_them(catalogue):
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 dataset"):
        call_command("reindex", "--check", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"checked": 2, "stale": 2, "updated": 0}
    assert found("mbandaka") == []


def test_reindex_makes_a_renamed_organization_findable(catalogue):
    before = {d.slug: d.updated_at for d in Dataset.objects.all()}
    out, _ = reindex()
    assert out == "Search index rebuilt: 2 datasets, 2 updated.\n"
    assert sorted(found("mbandaka")) == ["lingala", "swahili"]
    # A new updated_at is what tells cached catalogue listings to refresh.
    assert all(d.updated_at > before[d.slug] for d in Dataset.objects.all())
    out, _ = reindex("--check")
    assert out == "Search index checked: 2 datasets, 0 out of date.\n"


def test_reindex_restores_the_filter_words_of_a_dataset(organization):
    dataset = make_dataset(organization, slug="swahili", name="Swahili radio", locale="sw")
    Dataset.objects.filter(pk=dataset.pk).update(search_facets="")
    out, _ = reindex("--json")
    assert json.loads(out) == {"checked": 1, "stale": 1, "updated": 1}
    dataset.refresh_from_db()
    assert dataset.search_facets != ""
    assert found("swahili") == ["swahili"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_reindex_repairs_a_full_text_table_that_drifted(organization):
    make_dataset(organization, slug="lingala", name="Lingala radio")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO catalog_dataset_fts(catalog_dataset_fts) VALUES ('delete-all')")
    assert found("lingala") == []
    reindex()
    assert found("lingala") == ["lingala"]


def test_reindex_draws_a_bar_only_when_wanted(catalogue, monkeypatch):
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    _, err = reindex()
    assert "\rRe-indexing [" in err and "2/2 datasets" in err
    _, err = reindex("--quiet")
    assert err == ""
    monkeypatch.delenv("STEWARD_PROGRESS")
    _, err = reindex()
    assert err == ""
