from django.db import migrations, models


class Migration(migrations.Migration):
    # No download event existed before downloads were served, so the table is empty and
    # the column needs no backfill.

    dependencies = [
        ("access", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="downloadevent",
            name="public_id",
            field=models.CharField(default="", max_length=25, unique=True),
            preserve_default=False,
        ),
    ]
