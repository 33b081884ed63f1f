"""The official SDK (0.7.0), unmodified, downloads from a live Steward: on local files and
on S3, whole, resumed, as a sample, unpacked, and from a private dataset."""

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from steward.access.models import DownloadEvent
from steward.accounts.services import create_api_key
from steward.catalog.tests.factories import make_dataset

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def make_archive() -> bytes:
    """A real .tar.gz of a few hundred kilobytes (random, so gzip cannot shrink it)."""
    import random

    rng = random.Random(7)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, size in [("clips/0001.wav", 300_000), ("clips/0002.wav", 200_000)]:
            data = rng.randbytes(size)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        text = b"path\tsentence\nclips/0001.wav\tMbote\n"
        info = tarfile.TarInfo("train.tsv")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return buffer.getvalue()


ARCHIVE = make_archive()
SAMPLE = b"a small sample"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sdk(storage_backend, live_server, monkeypatch, organization):
    """The SDK pointed at the live server; datasets stored on the backend under test."""
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    monkeypatch.delenv("MDC_API_KEY", raising=False)
    import datacollective

    return datacollective


@pytest.fixture
def public(sdk, organization):
    return make_dataset(organization, slug="lingala-radio", archive=ARCHIVE, sample=SAMPLE)


@pytest.fixture
def private(sdk, organization):
    return make_dataset(
        organization,
        slug="secret-recordings",
        name="Secret recordings",
        archive=ARCHIVE,
        visibility="private",
    )


@pytest.fixture
def target(tmp_path) -> Path:
    """The download directory (tmp_path itself also holds the local store's files)."""
    return tmp_path / "downloads"


def use_key(monkeypatch, user) -> None:
    _, secret = create_api_key(user)
    monkeypatch.setenv("MDC_API_KEY", secret)


def test_download_dataset_writes_the_archive(
    sdk, storage_backend, public, outsider, monkeypatch, target, settings
):
    use_key(monkeypatch, outsider)
    # On S3 nothing is stored locally: the bytes come through the redirect.
    assert settings.STEWARD_FILES_DIR.exists() == (storage_backend == "local")

    path = sdk.download_dataset(public.public_id, str(target), show_progress=False)

    assert path == target / "lingala-radio.tar.gz"
    assert sha256(path) == hashlib.sha256(ARCHIVE).hexdigest() == public.checksum
    # The SDK's sidecar files are gone once the download completed.
    assert sorted(p.name for p in target.iterdir()) == ["lingala-radio.tar.gz"]
    assert DownloadEvent.objects.get().bytes_served == len(ARCHIVE)


def test_an_interrupted_download_resumes_with_a_range(
    sdk, storage_backend, public, outsider, monkeypatch, target
):
    use_key(monkeypatch, outsider)
    # What a download killed half-way leaves behind: the bytes so far, and the checksum of
    # the session that wrote them.
    half = len(ARCHIVE) // 2
    target.mkdir()
    (target / "lingala-radio.tar.gz.part").write_bytes(ARCHIVE[:half])
    (target / "lingala-radio.tar.gz.checksum").write_text(public.checksum)

    path = sdk.download_dataset(public.public_id, str(target), show_progress=False)

    # A server answering the Range with the whole file would leave a corrupt, longer file.
    assert path.stat().st_size == len(ARCHIVE)
    assert sha256(path) == public.checksum
    assert sorted(p.name for p in target.iterdir()) == ["lingala-radio.tar.gz"]
    # Local files count the bytes sent; a redirect to S3 counts the whole file once.
    sent = len(ARCHIVE) - half if storage_backend == "local" else len(ARCHIVE)
    assert DownloadEvent.objects.get().bytes_served == sent


def test_download_with_extract_unpacks_the_archive(sdk, public, outsider, monkeypatch, target):
    use_key(monkeypatch, outsider)

    directory = sdk.download_dataset(
        public.public_id, str(target), show_progress=False, extract=True
    )

    assert directory == target / "lingala-radio"
    assert (directory / "train.tsv").read_text().startswith("path\tsentence")
    assert (directory / "clips" / "0001.wav").stat().st_size == 300_000


def test_download_sample_saves_under_samples(sdk, public, outsider, monkeypatch, target):
    use_key(monkeypatch, outsider)

    path = sdk.download_sample(public.public_id, str(target), show_progress=False)

    assert path == target / "samples" / public.public_id / "lingala-radio-sample.tar.gz"
    assert path.read_bytes() == SAMPLE


def test_a_member_downloads_a_private_dataset(sdk, private, member, monkeypatch, target):
    use_key(monkeypatch, member)

    path = sdk.download_dataset(private.public_id, str(target), show_progress=False)

    # Saved under the opaque name the anonymous details report.
    assert path == target / f"{private.public_id}.tar.gz"
    assert sha256(path) == private.checksum


def test_an_outsider_cannot_download_a_private_dataset(sdk, private, outsider, monkeypatch, target):
    use_key(monkeypatch, outsider)

    with pytest.raises(PermissionError, match="private to its organization"):
        sdk.download_dataset(private.public_id, str(target), show_progress=False)
    assert not target.exists() or not any(target.rglob("*.part"))


def test_anonymous_details_of_a_private_dataset_reveal_nothing(sdk, private):
    details = sdk.get_dataset_details(private.public_id)

    assert details.id == private.public_id
    assert details.filename == f"{private.public_id}.tar.gz"
    assert details.checksum == private.checksum
    for field in ("name", "slug", "shortDescription", "longDescription", "locale", "task"):
        assert getattr(details, field) is None
    assert details.organization is None
    with pytest.raises(FileNotFoundError):
        sdk.get_dataset_details("secret-recordings")


def test_without_a_key_the_sdk_refuses_before_asking(sdk, public, target):
    with pytest.raises(ValueError, match="MDC_API_KEY"):
        sdk.download_dataset(public.public_id, str(target), show_progress=False)
