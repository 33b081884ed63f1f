"""Tasks for the worker's tests. `pause` takes as long as it is told, and leaves marks in a
folder when it starts and when it ends; the others fail or kill their worker on purpose."""

import time
from pathlib import Path

from django_tasks import task


@task()
def pause(folder: str, name: str, seconds: float) -> None:
    Path(folder, f"{name}.started").touch()
    time.sleep(seconds)
    Path(folder, f"{name}.finished").touch()


# For the worker's recovery tests (test_worker_recovery.py).


@task()
def fail_once_on_database(folder: str) -> None:
    """Fails with a database error the first time, as a query cut by a restart does."""
    from django.db import OperationalError

    runs = Path(folder, "runs")
    runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
    if len(runs.read_text()) == 1:
        raise OperationalError("server closed the connection unexpectedly")


@task()
def kill_worker(folder: str) -> None:
    """Kills the worker running it, as a task exhausting the machine's memory would."""
    import os
    import signal

    runs = Path(folder, "runs")
    runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
    os.kill(os.getpid(), signal.SIGKILL)


@task()
def wait_then_query(folder: str) -> None:
    """Waits for a `go` mark, then reads the database through the worker's connection."""
    from django.db import connection

    Path(folder, "started").touch()
    while not Path(folder, "go").exists():
        time.sleep(0.05)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    Path(folder, "finished").touch()
