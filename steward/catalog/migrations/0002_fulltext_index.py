"""Full-text index over Dataset.search_document.

SQLite: an FTS5 table whose content is the dataset table, kept in step by triggers.
PostgreSQL: a GIN index on to_tsvector('simple', search_document); queries repeat
that exact expression so the planner uses it.
"""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE catalog_dataset_fts USING fts5(
        search_document, content='catalog_dataset', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER catalog_dataset_fts_insert AFTER INSERT ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    """CREATE TRIGGER catalog_dataset_fts_delete AFTER DELETE ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(catalog_dataset_fts, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
    END""",
    """CREATE TRIGGER catalog_dataset_fts_update AFTER UPDATE OF search_document ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(catalog_dataset_fts, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
        INSERT INTO catalog_dataset_fts(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    "INSERT INTO catalog_dataset_fts(catalog_dataset_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_insert",
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_update",
    "DROP TABLE IF EXISTS catalog_dataset_fts",
]
POSTGRES_CREATE = [
    "CREATE INDEX catalog_dataset_search ON catalog_dataset"
    " USING GIN (to_tsvector('simple'::regconfig, search_document))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS catalog_dataset_search"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
