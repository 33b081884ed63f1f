"""`steward worker`: runs background tasks from the database queue.

It is django-tasks-db's worker with three additions, because that worker alone loses tasks:

- Leases. django-tasks-db claims a task by marking it RUNNING, and nothing looks at it again:
  a worker that dies (killed, machine lost) leaves it RUNNING for good. Here the worker holds
  a lease on the task it runs: a RUNNING task's `run_after`, which only matters while a task
  waits, holds the lease's end; the worker sets it when it claims the task, and a heartbeat
  thread moves it forward every few seconds. Any worker, at start and then periodically,
  puts back in the queue each RUNNING task whose lease has run out (its worker was not seen
  for STEWARD_TASK_WORKER_TIMEOUT seconds), or marks it FAILED after MAX_ATTEMPTS claims, so
  that a task that kills its worker each time is not run forever.
- Patience with the database: an error of the connection (a restart, a network cut) is
  logged and waited out with a backoff, instead of ending the worker.
- Retries: a task that failed on such a database error is queued again, a little later.

Running a task a second time is the right recovery because Steward's tasks are safe to run
again: each loads its row and does nothing when the work was done already."""

import logging
import os
import random
import socket
import threading
import time
from contextlib import suppress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

# Database errors that a restart or a network cut causes; worth waiting out, and retrying.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Claims of one task, counting the first, before it is given up.
MAX_ATTEMPTS = 3
# After a database error, a task waits this many seconds per attempt so far.
RETRY_DELAY_SECONDS = 5
# The longest wait between two tries of an unreachable database.
MAX_BACKOFF_SECONDS = 30

# The worker's own logger, which `steward worker -v` sets up.
logger = logging.getLogger("django_tasks_db")


class WorkerLost(Exception):
    """The recorded error of a task given up after its worker disappeared MAX_ATTEMPTS times."""


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.STEWARD_TASK_WORKER_TIMEOUT)


def _close_connections() -> None:
    """Drop this thread's database connections, which may be broken, so that the next query
    opens a new one."""
    for connection in connections.all(initialized_only=True):
        with suppress(*DATABASE_ERRORS):
            connection.close()


def requeue_abandoned_tasks(backend_name: str) -> int:
    """Put back in the queue each RUNNING task whose lease has run out, or mark it FAILED
    when it has had MAX_ATTEMPTS claims already. Returns how many were found."""
    now = timezone.now()
    abandoned = DBTaskResult.objects.running().filter(backend_name=backend_name, run_after__lt=now)
    found = 0
    for row in abandoned.only("id", "run_after", "worker_ids", "task_path"):
        # Only if nobody renewed or requeued it since it was read: of two workers doing
        # this at once, one changes the row and the other finds nothing to change.
        unchanged = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, run_after=row.run_after
        )
        attempts = len(row.worker_ids)
        if attempts >= MAX_ATTEMPTS:
            given_up = unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"{WorkerLost.__qualname__}: the worker running the task stopped "
                    f"answering, {attempts} times (workers {', '.join(row.worker_ids)})\n"
                ),
            )
            if given_up:
                found += 1
                logger.error(
                    "Task id=%s path=%s lost its worker %s (attempt %d of %d); giving up",
                    row.pk,
                    row.task_path,
                    row.worker_ids[-1],
                    attempts,
                    MAX_ATTEMPTS,
                )
        elif unchanged.update(status=TaskResultStatus.READY, run_after=get_date_max()):
            found += 1
            logger.warning(
                "Task id=%s path=%s lost its worker %s (attempt %d of %d); queued again",
                row.pk,
                row.task_path,
                row.worker_ids[-1],
                attempts,
                MAX_ATTEMPTS,
            )
    return found


