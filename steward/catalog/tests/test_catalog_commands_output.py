"""`steward import-catalog` and `steward inspect-archive`: --json, progress bars, exit codes."""

import io
import json
import os
import tarfile
import threading

import pytest
from django.core.management import CommandError, call_command

from steward.catalog.models import Dataset

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def line(slug: str, **overrides) -> str:
    data = {
        "name": f"Speech {slug}",
        "slug": slug,
        "locale": "ln",
        "licenseAbbreviation": "CC-BY-4.0",
        "organization": {"name": "Radio Kinshasa", "slug": "radio-kinshasa"},
        **overrides,
    }
    return json.dumps(data)


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join([line("a", colour="red"), "{broken", line("b"), line("c")]) + "\n")
    return path


@pytest.fixture
def no_setting(monkeypatch):
    monkeypatch.delenv("STEWARD_PROGRESS", raising=False)


def test_import_json_holds_the_counts_errors_and_unknown_fields(catalog):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_catalog", str(catalog), "--json", stdout=out, stderr=err)
    data = json.loads(out.getvalue())
    errors = data.pop("errors")
    assert data == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "unknown_fields": ["colour"],
    }
    assert [e["line"] for e in errors] == [2]
    assert errors[0]["reason"].startswith("not valid JSON")
    # The facts are in the object; stderr stays free of the text report.
    assert err.getvalue() == ""


def test_import_json_of_a_file_with_no_importable_line_still_fails(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{broken\n[]\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="No line could be imported"):
        call_command("import_catalog", str(path), "--json", stdout=out)
    # The report comes first, so a script sees why it failed.
    assert json.loads(out.getvalue())["invalid"] == 2


def test_import_draws_a_bar_of_lines_when_forced(catalog, monkeypatch):
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_catalog", str(catalog), stdout=out, stderr=err)
    assert "\rImporting [" in err.getvalue() and "4/4 lines" in err.getvalue()
    assert "100%" in err.getvalue()
    # The text report is unchanged, below the bar.
    assert "Imported: 3 created, 0 updated, 0 unchanged, 1 invalid." in out.getvalue()
    assert "line 2: not valid JSON" in err.getvalue().split("\n", 1)[1]


def test_import_draws_a_bar_on_a_terminal(catalog, no_setting):
    err = Terminal()
    call_command("import_catalog", str(catalog), stdout=io.StringIO(), stderr=err)
    assert "\rImporting [" in err.getvalue()


@pytest.mark.parametrize("flag", ["--json", "--quiet", "--verbosity=0"])
def test_import_draws_no_bar_when_asked_for_json_or_quiet(catalog, no_setting, flag):
    err = Terminal()
    call_command("import_catalog", str(catalog), flag, stdout=io.StringIO(), stderr=err)
    assert "\r" not in err.getvalue()
    assert Dataset.objects.count() == 3


def test_import_draws_no_bar_off_a_terminal(catalog, no_setting):
    err = io.StringIO()
    call_command("import_catalog", str(catalog), stdout=io.StringIO(), stderr=err)
    assert "\r" not in err.getvalue()


def test_import_from_stdin_counts_lines_without_a_total(catalog, monkeypatch):
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    monkeypatch.setattr("sys.stdin", io.StringIO(catalog.read_text()))
    err = io.StringIO()
    call_command("import_catalog", "-", stdout=io.StringIO(), stderr=err)
    assert "Importing  4 lines" in err.getvalue()


def test_import_from_a_pipe_reads_it_once(catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    pipe = tmp_path / "pipe.jsonl"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(catalog.read_text(),))
    writer.start()
    err = io.StringIO()
    call_command("import_catalog", str(pipe), stdout=io.StringIO(), stderr=err)
    writer.join()
    # Counting the lines first would have emptied the pipe before the import.
    assert Dataset.objects.count() == 3
    assert "Importing  4 lines" in err.getvalue()


def archive(tmp_path, files: dict[str, bytes]):
    path = tmp_path / "upload.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_inspect_archive_describes_a_good_archive(tmp_path):
    path = archive(tmp_path, {"corpus/README.md": b"About.\n", "corpus/lines.txt": b"one\ntwo\n"})
    out = io.StringIO()
    call_command("inspect_archive", str(path), stdout=out)
    text = out.getvalue()
    assert text.startswith(f"{path}: passed")
    assert "tar.gz: 2 files (1 other, 1 text)" in text and "text: 1 file, 2 lines" in text


def test_inspect_archive_json_holds_the_status_and_the_whole_report(tmp_path):
    path = archive(tmp_path, {"corpus/lines.txt": b"one\ntwo\n"})
    out = io.StringIO()
    call_command("inspect_archive", str(path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["file"] == str(path)
    assert data["status"] in ("passed", "warnings") and data["reason"] == ""
    assert data["report"]["totals"]["files"] == 1
    assert data["report"]["archive"]["format"] == "tar.gz"


def test_inspect_archive_fails_on_an_archive_that_would_be_rejected(tmp_path):
    path = archive(tmp_path, {"../escape.txt": b"out\n"})
    out = io.StringIO()
    with pytest.raises(CommandError, match="would be rejected"):
        call_command("inspect_archive", str(path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["status"] == "rejected" and data["reason"]
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("inspect_archive", str(tmp_path / "missing.tar"))


def test_inspect_archive_draws_a_bar_of_bytes_when_forced(tmp_path, monkeypatch):
    path = archive(tmp_path, {"corpus/lines.txt": b"one\ntwo\n"})
    monkeypatch.setenv("STEWARD_PROGRESS", "always")
    err = io.StringIO()
    call_command("inspect_archive", str(path), stdout=io.StringIO(), stderr=err)
    assert "\rInspecting [" in err.getvalue() and " B/" in err.getvalue()
    monkeypatch.setenv("STEWARD_PROGRESS", "never")
    err = Terminal()
    call_command("inspect_archive", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
