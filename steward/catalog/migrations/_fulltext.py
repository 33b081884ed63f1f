"""The SQLite full-text table over the dataset table, as the latest migration defines it.

An FTS5 table whose content is catalog_dataset (search_document: the words people search;
search_facets: the filter values), kept in step by triggers.

On SQLite, a migration that alters an existing column of catalog_dataset rebuilds the
table and drops these triggers: such a migration must run SQLITE_FTS_DROP and
SQLITE_FTS_CREATE after it (test_search_index checks that the triggers exist)."""

SQLITE_FTS_CREATE = [
    """CREATE VIRTUAL TABLE catalog_dataset_fts USING fts5(
        search_document, search_facets, content='catalog_dataset', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER catalog_dataset_fts_insert AFTER INSERT ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(rowid, search_document, search_facets)
        VALUES (new.id, new.search_document, new.search_facets);
    END""",
    """CREATE TRIGGER catalog_dataset_fts_delete AFTER DELETE ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(catalog_dataset_fts, rowid, search_document, search_facets)
        VALUES ('delete', old.id, old.search_document, old.search_facets);
    END""",
    """CREATE TRIGGER catalog_dataset_fts_update
        AFTER UPDATE OF search_document, search_facets ON catalog_dataset BEGIN
        INSERT INTO catalog_dataset_fts(catalog_dataset_fts, rowid, search_document, search_facets)
        VALUES ('delete', old.id, old.search_document, old.search_facets);
        INSERT INTO catalog_dataset_fts(rowid, search_document, search_facets)
        VALUES (new.id, new.search_document, new.search_facets);
    END""",
    "INSERT INTO catalog_dataset_fts(catalog_dataset_fts) VALUES ('rebuild')",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_insert",
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_dataset_fts_update",
    "DROP TABLE IF EXISTS catalog_dataset_fts",
]
