"""The official SDK's `load_dataset` (0.7.0, unmodified) against a live Steward, with its
schema registry pointed at Steward's mirror: the schema inferred by the file inspection
loads the archive into a DataFrame."""

import io
import tarfile
import wave
from pathlib import Path

import pytest

from steward.accounts.services import create_api_key
from steward.catalog.services import inspect_blob
from steward.catalog.tests.factories import make_dataset

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

ROWS = [("0001.wav", "Mbote na bino."), ("0002.wav", "Sango nini?"), ("0003.wav", "Matondo.")]


def clip(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(bytes(int(seconds * 16_000) * 2))
    return out.getvalue()


def index_archive() -> bytes:
    """The minimal index layout: demo/metadata.csv (file_name,transcript) and demo/clips/."""
    files = {"demo/metadata.csv": "file_name,transcript\n" + "".join(f"{n},{t}\n" for n, t in ROWS)}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        entries = {name: text.encode() for name, text in files.items()}
        entries |= {f"demo/clips/{name}": clip(0.5) for name, _ in ROWS}
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def sdk(live_server, monkeypatch, outsider):
    monkeypatch.setenv("MDC_API_URL", f"{live_server.url}/api")
    _, secret = create_api_key(outsider)
    monkeypatch.setenv("MDC_API_KEY", secret)
    import datacollective.schema

    # The one line a user adds to read schemas from Steward instead of GitHub.
    monkeypatch.setattr(
        datacollective.schema, "SCHEMA_REGISTRY_RAW_BASE_URL", f"{live_server.url}/schema-registry"
    )
    return datacollective


def test_load_dataset_reads_an_index_archive(sdk, organization, tmp_path):
    dataset = make_dataset(organization, slug="lingala-demo", archive=index_archive())
    inspect_blob(dataset.current_version.files.get().blob, locale="ln")

    frame = sdk.load_dataset(dataset.public_id, str(tmp_path / "downloads"), show_progress=False)

    assert list(frame["transcription"]) == [text for _, text in ROWS]
    paths = [Path(p) for p in frame["audio_path"]]
    assert [p.name for p in paths] == [name for name, _ in ROWS]
    assert all(p.is_file() for p in paths)


def test_load_dataset_uses_the_catch_all_schema_before_the_inspection(sdk, organization, tmp_path):
    dataset = make_dataset(organization, slug="not-inspected", archive=index_archive())

    frame = sdk.load_dataset(dataset.public_id, str(tmp_path / "downloads"), show_progress=False)

    # One row per entry of the unpacked archive.
    assert any(str(p).endswith("metadata.csv") for p in frame["audio_path"])


def test_load_dataset_of_an_unknown_dataset_says_so(sdk):
    with pytest.raises(FileNotFoundError):
        sdk.load_dataset("cnosuchdataset00000000000", show_progress=False)