class Worker(db_worker.Worker):
    """django-tasks-db's worker, with leases on the tasks it runs, recovery of tasks whose
    worker was lost, and patience with a database that goes away for a while."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The claim being run, as (task id, started_at): what the heartbeat renews.
        self.claim: tuple[str, datetime] | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        heartbeat = threading.Thread(target=self.beat, name="task-heartbeat", daemon=True)
        heartbeat.start()
        try:
            self.loop()
        finally:
            self.stopped.set()

    def loop(self) -> None:
        logger.info("Starting worker worker_id=%s", self.worker_id)
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (spreads workers started together)
        failures = 0
        while self.running:
            try:
                close_old_connections()
                db_task_result = self.claim_next()
                if db_task_result is not None:
                    self.run_task(db_task_result)
                failures = 0
            except DATABASE_ERRORS as error:
                # A restart or a network cut: wait it out rather than exit. A task whose
                # result could not be saved stays RUNNING until its lease runs out, then
                # runs again.
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2**failures)
                log = logger.debug if is_locked_database_exception(error) else logger.warning
                log("Database error (%s); trying again in %.1f s", error, delay)
                _close_connections()
                if self.running:
                    time.sleep(delay)
                continue
            if self.batch and db_task_result is None:
                logger.info("No more tasks to run for worker_id=%s", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d tasks on worker_id=%s", self._run_tasks, self.worker_id)
                return
            close_old_connections()
            if self.running and db_task_result is None:
                time.sleep(self.interval)

    def claim_next(self) -> DBTaskResult | None:
        """Claim the next ready task with a lease, in one transaction."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            db_task_result = tasks.get_locked()
            if db_task_result is None:
                return None
            db_task_result.status = TaskResultStatus.RUNNING
            db_task_result.started_at = timezone.now()
            db_task_result.worker_ids = [*db_task_result.worker_ids, self.worker_id]
            db_task_result.run_after = _lease_end()
            db_task_result.save(update_fields=["status", "started_at", "worker_ids", "run_after"])
        self.claim = (db_task_result.pk, db_task_result.started_at)
        return db_task_result

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            self.claim = None
        # set_failed() records the error on the object even when saving it failed.
        error = db_task_result.exception_class_path
        if db_task_result.status == TaskResultStatus.FAILED and _is_database_error(error):
            self.retry_later(db_task_result)

    def retry_later(self, db_task_result: DBTaskResult) -> None:
        """Queue again a task that failed on a database error, unless it had its attempts."""
        attempts = len(db_task_result.worker_ids)
        if attempts >= MAX_ATTEMPTS:
            return
        _close_connections()  # the error may have broken the connection
        retried = DBTaskResult.objects.filter(
            pk=db_task_result.pk,
            status__in=[TaskResultStatus.RUNNING, TaskResultStatus.FAILED],
            started_at=db_task_result.started_at,  # still this worker's claim
        ).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now() + timedelta(seconds=RETRY_DELAY_SECONDS * attempts),
            finished_at=None,
            exception_class_path="",
            traceback="",
        )
        if retried:
            logger.warning(
                "Task id=%s failed on a database error (attempt %d of %d); queued again",
                db_task_result.pk,
                attempts,
                MAX_ATTEMPTS,
            )

    def beat(self) -> None:
        """The heartbeat thread: renew the running task's lease every few seconds, and look
        for abandoned tasks at start and then every half-timeout (30 s at most)."""
        timeout = settings.STEWARD_TASK_WORKER_TIMEOUT
        every = min(5.0, timeout / 4)
        recover_every = min(30.0, timeout / 2)
        next_recovery = 0.0
        while True:
            try:
                if (claim := self.claim) is not None:
                    task_id, started_at = claim
                    DBTaskResult.objects.filter(
                        pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at
                    ).update(run_after=_lease_end())
                if time.monotonic() >= next_recovery:
                    requeue_abandoned_tasks(self.backend_name)
                    next_recovery = time.monotonic() + recover_every
            except DATABASE_ERRORS as error:
                logger.warning("Heartbeat: database error (%s); trying again", error)
                _close_connections()
            if self.stopped.wait(every):
                _close_connections()
                return


def _is_database_error(class_path: str) -> bool:
    try:
        error_class = import_string(class_path)
    except ImportError:
        return False
    return isinstance(error_class, type) and issubclass(error_class, DATABASE_ERRORS)


class Command(BaseCommand):
    help = (
        "Run background tasks (checksums of large uploads, file inspections) from the "
        "database queue. Run it beside `steward serve`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run the tasks waiting now, then exit"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="exit after running this many tasks"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at an empty queue (default 1)",
        )

    def handle(self, *args, batch, max_tasks, interval, verbosity, **options):
        # django-tasks-db's logging set-up, then its worker (as ours), on every queue;
        # never with an autoreloader, which could stop a task half-way.
        db_worker.Command(stdout=self.stdout, stderr=self.stderr).configure_logging(verbosity)
        # Named after its machine and process, so that a lost task's log line says whose.
        worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(6)}"
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not batch,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
