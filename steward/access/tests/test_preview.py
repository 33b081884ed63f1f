"""Listening to a few clips of the sample on the dataset page, through the access decision."""

import io
import tarfile
import wave

import pytest

from steward.access.models import DownloadEvent
from steward.audit.models import AuditEvent
from steward.catalog.models import DatasetFile
from steward.catalog.services import inspect_blob
from steward.catalog.tests.factories import make_dataset

pytestmark = pytest.mark.django_db


def clip(frames: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(bytes(frames * 2))
    return out.getvalue()


def sample_archive() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in [
            ("demo/metadata.csv", b"file_name,transcript\n0001.wav,Mbote\n0002.wav,Sango\n"),
            ("demo/clips/0001.wav", clip(8000)),
            ("demo/clips/0002.wav", clip(4000)),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def with_sample(organization, visibility="public"):
    dataset = make_dataset(
        organization, slug=f"radio-{visibility}", archive=b"x", sample=sample_archive(),
        visibility=visibility,
    )  # fmt: skip
    sample = DatasetFile.objects.get(version=dataset.current_version, role="sample")
    inspect_blob(sample.blob, locale="ln")
    return dataset


def test_a_signed_in_user_hears_clips_of_a_public_sample(client, organization, outsider):
    dataset = with_sample(organization)
    client.force_login(outsider)
    page = client.get(f"/datasets/{dataset.slug}").content.decode()
    assert page.count("<audio") == 2
    response = client.get(f"/datasets/{dataset.public_id}/preview/1")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response.content == clip(4000)
    event = DownloadEvent.objects.get()
    assert event.bytes_served == len(clip(4000)) and event.file.role == "sample"
    assert AuditEvent.objects.filter(action="access.preview.served").exists()


@pytest.mark.parametrize(
    ("persona", "visibility", "status"),
    [
        ("anonymous", "public", 403),
        ("outsider", "restricted", 403),
        ("member", "restricted", 200),
        ("outsider", "private", 404),
        ("member", "private", 200),
    ],
)
def test_clips_follow_the_download_decision(
    client, request, organization, persona, visibility, status
):
    dataset = with_sample(organization, visibility)
    user = request.getfixturevalue(persona)
    if user.is_authenticated:
        client.force_login(user)
    assert client.get(f"/datasets/{dataset.public_id}/preview/0").status_code == status
    if status != 200:
        assert not DownloadEvent.objects.exists()


def test_no_clip_beyond_those_offered(client, organization, outsider):
    dataset = with_sample(organization)
    client.force_login(outsider)
    assert client.get(f"/datasets/{dataset.public_id}/preview/2").status_code == 404
    assert client.get(f"/datasets/{dataset.public_id}/preview/99").status_code == 404


def test_an_uninspected_sample_offers_no_clip(client, organization, outsider):
    dataset = make_dataset(organization, slug="raw", archive=b"x", sample=sample_archive())
    client.force_login(outsider)
    assert "<audio" not in client.get("/datasets/raw").content.decode()
    assert client.get(f"/datasets/{dataset.public_id}/preview/0").status_code == 404
