"""The task backend: django-tasks-db's database queue, whose tasks carry the id of the request
that enqueued them, so that a task's log lines can be matched with the request's.

Every `@task()` in Steward is made by the configured backend's `task_class`, so each task
gets this without its module knowing: `enqueue()` adds the current request id as one more
keyword argument, and `call()` (what the worker runs) takes it out again and sets it for
the duration of the task. The worker's own lines about the task (finished, or failed with
its traceback) carry it too, from the task_started and task_finished signals."""

from contextvars import ContextVar, Token

from django.dispatch import receiver
from django_tasks.base import Task
from django_tasks.signals import task_finished, task_started
from django_tasks_db import DatabaseBackend as BaseDatabaseBackend

from steward.audit.context import request_id

# Underscored, so that no task's own parameter can be mistaken for it.
REQUEST_ID_ARGUMENT = "_request_id"


class RequestIdTask(Task):
    def enqueue(self, *args, **kwargs):
        return super().enqueue(*args, **_with_request_id(kwargs))

    async def aenqueue(self, *args, **kwargs):
        return await super().aenqueue(*args, **_with_request_id(kwargs))

    def call(self, *args, **kwargs):
        token = request_id.set(kwargs.pop(REQUEST_ID_ARGUMENT, None))
        try:
            return super().call(*args, **kwargs)
        finally:
            request_id.reset(token)

    async def acall(self, *args, **kwargs):
        token = request_id.set(kwargs.pop(REQUEST_ID_ARGUMENT, None))
        try:
            return await super().acall(*args, **kwargs)
        finally:
            request_id.reset(token)


def _with_request_id(kwargs: dict) -> dict:
    # Outside a request (a command, the shell) there is nothing to carry.
    current = request_id.get()
    return {**kwargs, REQUEST_ID_ARGUMENT: current} if current else kwargs


class DatabaseBackend(BaseDatabaseBackend):
    task_class = RequestIdTask


_before_task: ContextVar[Token | None] = ContextVar("before_task", default=None)


@receiver(task_started)
def bind_request_id(sender, task_result, **kwargs) -> None:
    _before_task.set(request_id.set(task_result.kwargs.get(REQUEST_ID_ARGUMENT)))


@receiver(task_finished)
def unbind_request_id(sender, task_result, **kwargs) -> None:
    # Back to what it was: nothing in a worker, the request's own id when a backend runs
    # the task inside the request that enqueued it.
    token = _before_task.get()
    if token is not None:
        _before_task.set(None)
        request_id.reset(token)
