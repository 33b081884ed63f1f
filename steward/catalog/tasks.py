"""Background work of the catalogue; each task loads its rows and calls one service."""

from django_tasks import task

from steward.storage.models import Upload

from . import services

# Uploads


@task()
def verify_submission_upload(upload_id: int) -> None:
    """Verify a large upload's checksum, then make its file the submission's."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is not None:
        services.verify_submission_upload(upload)


# Inspection


@task()
def inspect_blob(blob_id: int, locale: str = "") -> None:
    """Inspect a stored archive or sample and record what it holds."""
    from steward.storage.models import Blob

    blob = Blob.objects.filter(pk=blob_id).first()
    if blob is not None:
        services.inspect_blob(blob, locale=locale)
