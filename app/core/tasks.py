"""Background tasks: one `enqueue` (RQ when REDIS_URL is set, inline otherwise) and the worker."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from functools import lru_cache, partial
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue

from app.core.transactions import in_transaction, on_commit, transaction

log = logging.getLogger(__name__)

# Context managers every task runs inside, given the task's name: the audit module registers
# `system_actor` so that a task's writes are attributed to `system:<task>`.
TaskContext = Callable[[str], AbstractContextManager[Any]]
_TASK_CONTEXTS: list[TaskContext] = []


def register_task_context(factory: TaskContext) -> None:
    """Run every task inside `factory(task_name)` (called from a module's register(), once)."""
    if factory not in _TASK_CONTEXTS:
        _TASK_CONTEXTS.append(factory)


def _task_context(name: str) -> ExitStack:
    stack = ExitStack()
    for factory in _TASK_CONTEXTS:
        stack.enter_context(factory(name))
    return stack


def task_function(func_path: str) -> Callable[..., Any]:
    """The function a dotted path (`app.media.tasks.make_thumbnails`) names."""
    module_name, _, func_name = func_path.rpartition(".")
    func: Callable[..., Any] = getattr(importlib.import_module(module_name), func_name)
    return func


def redis_connection(app: Flask | None = None) -> Redis | None:
    """The Redis connection for queues, or None in the embedded (inline) mode."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    redis = app.extensions.get("lms_redis")
    if redis is None:
        redis = app.extensions["lms_redis"] = Redis.from_url(url)
    return redis


def get_queue(name: str = "default") -> Queue | None:
    """An RQ queue, or None without Redis."""
    connection = redis_connection()
    return Queue(name, connection=connection) if connection is not None else None


def run_task(func_path: str, *ids: Any) -> Any:
    """Worker entry point: run a task in an app context, audited as `system:<task>`."""
    func = task_function(func_path)
    context = nullcontext() if has_app_context() else _worker_app().app_context()
    with context, _task_context(func.__name__), transaction():
        return func(*ids)


@lru_cache(maxsize=1)
def _worker_app() -> Flask:
    """One app per worker process, configured from the environment (APP_CONFIG)."""
    from app import create_app

    return create_app()


def enqueue(task_path: str, *ids: Any, queue: str = "default", **options: Any) -> Any:
    """Run the task named by its dotted path (`"app.assessments.tasks.issue_certificate"`) with `ids`
    in a worker (RQ), or now, inline, when REDIS_URL is unset.

    A path, not a function, so that services need not import their tasks (which import the services).
    Tasks take ids, not objects, so that they are safe to retry and to run twice. Inside a
    `transaction()` the task is queued after the commit (never for work that was rolled back); a task
    commits once, at its end.
    """
    if in_transaction():  # a worker must find the rows the task names: queue it once they are committed
        on_commit(partial(_enqueue_now, task_path, *ids, queue=queue, **options))
        return None
    return _enqueue_now(task_path, *ids, queue=queue, **options)


def _enqueue_now(task_path: str, *ids: Any, queue: str, **options: Any) -> Any:
    rq_queue = get_queue(queue)
    if rq_queue is None:
        func = task_function(task_path)
        with _task_context(func.__name__), transaction():
            return func(*ids)
    return rq_queue.enqueue(run_task, task_path, *ids, **options)


HEARTBEAT_KEY = "lms:worker:heartbeat"


def heartbeat() -> float:
    """Record that the scheduler and a worker are alive (monitoring reads HEARTBEAT_KEY)."""
    now = time.time()
    connection = redis_connection()
    if connection is not None:
        connection.set(HEARTBEAT_KEY, now, ex=3600)
    return now
