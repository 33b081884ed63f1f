"""Request ids (taken from X-Request-ID when sane, else made) on every log line of a request
and in the response, carried into the tasks the request enqueues; logs as text or as one
JSON object per line (STEWARD_LOG_FORMAT)."""

import io
import json
import logging
import os
import subprocess
import sys
import time

import pytest
import requests
from django.core.management import call_command
from django_tasks import task

from steward.audit.context import incoming_request_id, request_id
from steward.catalog.tests.submission_factories import make_submission
from steward.catalog.tests.test_uploads_api import bearer, call, initiate, upload_parts
from steward.operations.logs import JsonFormatter, RequestIdFilter
from steward.operations.taskqueue import REQUEST_ID_ARGUMENT
from steward.operations.tests.serving import free_port, server_env
from steward.storage.tests.uploads import MiB, archive, sha256


@pytest.mark.parametrize(
    "header",
    [
        "abc-123",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "Root=1-5759e988.a1b2:c3",
        "dGhlIGlk+/==",
        "a",
    ],
)
def test_a_sane_incoming_request_id_is_kept(header):
    assert incoming_request_id(header) == header


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "x" * 129,
        "two words",
        "forged\nERROR a line of its own",
        "-starts-with-a-dash",
        'quote"d',
        "café",
    ],
)
def test_anything_else_gets_a_new_id(header):
    made = incoming_request_id(header)
    assert made != header
    assert len(made) == 32 and int(made, 16) >= 0


@pytest.mark.django_db
def test_every_response_names_its_request_id(client):
    assert client.get("/api/health", HTTP_X_REQUEST_ID="from-the-proxy-1")["X-Request-ID"] == (
        "from-the-proxy-1"
    )
    made = client.get("/api/health", HTTP_X_REQUEST_ID="bad id\r\n")["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/api/health")["X-Request-ID"]
    # Errors and probes too.
    assert client.get("/no-such-page", HTTP_X_REQUEST_ID="r-404")["X-Request-ID"] == "r-404"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="r-probe")["X-Request-ID"] == "r-probe"


@pytest.mark.django_db
def test_the_request_id_ends_with_the_request(client):
    client.get("/api/health", HTTP_X_REQUEST_ID="finished-request")
    assert request_id.get() is None


def test_json_lines_hold_the_fields_a_collector_reads():
    logger = logging.getLogger("steward.tests.json")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    # As the handler of settings.LOGGING is: the request id filter, then the formatter.
    keep = Keep()
    keep.addFilter(RequestIdFilter())
    logger.addHandler(keep)
    token = request_id.set("req-77")
    try:
        raise ValueError("the reason\non two lines")
    except ValueError:
        logger.exception("Could not do %s", "the thing", extra={"dataset": "abc"})
    finally:
        request_id.reset(token)
        logger.removeHandler(keep)
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["logger"] == "steward.tests.json"
    assert parsed["message"] == "Could not do the thing"
    assert parsed["request_id"] == "req-77"
    assert parsed["dataset"] == "abc"
    assert "ValueError: the reason\non two lines" in parsed["exception"]
    assert parsed["time"].endswith("+00:00")


def test_the_filter_stamps_records_made_during_a_request():
    record = logging.makeLogRecord({"msg": "inside"})
    token = request_id.set("req-88")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-88"
    outside = logging.makeLogRecord({"msg": "outside"})
    RequestIdFilter().filter(outside)
    assert outside.request_id is None


LOG_SCRIPT = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
client.get("/no-such-page", HTTP_X_REQUEST_ID="req-from-proxy")
"""


def _run_logged(tmp_path, log_format: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(DJANGO_SETTINGS_MODULE="steward.settings", STEWARD_HOME=str(tmp_path))
    env.pop("DATABASE_URL", None)
    if log_format:
        env["STEWARD_LOG_FORMAT"] = log_format
    result = subprocess.run(
        [sys.executable, "-c", LOG_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_json_format_writes_one_object_per_line_with_the_request_id(tmp_path):
    lines = [json.loads(line) for line in _run_logged(tmp_path, "json").splitlines()]
    by_logger = {line["logger"]: line for line in lines}
    access = by_logger["steward.access"]
    assert access["request_id"] == "req-from-proxy"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/no-such-page", 404)
    assert access["duration_ms"] >= 0
    # Django logs the 404 after the last middleware has returned: still the same request.
    not_found = by_logger["django.request"]
    assert not_found["level"] == "WARNING" and not_found["request_id"] == "req-from-proxy"


def test_text_is_the_default_format(tmp_path):
    output = _run_logged(tmp_path, None)
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])
    assert "WARNING django.request [req-from-proxy]: Not Found: /no-such-page" in output


# Tasks


@task()
def log_from_a_task(word: str) -> None:
    logging.getLogger("steward.tests.task").warning("The task says %s", word)


@pytest.fixture
def captured_logs():
    """What the configured handler would write, as parsed JSON lines."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db")}
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def run_worker(capture):
    # verbosity 1: the worker logs each task's start and end, as `steward worker` does.
    with capture(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=1)


