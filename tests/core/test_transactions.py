"""The one transaction boundary: commit once at the outside, roll back everything on an error."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.transactions import in_transaction, on_commit, transaction
from app.extensions import db
from app.lookups.models import LookupType


def _type(code: str) -> LookupType:
    row = LookupType(code=code, name_en=code, name_ar=code)
    db.session.add(row)
    db.session.flush()
    return row


def _codes() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(select(LookupType.code).where(LookupType.code.like("tx_%"))))


def test_an_error_half_way_leaves_nothing_written(ctx):
    with pytest.raises(RuntimeError), transaction():
        _type("tx_first")
        with transaction():  # a service called by another joins the outer transaction
            _type("tx_second")
        raise RuntimeError("half-way")
    assert _codes() == set()


def test_only_the_outermost_block_commits(ctx):
    with transaction():
        with transaction():
            _type("tx_inner")
        assert in_transaction()
        db.session.rollback()  # the inner block did not commit: its row is gone
        _type("tx_outer")
    assert not in_transaction()
    assert _codes() == {"tx_outer"}


def test_on_commit_runs_after_the_commit_and_never_after_a_rollback(ctx):
    seen: list[str] = []
    with transaction():
        _type("tx_committed")
        on_commit(lambda: seen.append("committed"))
        assert seen == []
    assert seen == ["committed"]
    with pytest.raises(RuntimeError), transaction():
        on_commit(lambda: seen.append("rolled back"))
        raise RuntimeError
    assert seen == ["committed"]


def test_a_failing_callback_does_not_stop_the_others(ctx):
    seen: list[str] = []

    def broken() -> None:
        raise ValueError("broken hook")

    with transaction():
        on_commit(broken)
        on_commit(lambda: seen.append("second"))
    assert seen == ["second"]


def test_a_task_commits_once_at_its_end(app, monkeypatch):
    """The sample task only flushes: what it wrote is there afterwards because the task commits."""
    from app.core.tasks import enqueue
    from app.lookups.models import Lookup
    from tests.factories import make_lookup, make_lookup_type

    monkeypatch.setitem(app.config, "REDIS_URL", None)
    with app.app_context():
        value_id = make_lookup(make_lookup_type(), sort_order=4).id
        enqueue("tests.sample_tasks.bump_sort_order", value_id)
        db.session.remove()
        assert db.session.get(Lookup, value_id).sort_order == 5
        db.session.remove()


def test_a_task_queued_in_a_transaction_runs_after_the_commit_and_never_after_a_rollback(app, monkeypatch):
    from app.core.tasks import enqueue
    from app.lookups.models import Lookup
    from tests.factories import make_lookup, make_lookup_type

    monkeypatch.setitem(app.config, "REDIS_URL", None)
    with app.app_context():
        value_id = make_lookup(make_lookup_type(), sort_order=1).id
        with transaction():
            assert enqueue("tests.sample_tasks.bump_sort_order", value_id) is None  # queued, not run
            assert db.session.get(Lookup, value_id).sort_order == 1
        db.session.remove()
        assert db.session.get(Lookup, value_id).sort_order == 2
        with pytest.raises(RuntimeError), transaction():
            enqueue("tests.sample_tasks.bump_sort_order", value_id)
            raise RuntimeError
        db.session.remove()
        assert db.session.get(Lookup, value_id).sort_order == 2
        db.session.remove()


@pytest.mark.parametrize(
    ("status", "kept"), [(200, True), (302, True), (404, False), (409, False), (500, False)]
)
def test_a_request_commits_flushed_work_on_success_and_drops_it_on_an_error(app, status, kept):
    from flask import Response

    from app.core.transactions import finish_request

    with app.test_request_context("/"):
        _type("tx_request")
        finish_request(Response(status=status))
        assert _codes() == ({"tx_request"} if kept else set())


def test_a_request_commits_work_done_in_a_savepoint_or_by_an_update_statement(app):
    from flask import Response
    from sqlalchemy import update

    from app.core.transactions import finish_request

    with app.test_request_context("/"):
        with db.session.begin_nested():  # released: its work waits for the request's commit
            row_id = _type("tx_savepoint").id
        finish_request(Response(status=200))
        assert _codes() == {"tx_savepoint"}
    with app.test_request_context("/"):  # a counter bumped in SQL, nothing flushed by the ORM
        db.session.execute(update(LookupType).where(LookupType.id == row_id).values(code="tx_updated"))
        finish_request(Response(status=200))
        assert _codes() == {"tx_updated"}
