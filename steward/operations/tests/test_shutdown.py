"""Stopping `steward serve` and `steward worker` with SIGTERM (what systemd, Docker and
Kubernetes send): the download in flight finishes, new connections are refused, and the server
exits cleanly within its grace period; the worker finishes its task and takes no other."""

import hashlib
import http.client
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from steward.accounts.services import create_api_key
from steward.catalog.tests.factories import make_dataset

from .serving import Server, database_url, server_env

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Far more than the socket buffers of both ends can hold, so that most of the file is still
# on the server's side when the signal arrives.
ARCHIVE_BYTES = 48 * 1024 * 1024
# The grace period `steward serve` gives running requests (gunicorn's graceful_timeout).
GRACE_SECONDS = 30


def _refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def _slow_connection(port: int) -> http.client.HTTPConnection:
    """A connection whose receive buffer is small, as a slow client's would be full."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect(("127.0.0.1", port))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=GRACE_SECONDS)
    connection.sock = sock
    return connection


def test_sigterm_lets_a_running_download_finish(tmp_path, organization, outsider):
    archive = bytes(range(256)) * (ARCHIVE_BYTES // 256)
    dataset = make_dataset(organization, slug="long-recordings", archive=archive)
    _, key = create_api_key(outsider)
    # Two workers, as `steward serve` runs by default: each holds the listening socket.
    server = Server(server_env(tmp_path, database_url(tmp_path)), workers=2)
    try:
        server.wait_until_up()
        session = requests.post(
            f"{server.url}/api/datasets/{dataset.public_id}/download",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert session.status_code == 200, session.text
        link = urlsplit(session.json()["downloadUrl"])

        connection = _slow_connection(server.port)
        connection.request("GET", link.path)
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(archive)
        digest, received = hashlib.sha256(), 0
        for _ in range(8):
            chunk = response.read(64 * 1024)
            digest.update(chunk)
            received += len(chunk)
            time.sleep(0.05)

        server.process.send_signal(signal.SIGTERM)
        signalled_at = time.monotonic()

        # The server stops listening at once...
        deadline = signalled_at + 5
        while not _refuses_connections(server.port):
            assert time.monotonic() < deadline, "new connections were still accepted"
            time.sleep(0.1)
        # ...but waits for the download, which is far from done.
        assert received < len(archive) // 4
        assert server.process.poll() is None
        while chunk := response.read(1024 * 1024):
            digest.update(chunk)
            received += len(chunk)
        connection.close()

        assert received == len(archive)
        assert digest.hexdigest() == hashlib.sha256(archive).hexdigest() == dataset.checksum
        code = server.process.wait(timeout=GRACE_SECONDS)
        assert code == 0, server.output()
        assert time.monotonic() - signalled_at < GRACE_SECONDS
    finally:
        server.stop()


def test_sigterm_lets_the_worker_finish_its_task_and_take_no_other(tmp_path):
    from .tasks import pause

    marks = tmp_path / "marks"
    marks.mkdir()
    first = pause.enqueue(str(marks), "first", 3)
    second = pause.enqueue(str(marks), "second", 0)
    env = server_env(tmp_path, database_url(tmp_path))
    worker = subprocess.Popen(
        [sys.executable, "-m", "steward", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (marks / "first.started").exists():
            assert worker.poll() is None, worker.stdout.read().decode()
            assert time.monotonic() < deadline, "the worker did not start the task"
            time.sleep(0.05)

        worker.send_signal(signal.SIGTERM)

        code = worker.wait(timeout=GRACE_SECONDS)
        assert code == 0, worker.stdout.read().decode()
        # The running task was finished, and the one waiting was left for the next worker.
        assert (marks / "first.finished").exists()
        assert not (marks / "second.started").exists()
        statuses = _task_statuses(env["DATABASE_URL"])
        assert statuses[str(first.id)] == "SUCCESSFUL"
        assert statuses[str(second.id)] == "READY"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()


def _task_statuses(database: str) -> dict[str, str]:
    """Each task's status, as the worker left it in the servers' database."""
    from django_tasks_db.models import DBTaskResult

    if database.startswith("sqlite:///"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            table = DBTaskResult._meta.db_table
            rows = db.execute(f"SELECT id, status FROM {table}").fetchall()
        return {str(uuid.UUID(id)): status for id, status in rows}
    return {str(r.id): r.status for r in DBTaskResult.objects.all()}