# The worker closes its database connections between tasks, as a real worker does, so
# the test cannot run inside a transaction that is rolled back afterwards.
@pytest.mark.django_db(transaction=True)
def test_a_request_id_follows_the_tasks_the_request_enqueued(
    client, owner, settings, captured_logs, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.STEWARD_INLINE_VERIFY_BYTES = 1024  # checked by the worker, not the request
    draft = make_submission(owner, submit=False)
    headers = bearer(owner)
    data = archive(6 * MiB)
    ids = initiate(client, headers, draft, data).json()
    parts = upload_parts(client, headers, draft, ids["fileUploadId"], data)
    body = {"uploadId": ids["uploadId"], "parts": parts, "checksum": sha256(data)}
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            "post",
            f"/uploads/{ids['fileUploadId']}",
            {**headers, "HTTP_X_REQUEST_ID": "upload-done-42"},
            body,
        )
    assert response.status_code == 200 and response["X-Request-ID"] == "upload-done-42"
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs["kwargs"][REQUEST_ID_ARGUMENT] == "upload-done-42"

    run_worker(django_capture_on_commit_callbacks)  # verification, which queues the inspection
    run_worker(django_capture_on_commit_callbacks)  # the inspection

    tasks = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.task_path.rsplit(".", 1)[1] for t in tasks] == [
        "verify_submission_upload",
        "inspect_blob",
    ]
    assert [t.status for t in tasks] == ["SUCCESSFUL", "SUCCESSFUL"]
    # The inspection was enqueued by the first task: the same request's work.
    assert tasks[1].args_kwargs["kwargs"][REQUEST_ID_ARGUMENT] == "upload-done-42"
    finished = [
        line
        for line in captured_logs()
        if line["logger"] == "django_tasks" and "state=SUCCESSFUL" in line["message"]
    ]
    assert len(finished) == 2
    assert {line["request_id"] for line in finished} == {"upload-done-42"}
    # Once the task is done the worker's own lines have no request id.
    assert any(
        line["request_id"] is None and "No more tasks" in line["message"]
        for line in captured_logs()
    )


@pytest.mark.django_db(transaction=True)
def test_lines_a_task_logs_carry_the_id_and_tasks_outside_requests_carry_none(
    captured_logs, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    token = request_id.set("req-in-a-view")
    try:
        log_from_a_task.enqueue(word="hello")
    finally:
        request_id.reset(token)
    log_from_a_task.enqueue(word="alone")
    # The task's own arguments are unchanged when there is no request.
    assert [t.args_kwargs["kwargs"] for t in DBTaskResult.objects.order_by("enqueued_at")] == [
        {"word": "hello", REQUEST_ID_ARGUMENT: "req-in-a-view"},
        {"word": "alone"},
    ]
    run_worker(django_capture_on_commit_callbacks)
    said = {
        line["message"]: line["request_id"]
        for line in captured_logs()
        if line["logger"] == "steward.tests.task"
    }
    assert said == {"The task says hello": "req-in-a-view", "The task says alone": None}


@pytest.mark.live
def test_steward_serve_writes_only_json_lines(tmp_path):
    """gunicorn's own messages and the access log come out in the same format."""
    port = free_port()
    env = server_env(
        tmp_path,
        f"sqlite:///{tmp_path}/steward.sqlite3",
        STEWARD_LOG_FORMAT="json",
        # gunicorn logs its start at INFO only in debug mode.
        STEWARD_DEBUG="true",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "steward", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/api/health",
                    headers={"X-Request-ID": "live-request-1"},
                    timeout=2,
                )
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert answer.headers["X-Request-ID"] == "live-request-1"
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    assert stdout.startswith("Steward is serving on")
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert any(
        line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines
    )
    [access] = [line for line in lines if line["logger"] == "steward.access"]
    assert access["request_id"] == "live-request-1" and access["path"] == "/api/health"


def test_the_access_log_hides_credentials_and_cannot_be_forged(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="steward.access"):
        client.get("/downloads/secret-signed-token-123")
        client.get("/x%0a2026-01-01 00:00:00,000 INFO steward.access: POST /admin/login/ 200")
    lines = [record.getMessage() for record in caplog.records if record.name == "steward.access"]
    assert lines[0].startswith("GET /downloads/[redacted] ")
    assert not any("secret-signed-token-123" in line for line in lines)
    assert "\n" not in lines[1] and lines[1].startswith("GET /x\\x0a2026-01-01")
