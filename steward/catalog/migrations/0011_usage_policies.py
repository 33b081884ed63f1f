"""Every dataset published before usage policies gets the policy its MDC fields describe."""

from django.db import migrations


def create_policies(apps, schema_editor):
    from steward.catalog.terms import policy_for
    from steward.licensing.document import stored_document

    Dataset = apps.get_model("catalog", "Dataset")
    DatasetVersion = apps.get_model("catalog", "DatasetVersion")
    UsagePolicy = apps.get_model("licensing", "UsagePolicy")
    PolicyVersion = apps.get_model("licensing", "PolicyVersion")
    for dataset in Dataset.objects.filter(usage_policy__isnull=True).iterator():
        version = DatasetVersion.objects.filter(pk=dataset.current_version_id).first()
        document = stored_document(policy_for({}, version.datasheet if version else {})[0])
        policy = UsagePolicy.objects.create(organization_id=dataset.organization_id)
        terms = PolicyVersion.objects.create(policy=policy, number=1, document=document)
        policy.current = terms
        policy.save(update_fields=["current"])
        Dataset.objects.filter(pk=dataset.pk).update(usage_policy=policy)
        DatasetVersion.objects.filter(dataset=dataset, policy_version__isnull=True).update(
            policy_version=terms
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_dataset_usage_policy_datasetversion_policy_version_and_more"),
        ("licensing", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
