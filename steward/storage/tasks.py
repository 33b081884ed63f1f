"""Background work of storage; each task loads its row and calls one service."""

from django_tasks import task

from . import services
from .models import Upload


@task()
def verify_upload(upload_id: int) -> None:
    """Hash a large joined upload after its completion was accepted."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is not None:
        services.verify_upload(upload)
