"""The `steward` console script: complete help, and a real production server."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from steward.__main__ import COMMANDS
from steward.operations.tests.serving import free_port


def run_steward(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "steward", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_help_lists_every_operator_command():
    result = run_steward("--help")
    assert result.returncode == 0
    for name, _ in COMMANDS:
        assert f"  {name} " in result.stdout


def test_every_listed_command_exists_and_has_help():
    for name, _ in COMMANDS:
        result = run_steward(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "usage:" in result.stdout


def test_every_listed_command_is_documented_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name, _ in COMMANDS:
        assert f"steward {name}" in readme


@pytest.mark.live
def test_serve_runs_a_production_server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["STEWARD_HOME"] = str(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "steward", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert "gunicorn" in response.headers.get("Server", "")
        static = requests.get(f"http://127.0.0.1:{port}/static/steward/htmx.min.js", timeout=5)
        assert static.status_code == 200 and "htmx" in static.text[:2000]
    finally:
        server.terminate()
        server.wait(timeout=30)


# --json and progress bars, through a real `steward` process


def _env(tmp_path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STEWARD_PROGRESS")}
    return {**env, "STEWARD_HOME": str(tmp_path), **extra}


JSON_COMMANDS = [
    ("check",),
    ("import-catalog",),
    ("inspect-archive",),
    ("reindex",),
    ("expire-uploads",),
    ("access-reminders",),
    ("audit", "verify"),
    ("ledger", "verify"),
    ("users", "add"),
    ("orgs", "add"),
    ("orgs", "approve"),
    ("orgs", "reject"),
    ("apikeys", "create"),
    ("submissions", "list"),
    ("submissions", "approve"),
]


@pytest.mark.parametrize("command", JSON_COMMANDS, ids=" ".join)
def test_each_json_command_documents_the_shape_of_its_object(command, capsys):
    from django.core.management import get_commands, load_command_class

    name, *sub = command
    module = name.replace("-", "_")
    parser = load_command_class(get_commands()[module], module).create_parser("steward", module)
    with pytest.raises(SystemExit):
        parser.parse_args([*sub, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--json" in text and 'print {"' in text


def _archive(path: Path, name: str) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = 8
        archive.addfile(info, io.BytesIO(b"one\ntwo\n"))
    return path


def test_a_progress_bar_is_drawn_only_when_wanted(tmp_path):
    archive = _archive(tmp_path / "good.tar.gz", "corpus/lines.txt")
    # Captured output is no terminal: no bar unless forced.
    plain = run_steward("inspect-archive", str(archive), env=_env(tmp_path))
    assert plain.returncode == 0 and "Inspecting" not in plain.stderr
    forced = run_steward(
        "inspect-archive", str(archive), env=_env(tmp_path, STEWARD_PROGRESS="always")
    )
    assert forced.returncode == 0 and "Inspecting [" in forced.stderr and "100%" in forced.stderr
    assert forced.stdout == plain.stdout
    quiet = run_steward(
        "inspect-archive", str(archive), "--json", env=_env(tmp_path, STEWARD_PROGRESS="always")
    )
    assert quiet.stderr == "" and json.loads(quiet.stdout)["status"] in ("passed", "warnings")


def test_json_output_keeps_a_failing_exit_status(tmp_path):
    rejected = _archive(tmp_path / "bad.tar.gz", "../escape.txt")
    result = run_steward("inspect-archive", str(rejected), "--json", env=_env(tmp_path))
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "rejected"
    assert "would be rejected" in result.stderr

    ok = run_steward("check", "--json", env=_env(tmp_path))
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    # The production checks warn about this test setup (no HTTPS settings, say).
    strict = run_steward(
        "check", "--deploy", "--json", "--fail-level", "WARNING", env=_env(tmp_path)
    )
    assert strict.returncode == 1
    report = json.loads(strict.stdout)
    assert report["ok"] is False
    assert report["messages"] and all(m["level"] == "warning" for m in report["messages"])
    assert all(m["id"].startswith(("security.", "steward.")) for m in report["messages"])
