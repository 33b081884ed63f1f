"""`steward worker` loses no task: a task whose worker is killed mid-run is run again by
another worker once the lease runs out, a task that failed on a database error is retried, a
task that kills its worker every time is given up, and a database restart does not stop the
worker. Real worker processes, on the test database."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection

from .serving import database_url, server_env

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# The lease of the tests' workers (STEWARD_TASK_WORKER_TIMEOUT), short to keep them quick.
TIMEOUT = 2


class Worker:
    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "steward", "worker", "--interval", "0.2", "-v", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> str:
        """Stop the worker (if still running); returns all it wrote."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        output = self.process.stdout.read().decode(errors="replace")
        self.process.stdout.close()
        return output


def _env(tmp_path) -> dict[str, str]:
    return server_env(tmp_path, database_url(tmp_path), STEWARD_TASK_WORKER_TIMEOUT=str(TIMEOUT))


def _task(database: str, task_id) -> tuple[str, list[str], str]:
    """A task's status, the workers that claimed it and its error, as the workers left
    them."""
    from django_tasks_db.models import DBTaskResult

    if database.startswith("sqlite:///"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            status, worker_ids, error = db.execute(
                "SELECT status, worker_ids, exception_class_path"
                f" FROM {DBTaskResult._meta.db_table} WHERE id = ?",
                [uuid.UUID(str(task_id)).hex],
            ).fetchone()
        return status, json.loads(worker_ids), error
    row = DBTaskResult.objects.get(pk=task_id)
    return row.status, row.worker_ids, row.exception_class_path


def _wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def test_a_task_whose_worker_was_killed_is_run_by_another(tmp_path):
    from .tasks import pause

    marks = tmp_path / "marks"
    marks.mkdir()
    result = pause.enqueue(str(marks), "slow", 2)
    env = _env(tmp_path)
    first = Worker(env)
    try:
        _wait_for(lambda: (marks / "slow.started").exists(), 60, "the task did not start")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        assert not (marks / "slow.finished").exists()
        assert _task(env["DATABASE_URL"], result.id)[0] == "RUNNING"
    finally:
        first.stop()

    second = Worker(env)
    try:
        started = time.monotonic()
        _wait_for(
            lambda: _task(env["DATABASE_URL"], result.id)[0] == "SUCCESSFUL",
            # The lease, a look for abandoned tasks, the task's own 2 s, and a margin.
            TIMEOUT + TIMEOUT / 2 + 2 + 10,
            "the task was not run again",
        )
        assert time.monotonic() - started >= 2
        assert (marks / "slow.finished").exists()
        assert second.alive()
    finally:
        output = second.stop()
    worker_ids = _task(env["DATABASE_URL"], result.id)[1]
    assert len(worker_ids) == 2 and worker_ids[0] != worker_ids[1]
    assert "lost its worker" in output and "queued again" in output, output


def test_a_task_failing_on_a_database_error_is_retried(tmp_path):
    from .tasks import fail_once_on_database

    marks = tmp_path / "marks"
    marks.mkdir()
    result = fail_once_on_database.enqueue(str(marks))
    env = _env(tmp_path)
    worker = Worker(env)
    try:
        _wait_for(
            lambda: _task(env["DATABASE_URL"], result.id)[0] == "SUCCESSFUL",
            60,
            "the task was not retried",
        )
        assert worker.alive()
    finally:
        output = worker.stop()
    assert (marks / "runs").read_text() == "xx"
    assert len(_task(env["DATABASE_URL"], result.id)[1]) == 2
    assert "failed on a database error (attempt 1 of 3); queued again" in output, output


def test_a_task_that_kills_its_worker_each_time_is_given_up(tmp_path):
    from .tasks import kill_worker, pause

    marks = tmp_path / "marks"
    marks.mkdir()
    result = kill_worker.enqueue(str(marks))
    # Waiting behind it (on SQLite the workers' database is a copy taken when they start).
    after = pause.using(priority=-1).enqueue(str(marks), "after", 0)
    env = _env(tmp_path)
    workers = []
    try:
        deadline = time.monotonic() + 90
        while _task(env["DATABASE_URL"], result.id)[0] != "FAILED":
            assert time.monotonic() < deadline, "the task was never given up"
            if not workers or not workers[-1].alive():
                workers.append(Worker(env))
            time.sleep(0.1)
        # The last worker, which gave it up, lives on and runs the other task.
        _wait_for(
            lambda: _task(env["DATABASE_URL"], after.id)[0] == "SUCCESSFUL",
            30,
            "the worker did not go on",
        )
        assert workers[-1].alive()
    finally:
        outputs = [worker.stop() for worker in workers]
    assert (marks / "runs").read_text() == "xxx"
    assert len(workers) == 4
    assert len(_task(env["DATABASE_URL"], result.id)[1]) == 3
    assert "(attempt 3 of 3); giving up" in outputs[-1], outputs[-1]
    assert _task(env["DATABASE_URL"], result.id)[2].endswith(".WorkerLost")


def test_the_worker_survives_a_database_restart(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a SQLite file has no server to restart")
    from .tasks import pause, wait_then_query

    marks = tmp_path / "marks"
    marks.mkdir()
    result = wait_then_query.enqueue(str(marks))
    env = _env(tmp_path)
    worker = Worker(env)
    try:
        _wait_for(lambda: (marks / "started").exists(), 60, "the task did not start")
        # What a restart does to the server's clients: every connection is cut.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        (marks / "go").touch()
        _wait_for(
            lambda: _task(env["DATABASE_URL"], result.id)[0] == "SUCCESSFUL",
            60,
            "the task was not retried after the restart",
        )
        assert worker.alive()
        after = pause.enqueue(str(marks), "after", 0)
        _wait_for(
            lambda: _task(env["DATABASE_URL"], after.id)[0] == "SUCCESSFUL",
            30,
            "the worker did not go on",
        )
    finally:
        output = worker.stop()
    assert worker.process.returncode == 0, output
    assert (marks / "finished").exists()
    assert len(_task(env["DATABASE_URL"], result.id)[1]) == 2
