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
