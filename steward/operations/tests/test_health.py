"""/healthz (the process answers) and /readyz (database, file store and task queue reachable),
each failure caused for real: an unreachable database or S3 endpoint, a folder that cannot be
written, a bucket that does not exist."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.test import Client

from steward.operations import health
from steward.operations.tests.serving import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_readiness():
    """Each test sees its own checks, not an outcome another test left for two seconds."""
    health.forget_readiness()
    yield
    health.forget_readiness()


def readyz(client, **headers) -> tuple[int, dict]:
    response = client.get("/readyz", **headers)
    return response.status_code, response.json()


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_probes_answer_any_host_name_and_plain_http(client, settings):
    """An orchestrator probes the container's own address over HTTP: neither the host check
    nor the HTTPS redirect may turn the probe away."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["steward.example.org"]
    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Other pages still get both.
    assert client.get("/datasets", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.get("/datasets", HTTP_HOST="steward.example.org").status_code == 301


def test_probes_answer_head_without_a_body(client):
    for path in ("/healthz", "/readyz"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b""


def test_probes_are_only_get_and_head(client):
    assert client.post("/healthz").status_code == 404


def test_ready_names_every_check(client):
    status, body = readyz(client)
    assert status == 200
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["storage"] == {"ok": True, "backend": "local"}
    assert body["checks"]["tasks"] == {"ok": True, "ready": 0, "oldest_ready_seconds": 0.0}


def test_ready_reports_the_queue_and_how_long_its_oldest_task_waited(client):
    from django_tasks_db.models import DBTaskResult

    from steward.storage.tasks import verify_upload

    first = verify_upload.enqueue(upload_id=1)
    verify_upload.enqueue(upload_id=2)
    waiting = DBTaskResult.objects.get(pk=first.id)
    waiting.enqueued_at -= timedelta(minutes=10)
    waiting.save(update_fields=["enqueued_at"])
    status, body = readyz(client)
    # A long queue is the workers' problem, not a reason to stop sending requests here.
    assert status == 200
    assert body["checks"]["tasks"]["ready"] == 2
    assert 600 <= body["checks"]["tasks"]["oldest_ready_seconds"] < 660


def test_a_files_folder_that_cannot_be_created_is_not_ready(client, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    settings.STEWARD_FILES_DIR = blocker / "files"
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable" and body["failed"] == ["storage"]
    assert body["checks"]["storage"] == {"ok": False}
    assert body["checks"]["database"]["ok"] and body["checks"]["tasks"]["ok"]
    # The reason is in the log, not in the public answer.
    assert "Readiness check storage failed" in caplog.text
    assert str(blocker) not in json.dumps(body)


def test_a_missing_files_folder_is_made_as_the_store_would(client, settings, tmp_path):
    settings.STEWARD_FILES_DIR = tmp_path / "fresh" / "files"
    assert readyz(client)[0] == 200
    assert settings.STEWARD_FILES_DIR.is_dir()
    # The probe leaves nothing behind.
    assert list(settings.STEWARD_FILES_DIR.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_files_folder_is_not_ready(client, settings, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    folder.chmod(0o555)
    settings.STEWARD_FILES_DIR = folder
    try:
        status, body = readyz(client)
    finally:
        folder.chmod(0o755)
    assert status == 503 and body["failed"] == ["storage"]


def test_an_s3_bucket_that_answers_is_ready(client, s3_storage):
    status, body = readyz(client)
    assert status == 200
    assert body["checks"]["storage"] == {"ok": True, "backend": "s3"}


def test_an_unreachable_s3_endpoint_is_not_ready_and_fails_fast(client, s3_storage, settings):
    settings.STEWARD_S3_ENDPOINT = f"http://127.0.0.1:{free_port()}"  # nothing listens
    started = time.monotonic()
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["storage"]
    # No retries: a probe must answer within the orchestrator's timeout.
    assert time.monotonic() - started < 5


def test_a_missing_bucket_is_not_ready(client, s3_storage, settings):
    settings.STEWARD_S3_BUCKET = "no-such-bucket-here"
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["storage"]


def test_a_store_being_moved_from_must_answer_too(client, s3_storage, settings, tmp_path):
    """While files move from the folder to S3, reads fall back to the folder."""
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"
    assert readyz(client)[0] == 200
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STEWARD_FILES_DIR = blocker / "files"
    health.forget_readiness()
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["storage"]


def test_quick_probes_share_one_round_of_checks(
    client, settings, tmp_path, monkeypatch, django_assert_num_queries
):
    """Anyone may ask /readyz: within READINESS_SECONDS a process answers from its last
    checks, queries and file-store probe included."""
    with django_assert_num_queries(2):  # the database's SELECT 1 and the task queue's
        assert readyz(client)[0] == 200
    # The folder breaks: the next quick probe neither queries nor writes, so it still says
    # ready.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STEWARD_FILES_DIR = blocker / "files"
    with django_assert_num_queries(0):
        status, body = readyz(client)
    assert status == 200 and body["failed"] == []
    # Once the outcome is older than READINESS_SECONDS, the checks run again.
    monkeypatch.setattr(health, "READINESS_SECONDS", 0.05)
    time.sleep(0.1)
    with django_assert_num_queries(2):
        status, body = readyz(client)
    assert status == 503 and body["failed"] == ["storage"]
    # A failure is kept as long: the broken store is not probed again at once.
    monkeypatch.setattr(health, "READINESS_SECONDS", 60)
    settings.STEWARD_FILES_DIR = tmp_path / "files"
    with django_assert_num_queries(0):
        assert readyz(client)[0] == 503
    health.forget_readiness()
    assert readyz(client)[0] == 200


# A database that does not answer: a real Steward process pointed at one, through the test
# client (the test's own database cannot be taken away from it).
UNREACHABLE_DATABASES = {
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path}/no-such-folder/steward.sqlite3",
    "postgresql": lambda tmp_path: f"postgres://steward@127.0.0.1:{free_port()}/steward",
}
PROBE_SCRIPT = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
answers = {}
for path in ("/healthz", "/readyz"):
    response = client.get(path, HTTP_HOST="10.0.0.5")
    answers[path] = [response.status_code, response.json()]
print(json.dumps(answers))
"""


@pytest.mark.parametrize("engine", UNREACHABLE_DATABASES)
def test_an_unreachable_database_is_not_ready_but_still_alive(engine, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(
        DJANGO_SETTINGS_MODULE="steward.settings",
        STEWARD_HOME=str(tmp_path / "home"),
        DATABASE_URL=UNREACHABLE_DATABASES[engine](tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["/healthz"] == [200, {"status": "ok"}]
    status, body = answers["/readyz"]
    assert status == 503
    # The queue lives in the database too.
    assert body["failed"] == ["database", "tasks"]
    assert body["checks"]["storage"]["ok"]
    assert "Readiness check database failed" in result.stderr


def test_the_api_health_endpoint_stays():
    response = Client().get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
