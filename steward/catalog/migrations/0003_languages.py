"""Load every ISO 639-3 language (names from CLDR and ISO 639-3)."""

from django.db import migrations


def load(apps, schema_editor):
    from steward.catalog.languages import iter_languages

    Language = apps.get_model("catalog", "Language")
    known = set(Language.objects.values_list("code", flat=True))
    Language.objects.bulk_create(
        [
            Language(code=info.code, iso639_3=info.iso639_3, name=info.name, autonym=info.autonym)
            for info in iter_languages()
            if info.code not in known
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_fulltext_index")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
