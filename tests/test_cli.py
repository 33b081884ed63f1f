"""The `steward` console script: complete help, and a real production server."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from steward.__main__ import COMMANDS


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.live
def test_serve_runs_a_production_server(tmp_path):
    port = _free_port()
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
