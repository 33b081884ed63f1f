"""`steward expire-uploads --json`."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from steward.storage import services
from steward.storage.models import Upload

pytestmark = pytest.mark.django_db


def test_the_count_of_expired_uploads_as_json(owner):
    upload = services.start_upload(
        owner,
        reference="csubmission",
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=1000,
        mime_type="application/gzip",
    )
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(days=1))
    out = io.StringIO()
    call_command("expire_uploads", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"expired": 1}
    out = io.StringIO()
    call_command("expire_uploads", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"expired": 0}
