"""Tasks (inline without Redis, RQ with it) and SocketIO delivery to a user's connections."""

from __future__ import annotations

import json
import time

from redis import Redis
from rq import Queue, SimpleWorker

from app.audit.services import history
from app.core.realtime import emit_to_user
from app.core.tasks import enqueue
from app.extensions import socketio
from tests.conftest import RUN_ID, login
from tests.factories import make_lookup


def test_enqueue_runs_inline_without_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    with app.app_context():
        value = make_lookup()
        assert enqueue("tests.sample_tasks.bump_sort_order", value.id) == 1
        last = history("lookup", value.id)[-1]
    assert (last.action.code, last.actor_label) == ("updated", "system:bump_sort_order")


def test_enqueue_uses_rq_with_redis_and_the_worker_has_an_app_context(app):
    queue_name = f"test{RUN_ID}"
    with app.app_context():
        value = make_lookup()
        job = enqueue("tests.sample_tasks.bump_sort_order", value.id, queue=queue_name)
        assert job.get_status() == "queued"
        assert value.sort_order == 0  # not run yet
        connection = Redis.from_url(app.config["REDIS_URL"])
        worker = SimpleWorker([Queue(queue_name, connection=connection)], connection=connection)
        assert worker.work(burst=True)
        assert job.return_value() == 1
        last = history("lookup", value.id)[-1]
        assert last.actor_label == "system:bump_sort_order"


def test_emit_to_user_reaches_only_that_users_connections(app, user_factory):
    first_id, first = user_factory("Student")
    _, second = user_factory("Student")
    clients = {}
    for username in (first, second):
        browser = app.test_client()
        login(browser, username)
        clients[username] = socketio.test_client(app, namespace="/notifications", flask_test_client=browser)
        assert clients[username].is_connected("/notifications")
    with app.app_context():
        emit_to_user(first_id, "notification", {"text": "hello"})
    received = clients[first].get_received("/notifications")
    assert [(m["name"], m["args"][0]) for m in received] == [("notification", {"text": "hello"})]
    assert clients[second].get_received("/notifications") == []


def test_anonymous_socket_connections_are_refused(app):
    anonymous = socketio.test_client(app, namespace="/notifications")
    assert not anonymous.is_connected("/notifications")


def test_workers_emit_through_the_redis_message_queue(app, monkeypatch):
    # A worker process has no SocketIO server: emit_to_user publishes on the message queue.
    url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "SOCKETIO_MESSAGE_QUEUE", url)
    monkeypatch.setattr(socketio, "server", None)
    pubsub = Redis.from_url(url).pubsub()
    pubsub.subscribe("flask-socketio")
    pubsub.get_message(timeout=1)  # subscription confirmation
    with app.app_context():
        emit_to_user(42, "notification", {"text": "from a task"})
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1)
    pubsub.close()
    assert message is not None, "nothing was published on the queue"
    payload = message["data"]
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else json.dumps(payload)
    assert "notification" in text and "user:42" in text


def test_schedule_file_loads_into_rq_cron_and_its_tasks_run(app):
    from rq.cron import CronScheduler

    from app.core.tasks import HEARTBEAT_KEY, run_task
    from app.schedule import SCHEDULE

    connection = Redis.from_url(app.config["REDIS_URL"])
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file("app/schedule.py")
    registered = {job.name for job in scheduler.get_jobs()}
    assert registered == {path for path, _, _ in SCHEDULE}
    with app.app_context():
        for path, _, _ in SCHEDULE:
            run_task(path)
    assert connection.get(HEARTBEAT_KEY) is not None
