"""File inspection: unsafe archives are refused without unpacking, safe ones are inventoried
and measured, the report reaches reviewers and the dataset page, publication waits for it,
and it yields the schema.yaml that the SDK's load_dataset reads."""

import io
import random
import struct
import tarfile
import tempfile
import wave
import zipfile
import zlib

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.catalog import demo, services, tasks
from steward.catalog.inspection import (
    Limits,
    infer_schema,
    inspect_archive,
    schema_yaml,
)
from steward.catalog.models import Inspection, Submission
from steward.catalog.services import SubmissionError, decide_submission, inspect_blob
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission
from steward.storage.services import store_blob

FRENCH = [
    "Bonjour et bienvenue sur notre antenne.",
    "Voici les nouvelles de la matinée.",
    "Il va pleuvoir cet après-midi à Kinshasa.",
    "Le marché ouvre à sept heures.",
    "Merci de nous avoir écoutés, à demain.",
]


# -- Archive builders --------------------------------------------------------------------


def wav(seconds: float, rate: int = 16_000, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * channels * 2))
    return out.getvalue()


def float_wav(seconds: float, rate: int = 16_000) -> bytes:
    """A 32-bit float WAV, which the stdlib `wave` module cannot read."""
    data = bytes(int(seconds * rate) * 4)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def parquet(columns: dict[str, list]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def member(name: str, data: bytes = b"", **attributes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attributes.items():
        setattr(info, key, value)
    return info, data


def tar(entries, mode: str = "w:gz") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:
        for entry in entries:
            info, data = entry if isinstance(entry[0], tarfile.TarInfo) else member(*entry)
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


ZEROS = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """256 MiB of zeros, deflated to about 250 KiB."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as f,
    ):
        block = bytes(1 << 20)
        for _ in range(ZEROS >> 20):
            f.write(block)
    return out.getvalue()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """A tar.gz whose second member is 256 MiB of zeros, after 2 MiB of incompressible data
    that keeps the archive's overall ratio low: only the member's own ratio gives it away."""
    noise = random.Random(1).randbytes(2 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = bytearray()
    first = tarfile.TarInfo("noise.bin")
    first.size = len(noise)
    out += packer.compress(first.tobuf(format=tarfile.USTAR_FORMAT) + noise)
    second = tarfile.TarInfo("zeros.bin")
    second.size = ZEROS
    out += packer.compress(second.tobuf(format=tarfile.USTAR_FORMAT))
    block = bytes(1 << 20)
    for _ in range(ZEROS >> 20):
        out += packer.compress(block)
    out += packer.compress(bytes(1024)) + packer.flush()
    return bytes(out)


class Unseekable(io.RawIOBase):
    """A stream read once from the start, as an S3 body is."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """Temporary files and the working folder point into empty folders, to show that an
    inspection writes nothing anywhere."""
    folders = [tmp_path / "tmp", tmp_path / "work"]
    for folder in folders:
        folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folders[0]))
    monkeypatch.chdir(folders[1])

    def untouched() -> bool:
        return all(not any(folder.iterdir()) for folder in folders)

    return untouched


# -- Unsafe archives ----------------------------------------------------------------------


UNSAFE_TARS = {
    "parent": ([("data/../../etc/passwd", b"x")], "may not contain '..'"),
    "absolute": ([("/etc/passwd", b"x")], "absolute paths are not allowed"),
    "symlink": (
        [member("data/link", type=tarfile.SYMTYPE, linkname="/etc/passwd")],
        "symbolic links are not allowed",
    ),
    "hardlink": (
        [
            ("data/a.txt", b"hello"),
            member("data/b.txt", type=tarfile.LNKTYPE, linkname="data/a.txt"),
        ],
        "hard links are not allowed",
    ),
    "device": (
        [member("data/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)],
        "device files and pipes are not allowed",
    ),
    "fifo": ([member("data/pipe", type=tarfile.FIFOTYPE)], "device files and pipes"),
}


@pytest.mark.parametrize("case", UNSAFE_TARS)
def test_unsafe_tar_entries_are_rejected_with_a_reason_and_nothing_unpacked(case, disk):
    entries, reason = UNSAFE_TARS[case]
    result = inspect_archive(Unseekable(tar([("data/ok.txt", b"fine\n"), *entries])))
    assert result.status == "rejected"
    assert reason in result.reason
    assert disk()


def test_a_zip_with_a_parent_path_is_rejected(disk):
    result = inspect_archive(Unseekable(zip_of({"ok.txt": b"fine", "../evil.txt": b"x"})))
    assert result.status == "rejected" and "may not contain '..'" in result.reason
    assert disk()


def test_a_zip_bomb_is_caught_from_its_directory_without_unpacking(zip_bomb, disk):
    result = inspect_archive(Unseekable(zip_bomb))
    assert result.status == "rejected"
    assert "zip bomb" in result.reason and "200:1" in result.reason
    assert result.report["rejection"]["code"] == "ratio"
    assert disk()


def test_a_gzip_bomb_is_caught_while_streaming_long_before_it_is_expanded(gzip_bomb, disk):
    result = inspect_archive(io.BytesIO(gzip_bomb))
    assert result.status == "rejected"
    assert result.reason.startswith("zeros.bin: this file expands more than 200:1")
    # It stopped early: far less than the 256 MiB the header announced was expanded.
    assert result.report["archive"]["expanded_bytes"] < 64 * 1024 * 1024
    assert disk()


def test_size_and_entry_limits_stop_an_archive_before_its_content_is_read():
    noise = random.Random(2).randbytes(50_000)
    archive = tar([(f"data/{i}.bin", noise) for i in range(5)])
    too_big = inspect_archive(io.BytesIO(archive), limits=Limits(max_unpacked_bytes=120_000))
    assert too_big.status == "rejected"
    assert too_big.reason == "The archive unpacks to more than 117.2 KiB."
    # Counting stopped at the first file over the limit.
    assert too_big.report["totals"]["files"] == 2
    too_many = inspect_archive(io.BytesIO(archive), limits=Limits(max_entries=3))
    assert too_many.status == "rejected" and "more than 3 entries" in too_many.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"archive", "is not a .tar.gz, .tar.bz2, .tar.xz, .tar or .zip archive"),
        (tar([("a.txt", random.Random(3).randbytes(100_000))])[:50_000], "damaged or incomplete"),
        (tar([]), "holds no files"),
    ],
    ids=["not an archive", "truncated", "empty"],
)
def test_unreadable_and_empty_archives_are_rejected(data, reason):
    result = inspect_archive(io.BytesIO(data))
    assert result.status == "rejected" and reason in result.reason


# -- Inventory and statistics -------------------------------------------------------------


def mixed_entries() -> dict[str, bytes]:
    return {
        "data/clips/a.wav": wav(1.0),
        "data/clips/b.wav": wav(0.5),
        "data/clips/c.wav": wav(2.0, rate=8_000, channels=2),
        "data/clips/d.wav": float_wav(1.5),
        "data/metadata.csv": (
            "file_name,transcript,speaker\n"
            + "".join(f"{c}.wav,{FRENCH[i]},s{i}\n" for i, c in enumerate("abcd"))
        ).encode(),
        "data/notes.txt": ("\n".join(FRENCH[:3]) + "\n").encode(),
        "data/extra.jsonl": b'{"id": 1, "text": "un"}\n{"id": 2, "text": "deux"}\n'
        b'{"id": 3, "text": "trois"}\n',
        "data/features.parquet": parquet(
            {"id": [1, 2, 3, 4], "score": [0.5, 1.5, 2.5, 3.5], "label": list("wxyz")}
        ),
        "data/cover.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    }


@pytest.mark.parametrize("packer", ["tar.gz", "tar", "zip"])
def test_inventory_and_statistics_for_audio_text_and_tables(packer):
    entries = mixed_entries()
    if packer == "zip":
        data = zip_of(entries)
    else:
        data = tar(entries.items(), mode="w:gz" if packer == "tar.gz" else "w")
    result = inspect_archive(io.BytesIO(data), declared_locale="fr-CD")
    report = result.report
    assert result.status == "passed", report["findings"]
    assert report["archive"]["format"] == packer
    assert report["root"] == "data"
    totals = report["totals"]
    assert totals["files"] == 9
    assert totals["bytes"] == sum(len(v) for v in entries.values())
    assert {kind: t["files"] for kind, t in totals["by_kind"].items()} == {
        "audio": 4,
        "image": 1,
        "table": 3,
        "text": 1,
    }
    assert {f["path"]: f["kind"] for f in report["files"]}["data/cover.png"] == "image"

    audio = report["audio"]
    assert audio["clips"] == audio["measured"] == 4
    assert audio["seconds"] == pytest.approx(5.0, abs=0.01)
    assert audio["sample_rates"] == {"16000": 3, "8000": 1}
    assert audio["channels"] == {"1": 3, "2": 1}
    assert (audio["shortest"], audio["longest"]) == (0.5, 2.0)

    text = report["text"]
    notes = "\n".join(FRENCH[:3]) + "\n"
    assert (text["files"], text["lines"], text["characters"]) == (1, 3, len(notes))
    assert text["languages"]["checked"] and not text["languages"]["mismatch"]

    tables = {t["path"]: t for t in report["tables"]}
    csv = tables["data/metadata.csv"]
    assert csv["rows"] == 4 and [c["name"] for c in csv["columns"]] == [
        "file_name",
        "transcript",
        "speaker",
    ]
    assert csv["audio_column"] == "file_name" and csv["text_column"] == "transcript"
    assert csv["audio_base"] == "data/clips/" and csv["audio_matched"] == 4
    assert csv["preview"][0] == ["a.wav", FRENCH[0], "s0"]
    jsonl = tables["data/extra.jsonl"]
    assert jsonl["rows"] == 3 and jsonl["columns"] == [
        {"name": "id", "type": "integer"},
        {"name": "text", "type": "text"},
    ]
    features = tables["data/features.parquet"]
    assert features["rows"] == 4
    assert [c["type"] for c in features["columns"]] == ["integer", "number", "text"]
    assert features["preview"][1] == ["2", "1.5", "x"]

    preview = report["preview"]
    assert preview["table"]["path"] == "data/metadata.csv" and len(preview["table"]["rows"]) == 4
    assert preview["lines"]["lines"] == FRENCH[:3]
    assert {clip["path"] for clip in preview["clips"]} >= {"data/clips/a.wav"}


def test_large_members_are_measured_from_excerpts():
    rows = "".join(f"{i},{'x' * 50}\n" for i in range(100_000))
    data = tar([("big.csv", ("id,text\n" + rows).encode()), ("long.wav", wav(120.0))])
    limits = Limits(head_bytes=64 * 1024, audio_head_bytes=4096)
    report = inspect_archive(io.BytesIO(data), limits=limits).report
    table = report["tables"][0]
    assert table["rows"] == 100_000 and table["rows_estimated"]
    assert report["audio"]["seconds"] == pytest.approx(120.0)


def test_findings_for_unreadable_files_and_tables():
    data = tar(
        [
            ("clips/broken.wav", b"RIFF....not a wave at all"),
            ("bad.csv", b"a,b\n1,2\n3,4,5\n6,7\n"),
            ("latin1.txt", "caf\xe9\n".encode("latin-1")),
            ("__MACOSX/._bad.csv", b"junk"),
        ]
    )
    result = inspect_archive(io.BytesIO(data))
    assert result.status == "warnings"
    codes = {f["code"] for f in result.report["findings"]}
    assert codes == {"audio_unreadable", "table_bad_rows", "not_utf8", "macos_files"}


# -- Languages ----------------------------------------------------------------------------


def text_archive(lines: list[str]) -> io.BytesIO:
    return io.BytesIO(tar([("corpus/part_01.txt", ("\n".join(lines) + "\n").encode())]))


def test_a_language_other_than_the_declared_one_is_a_finding():
    result = inspect_archive(text_archive(FRENCH), declared_locale="sw-KE")
    assert result.status == "warnings"
    [finding] = result.report["findings"]
    assert finding["code"] == "language_mismatch"
    assert finding["message"].startswith("Declared sw but the lines look like fr (")


def test_the_declared_language_matches():
    result = inspect_archive(text_archive(FRENCH), declared_locale="fr")
    languages = result.report["text"]["languages"]
    assert result.status == "passed" and languages["checked"]
    assert languages["sample_language"] == "fr"


def test_a_language_the_detector_does_not_know_is_not_flagged():
    lingala = ["Mbote na bino.", "Sango nini?", "Nazali malamu, matondo.", "Matondo mingi."]
    result = inspect_archive(text_archive(lingala), declared_locale="ln")
    languages = result.report["text"]["languages"]
    assert result.status == "passed" and not languages["checked"]
    assert "cannot be checked" in languages["message"]


# -- schema.yaml ---------------------------------------------------------------------------


def demo_schema(slug: str, task: str = "") -> dict:
    spec = next(s for s in demo.DATASETS if s.slug == slug)
    report = inspect_archive(io.BytesIO(demo.build_archive(spec))).report
    return infer_schema(report, dataset_id="cabc", task=task or spec.sheet.get("task", ""))


def test_schema_for_an_index_layout():
    assert demo_schema("lingala-radio-speech") == {
        "dataset_id": "cabc",
        "task": "ASR",
        "root_strategy": "index",
        "index_file": "lingala-radio-speech/metadata.csv",
        "base_audio_path": "lingala-radio-speech/clips/",
        "columns": {
            "audio_path": {"source_column": "file_name", "dtype": "file_path"},
            "transcription": {"source_column": "transcript"},
            "speaker": {"source_column": "speaker", "optional": True},
        },
    }


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        (
            "kinshasa-french-broadcasts",
            {
                "root_strategy": "multi_split",
                "splits": ["train", "dev", "test"],
                "splits_file_pattern": "**/*.tsv",
                "base_audio_path": "kinshasa-french-broadcasts/clips/",
            },
        ),
        (
            "lingala-studio-voice",
            {
                "root_strategy": "multi_sections",
                "section_root": "lingala-studio-voice",
                "sections": ["part_01", "part_02"],
                "index_file": "text.tsv",
                "base_audio_path": "clips/",
            },
        ),
        (
            "nigerian-english-accents",
            {"root_strategy": "paired_glob", "file_pattern": "**/*.txt", "audio_extension": ".wav"},
        ),
        ("mada-language-id", {"root_strategy": "glob", "file_pattern": "**/*.wav"}),
        (
            "french-lingala-phrases",
            {"root_strategy": "index", "index_file": "french-lingala-phrases/pairs.tsv"},
        ),
        ("lingala-radio-news-text", {"root_strategy": "glob", "file_pattern": "*"}),
    ],
)
def test_schema_for_each_layout(slug, expected):
    schema = demo_schema(slug)
    assert {key: schema[key] for key in expected} == expected


def test_schema_yaml_is_what_the_sdk_parses():
    from datacollective.schema import _parse_schema

    schema = demo_schema("lingala-radio-speech")
    schema["columns"]["Speaker ID: «x»"] = {"source_column": 'a "quoted" name'}
    parsed = _parse_schema(schema_yaml(schema))
    assert parsed.root_strategy == "index" and parsed.task == "ASR"
    assert parsed.columns["audio_path"].dtype == "file_path"
    assert yaml.safe_load(schema_yaml(schema)) == schema


# -- The service, the task and the worker --------------------------------------------------


def stored(data: bytes):
    return store_blob(
        io.BytesIO(data), prefix="test", filename="a.tar.gz", content_type="application/gzip"
    )


def index_archive() -> bytes:
    return tar(
        [
            ("demo/metadata.csv", b"file_name,transcript\n0001.wav,Mbote\n0002.wav,Sango\n"),
            ("demo/clips/0001.wav", wav(0.5)),
            ("demo/clips/0002.wav", wav(0.75)),
        ]
    )


@pytest.mark.django_db
def test_inspect_blob_records_the_report_once_and_audits_it():
    blob = stored(index_archive())
    assert services.inspection_for(blob) is None
    inspection = inspect_blob(blob, locale="ln")
    assert inspection.status == Inspection.Status.PASSED and inspection.finished_at
    assert inspection.declared_locale == "ln"
    assert inspection.report["audio"]["clips"] == 2
    event = AuditEvent.objects.get(action="catalog.inspection.finished")
    assert event.data["status"] == "passed" and event.data["blob"] == blob.sha256

    # Idempotent: a second run changes nothing and audits nothing.
    again = inspect_blob(blob, locale="ln")
    assert again.pk == inspection.pk and again.finished_at == inspection.finished_at
    assert AuditEvent.objects.filter(action="catalog.inspection.finished").count() == 1
    assert services.inspection_for(blob) == inspection


@pytest.mark.django_db
def test_the_size_limit_comes_from_the_settings(settings):
    settings.STEWARD_INSPECTION_MAX_UNPACKED_BYTES = 10_000
    inspection = inspect_blob(stored(index_archive()))
    assert inspection.status == Inspection.Status.REJECTED
    assert inspection.reason == "The archive unpacks to more than 9.8 KiB."


@pytest.mark.django_db
def test_a_verified_upload_is_inspected_by_the_task(
    settings, owner, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    submission = make_submission(owner, submit=False)
    blob = stored(index_archive())
    with django_capture_on_commit_callbacks(execute=True):
        services.on_blob_verified(submission, blob)
    inspection = Inspection.objects.get(blob=blob)
    assert inspection.status == "passed" and inspection.declared_locale == "ln"


@pytest.mark.django_db
def test_request_inspection_marks_the_blob_waiting_and_queues_the_task(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    blob = stored(index_archive())
    with django_capture_on_commit_callbacks(execute=True):
        waiting = services.request_inspection(blob, locale="ln")
    assert waiting.status == Inspection.Status.PENDING and waiting.finished_at is None
    from django_tasks import default_task_backend

    [queued] = default_task_backend.results
    assert queued.task.func == tasks.inspect_blob.func
    assert queued.kwargs == {"blob_id": blob.pk, "locale": "ln"}
    tasks.inspect_blob.call(blob_id=blob.pk, locale="ln")
    assert Inspection.objects.get(blob=blob).status == Inspection.Status.PASSED


@pytest.mark.django_db(transaction=True)
def test_steward_worker_runs_queued_inspections():
    blob = stored(index_archive())
    tasks.inspect_blob.enqueue(blob_id=blob.pk, locale="ln")
    call_command("worker", "--batch", verbosity=0)
    assert Inspection.objects.get(blob=blob).status == Inspection.Status.PASSED


# -- Publication waits for the inspection --------------------------------------------------


@pytest.fixture
def with_archive(owner):
    def make(data: bytes) -> Submission:
        submission = make_submission(owner)
        blob = stored(data)
        Submission.objects.filter(pk=submission.pk).update(archive=blob, archive_name="a.tar.gz")
        submission.refresh_from_db()
        return submission

    return make


@pytest.mark.django_db
def test_publication_waits_while_the_archive_is_not_inspected(with_archive, staff):
    submission = with_archive(index_archive())
    with pytest.raises(SubmissionError) as refused:
        decide_submission(submission, actor=staff, to="approved")
    assert refused.value.code == "file_not_inspected"
    assert Submission.objects.get(pk=submission.pk).status == "submitted"

    inspect_blob(submission.archive, locale="ln")
    approved = decide_submission(submission, actor=staff, to="approved")
    assert approved.status == "approved" and approved.dataset.filename == "a.tar.gz"


@pytest.mark.django_db
def test_publication_is_refused_for_a_rejected_archive(with_archive, staff):
    submission = with_archive(tar([("../evil.sh", b"rm -rf /")]))
    inspect_blob(submission.archive)
    with pytest.raises(SubmissionError) as refused:
        decide_submission(submission, actor=staff, to="approved")
    assert refused.value.code == "file_rejected"
    assert "may not contain '..'" in refused.value.message
    # Other decisions stay possible.
    assert decide_submission(submission, actor=staff, to="rejected", reason="Unsafe").status


# -- Pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reviewer_sees_the_full_report_beside_the_checklist(client, staff, with_archive):
    submission = with_archive(tar([*mixed_entries().items(), ("data/._junk", b"x")]))
    url = reverse("moderation:submission-review", args=[submission.public_id])
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "File inspection" in page and "Not inspected yet" in page

    inspect_blob(submission.archive, locale="sw")
    page = client.get(url).content.decode()
    for text in [
        "Passed with findings",
        "macOS metadata files",  # a finding
        "Declared sw but the lines look like fr",  # the language finding
        "4 clips",
        "data/metadata.csv",
        "For “The files are validated”, the file inspection says:",
        "data/cover.png",  # the full file list
    ]:
        assert text in page, text


@pytest.mark.django_db
def test_the_reviewer_sees_why_a_file_was_rejected(client, staff, with_archive):
    submission = with_archive(tar([("data/ok.txt", b"fine\n"), ("/etc/passwd", b"x")]))
    inspect_blob(submission.archive)
    client.force_login(staff)
    page = client.get(reverse("moderation:submission-review", args=[submission.public_id]))
    page = page.content.decode()
    assert "Rejected" in page and "/etc/passwd: absolute paths are not allowed." in page


@pytest.mark.django_db
def test_the_dataset_page_shows_the_inventory_and_excerpts_of_a_free_public_dataset(
    client, organization
):
    dataset = make_dataset(organization, slug="radio", archive=index_archive())
    version_file = dataset.current_version.files.get()
    inspect_blob(version_file.blob, locale="ln")
    page = client.get(reverse("catalog:dataset-detail", args=[dataset.public_id])).content
    page = page.decode()
    assert "What the files hold" in page and "2 clips" in page
    assert "Mbote" in page  # the first rows of the index
    assert "macOS" not in page and "Findings" not in page  # findings are for reviewers


@pytest.mark.django_db
def test_a_paid_dataset_shows_counts_but_no_excerpts_without_a_sample(client, organization):
    dataset = make_dataset(
        organization,
        slug="paid",
        archive=index_archive(),
        isPaid=True,
        basePriceCents=1000,
        currency="usd",
    )
    inspect_blob(dataset.current_version.files.get().blob, locale="ln")
    page = client.get(reverse("catalog:dataset-detail", args=[dataset.public_id])).content
    page = page.decode()
    assert "2 clips" in page and "Mbote" not in page
    assert "No excerpts are shown" in page


@pytest.mark.django_db
def test_seeded_demo_datasets_show_their_inventory(client):
    demo.seed_demo()
    assert not Inspection.objects.exclude(status="passed").exists()
    page = client.get(reverse("catalog:dataset-detail", args=["lingala-radio-speech"]))
    assert "What the files hold" in page.content.decode()


# -- The schema registry mirror ------------------------------------------------------------


def schema_url(dataset_id: str) -> str:
    return reverse("catalog:dataset-schema", args=[dataset_id])


@pytest.mark.django_db
def test_the_schema_endpoint_serves_yaml_for_an_inspected_archive(client, organization):
    dataset = make_dataset(organization, slug="radio", archive=index_archive())
    response = client.get(schema_url(dataset.public_id))
    # Before the inspection: the catch-all schema, which loads any archive.
    assert yaml.safe_load(response.content) == {
        "dataset_id": dataset.public_id,
        "root_strategy": "glob",
        "file_pattern": "*",
    }
    inspect_blob(dataset.current_version.files.get().blob)
    response = client.get(schema_url(dataset.public_id))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/yaml")
    schema = yaml.safe_load(response.content)
    assert schema["root_strategy"] == "index" and schema["task"] == "ASR"
    assert schema["index_file"] == "demo/metadata.csv"
    assert schema["base_audio_path"] == "demo/clips/"


@pytest.mark.django_db
def test_the_schema_endpoint_answers_404_like_the_dataset_page(
    client, organization, member, outsider
):
    private = make_dataset(
        organization, slug="private", archive=index_archive(), visibility="private"
    )
    no_files = make_dataset(organization, slug="metadata-only")
    rejected = make_dataset(organization, slug="unsafe", archive=tar([("/etc/x", b"x")]))
    inspect_blob(rejected.current_version.files.get().blob)

    assert client.get(schema_url("cnosuchdataset")).status_code == 404
    assert client.get(schema_url(private.public_id)).status_code == 404
    client.force_login(outsider)
    assert client.get(schema_url(private.public_id)).status_code == 404
    client.force_login(member)
    assert client.get(schema_url(private.public_id)).status_code == 200
    assert client.get(schema_url(no_files.public_id)).status_code == 404
    assert client.get(schema_url(rejected.public_id)).status_code == 404
