"""The SQLite full-text index holds the filter values too (column `search_facets`), so a
search with filters is answered from the index alone; existing rows get their facets."""

from django.db import migrations

from steward.catalog.migrations._fulltext import SQLITE_FTS_CREATE, SQLITE_FTS_DROP


def fill_facets(apps, schema_editor):
    from steward.catalog.services import facet_token

    Dataset = apps.get_model("catalog", "Dataset")
    batch = []
    rows = Dataset.objects.select_related("language", "organization").iterator(chunk_size=2000)
    for d in rows:
        tokens = [
            facet_token("task", d.task),
            facet_token("lang", d.language.code),
            facet_token("loc", d.locale),
            facet_token("lic", d.license_abbreviation),
            facet_token("fmt", d.format),
            facet_token("org", d.organization.slug),
            facet_token("paid", "yes" if d.is_paid else "no"),
        ]
        if d.has_sample:
            tokens.append(facet_token("sample", "yes"))
        if d.status == "published" and d.visibility != "private":
            tokens.append(facet_token("listed", "yes"))
        d.search_facets = " ".join(tokens)
        batch.append(d)
        if len(batch) >= 2000:
            Dataset.objects.bulk_update(batch, ["search_facets"])
            batch = []
    Dataset.objects.bulk_update(batch, ["search_facets"])


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in SQLITE_FTS_DROP + SQLITE_FTS_CREATE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_search_facets")]

    operations = [
        migrations.RunPython(fill_facets, migrations.RunPython.noop),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
