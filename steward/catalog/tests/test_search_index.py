"""Full-text search runs on the database's full-text index, never a LIKE scan."""

import json

import pytest
from django.db import connection

from steward.catalog.models import Dataset
from steward.catalog.queries import filter_datasets, parse_dataset_query
from steward.catalog.services import import_catalog
from steward.catalog.tests.factories import make_dataset

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With a handful of rows a sequential scan is cheaper; forbid it to see
            # whether the planner can use the index at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_search_uses_the_full_text_index(organization):
    make_dataset(organization, slug="yoruba", name="Yoruba speech", locale="yo")
    # Enough other rows, with statistics, for the planner to prefer an index.
    bulk = {"locale": "en", "organization": {"name": "Bulk", "slug": "bulk"}}
    lines = [json.dumps({"name": f"Corpus {n}", "slug": f"corpus-{n}", **bulk}) for n in range(500)]
    import_catalog(lines)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    query = parse_dataset_query(_params("q=yoruba speech"))
    assert [d.slug for d in filter_datasets(query)] == ["yoruba"]
    # Without the catalogue's other filters, whose b-tree indexes the planner may prefer,
    # the full-text condition is the only way in: it must be able to use its index.
    queryset = filter_datasets(query, base=Dataset.objects.all())
    plan = plan_of(queryset)
    if connection.vendor == "postgresql":
        assert "catalog_dataset_search" in plan
    else:
        assert "catalog_dataset_fts VIRTUAL TABLE INDEX" in plan
    assert "LIKE" not in str(queryset.query).upper()


def test_index_follows_updates_and_deletes(organization):
    dataset = make_dataset(organization, slug="renamed", name="Old name")
    dataset.search_document = "new words"
    dataset.save(update_fields=["search_document"])
    assert [d.slug for d in filter_datasets(parse_dataset_query(_params("q=new")))] == ["renamed"]
    assert list(filter_datasets(parse_dataset_query(_params("q=old")))) == []


def _params(query: str):
    from django.http import QueryDict

    return QueryDict(query)


def test_a_search_with_filters_is_answered_from_the_index(organization):
    """On SQLite the count and the page of a search come from the full-text table alone,
    so their cost does not grow with the rows a filter would have to visit."""
    from django.test.utils import CaptureQueriesContext

    from steward.catalog.queries import search_datasets

    make_dataset(organization, slug="yoruba", name="Yoruba speech", locale="yo", task="ASR")
    make_dataset(organization, slug="hausa", name="Hausa speech", locale="ha", task="TTS")
    query = parse_dataset_query(_params("q=speech&task=ASR&locale=yo&pricing=free"))
    with CaptureQueriesContext(connection) as queries:
        result = search_datasets(query)
    assert [d.slug for d in result.items] == ["yoruba"] and result.total == 1
    if connection.vendor == "sqlite":
        count_sql = queries.captured_queries[0]["sql"]
        page_sql = queries.captured_queries[1]["sql"]
        assert "FROM catalog_dataset_fts WHERE" in count_sql and "JOIN" not in count_sql
        assert page_sql.startswith("SELECT rowid FROM catalog_dataset_fts")


def test_facets_follow_takedowns_and_restores(organization, staff):
    from steward.catalog.queries import search_datasets
    from steward.catalog.services import remove_dataset, restore_dataset

    dataset = make_dataset(organization, slug="yoruba", name="Yoruba speech", locale="yo")
    query = parse_dataset_query(_params("q=yoruba"))
    assert search_datasets(query).total == 1
    remove_dataset(dataset, actor=staff, reason="Consent withdrawn.")
    assert search_datasets(query).total == 0
    restore_dataset(dataset, actor=staff)
    assert search_datasets(query).total == 1


def test_the_full_text_index_is_in_place_after_all_migrations():
    """SQLite keeps its index by triggers, which a table rebuild would drop; PostgreSQL
    has its GIN index."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_dataset'")
            assert "catalog_dataset_search" in {row[0] for row in cursor.fetchall()}
            return
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        names = [row[0] for row in cursor.fetchall()]
    assert names == [
        "catalog_dataset_fts_delete",
        "catalog_dataset_fts_insert",
        "catalog_dataset_fts_update",
    ]
