"""The MDC download sessions: POST /api/datasets/{id}/download and /sample-download."""

import hashlib
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from steward.access.models import DownloadEvent
from steward.audit.models import AuditEvent
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE, SAMPLE

pytestmark = pytest.mark.django_db

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_session_has_the_mdc_shape_and_agrees_with_the_details(client, datasets, member, auth_for):
    dataset = datasets["public"]
    details = client.get(f"/api/datasets/{dataset.public_id}").json()

    response = client.post(
        f"/api/datasets/{dataset.public_id}/download",
        HTTP_USER_AGENT="datacollective-python/0.7.0",
        **auth_for(member),
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "accessRecordId", "downloadToken", "downloadUrl", "expiresAt", "sizeBytes",
        "contentType", "filename", "checksum",
    }  # fmt: skip
    # sizeBytes is a string of digits, as MDC sends it; the SDK accepts either.
    assert body["sizeBytes"] == str(len(ARCHIVE)) and body["sizeBytes"].isdigit()
    assert int(body["sizeBytes"]) == details["sizeBytes"]
    assert body["checksum"] == details["checksum"] == hashlib.sha256(ARCHIVE).hexdigest()
    assert body["filename"] == details["filename"] == "public-speech.tar.gz"
    assert body["contentType"] == "application/gzip"
    assert body["downloadUrl"].startswith("http://testserver/downloads/")
    assert body["downloadUrl"].endswith(body["downloadToken"])
    assert ISO_MS.match(body["expiresAt"])
    event = DownloadEvent.objects.get()
    assert body["accessRecordId"] == event.public_id
    assert (event.user, event.dataset, event.channel) == (member, dataset, "api")
    assert event.client == "datacollective-python/0.7.0"
    expires_at = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires_at - (timezone.now() + timedelta(hours=1))) < timedelta(minutes=1)


def test_sample_session_has_the_sample_name_and_no_checksum(client, datasets, member, auth_for):
    dataset = datasets["public"]

    body = client.post(
        f"/api/datasets/{dataset.public_id}/sample-download", **auth_for(member)
    ).json()

    assert set(body) == {"downloadUrl", "filename", "sizeBytes", "contentType", "expiresAt"}
    assert body["filename"] == "public-speech-sample.tar.gz"
    assert body["sizeBytes"] == str(len(SAMPLE))
    assert body["downloadUrl"].startswith("http://testserver/downloads/")


def test_the_slug_works_too(client, datasets, member, auth_for):
    response = client.post("/api/datasets/public-speech/download", **auth_for(member))
    assert response.status_code == 200


def test_a_session_records_the_event_and_an_audit_row(client, datasets, member, auth_for):
    dataset = datasets["public"]
    client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(member))

    event = DownloadEvent.objects.get()
    audit = AuditEvent.objects.get(action="access.download.started")
    assert audit.organization_id == dataset.organization_id == event.organization_id
    assert audit.target_id == dataset.public_id
    assert audit.actor == member and "(key " in audit.actor_label
    assert audit.data["download"] == event.public_id
    assert audit.data["file"] == "archive" and audit.data["channel"] == "api"
    assert audit.data["sha256"] == hashlib.sha256(ARCHIVE).hexdigest()
    assert event.file.role == "archive" and event.version == dataset.current_version
    assert event.bytes_served == 0  # nothing fetched yet


def test_unknown_dataset_is_404(client, member, auth_for):
    response = client.post("/api/datasets/cnosuchdataset0000000000000/download", **auth_for(member))
    assert response.status_code == 404
    assert response.json()["error"] == "Dataset not found"


def test_removed_dataset_is_410(client, datasets, member, auth_for):
    dataset = datasets["public"]
    Dataset.objects.filter(pk=dataset.pk).update(status="removed", removal_reason="Withdrawn.")

    for path in ("download", "sample-download"):
        response = client.post(f"/api/datasets/{dataset.public_id}/{path}", **auth_for(member))
        assert response.status_code == 410
        assert response.json()["error"] == "Withdrawn."
    assert not DownloadEvent.objects.exists()


def test_a_dataset_without_files_is_404(client, organization, member, auth_for):
    dataset = make_dataset(organization, slug="metadata-only")

    archive = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(member))
    sample = client.post(f"/api/datasets/{dataset.public_id}/sample-download", **auth_for(member))

    assert archive.status_code == 404
    assert archive.json()["error"] == "This dataset has no downloadable archive."
    assert sample.status_code == 404
    assert sample.json()["error"] == "This dataset has no sample."


def test_no_sample_is_404_while_the_archive_downloads(client, organization, member, auth_for):
    dataset = make_dataset(organization, slug="no-sample", archive=ARCHIVE)

    url = f"/api/datasets/{dataset.public_id}"
    assert client.post(f"{url}/download", **auth_for(member)).status_code == 200
    assert client.post(f"{url}/sample-download", **auth_for(member)).status_code == 404


def test_get_is_not_a_download(client, datasets, member, auth_for):
    response = client.get(f"/api/datasets/{datasets['public'].public_id}/download")
    assert response.status_code == 405


# --- Private datasets: described by id to anyone, but only as much as a download needs ---


def test_private_details_by_id_reveal_only_the_download_essentials(client, datasets):
    dataset = datasets["private"]

    response = client.get(f"/api/datasets/{dataset.public_id}")

    assert response.status_code == 200
    body = response.json()
    essentials = {"id", "filename", "sizeBytes", "checksum"}
    assert body["id"] == dataset.public_id
    assert body["filename"] == f"{dataset.public_id}.tar.gz"
    assert body["sizeBytes"] == len(ARCHIVE) and len(body["checksum"]) == 64
    assert all(body[key] is None for key in body.keys() - essentials)
    # Every field the full details have is there, null: the SDK reads them all.
    full = client.get(f"/api/datasets/{datasets['public'].public_id}").json()
    assert set(body) == set(full)
    text = response.content.decode()
    for secret in (dataset.name, "private-speech", "Radio Kinshasa", "radio-kinshasa", '"ln"'):
        assert secret not in text.replace(dataset.public_id, "")


def test_private_dataset_by_slug_is_404_and_never_listed(client, datasets):
    assert client.get("/api/datasets/private-speech").status_code == 404
    listed = {item["id"] for item in client.get("/api/datasets").json()["items"]}
    assert datasets["private"].public_id not in listed


def test_outsider_gets_403_by_id_and_404_by_slug(client, datasets, outsider, auth_for):
    dataset = datasets["private"]
    auth = auth_for(outsider)

    by_id = client.post(f"/api/datasets/{dataset.public_id}/download", **auth)
    by_slug = client.post("/api/datasets/private-speech/download", **auth)

    assert by_id.status_code == 403 and dataset.name not in by_id.content.decode()
    assert by_slug.status_code == 404


def test_member_session_uses_the_same_opaque_name_as_the_details(
    client, datasets, member, auth_for
):
    dataset = datasets["private"]
    details = client.get(f"/api/datasets/{dataset.public_id}").json()

    body = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(member)).json()

    assert body["filename"] == details["filename"] == f"{dataset.public_id}.tar.gz"
    assert body["checksum"] == details["checksum"]


def test_member_signed_in_sees_full_private_details(client, datasets, member):
    dataset = datasets["private"]
    client.force_login(member)

    body = client.get(f"/api/datasets/{dataset.public_id}").json()

    assert body["name"] == dataset.name and body["slug"] == "private-speech"
    # The name the SDK saves under does not depend on who asks.
    assert body["filename"] == f"{dataset.public_id}.tar.gz"
    assert client.get("/api/datasets/private-speech").status_code == 200
