"""The one transaction boundary of a request, task or command, and inserts that may race.

Services flush; the outermost `transaction()` commits once, or rolls everything back when anything
in it raises (Superset's `@transaction` is the model). Work that must only happen once the data is
committed (queueing a task that reads it, hooks) is registered with `on_commit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.core.errors import Conflict
from app.extensions import db

log = logging.getLogger(__name__)

_DEPTH = "lms_transaction_depth"
_AFTER_COMMIT = "lms_after_commit"
_FLUSHED = "lms_flushed"  # set by a flush, cleared by a commit or a rollback: work waits for a commit


@contextmanager
def transaction() -> Iterator[None]:
    """Commit once when the outermost block ends; roll back when anything in it raises.

    Usable as `with transaction():` or as a decorator `@transaction()`; nested blocks join the
    outer one, so a service called by another never commits its caller's work.
    """
    info = db.session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            db.session.commit()
    except BaseException:
        if depth == 0:
            db.session.rollback()
            info.pop(_AFTER_COMMIT, None)
        raise
    finally:
        info[_DEPTH] = depth
    if depth == 0:
        _run_after_commit()


def in_transaction() -> bool:
    """True inside a `transaction()` block."""
    return db.session.info.get(_DEPTH, 0) > 0


def on_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` after the enclosing `transaction()` commits (never if it rolls back).

    Outside a `transaction()` block it runs now.
    """
    if not in_transaction():
        callback()
        return
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit() -> None:
    """Each callback in its own transaction; one that fails is logged and does not stop the rest."""
    callbacks = db.session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            with transaction():
                callback()
        except Exception:
            log.exception("After-commit callback %r failed", callback)


def finish_request(response: Response) -> Response:
    """The request's one commit: flushed work is committed when the answer is a success or a
    redirect, and rolled back when it is an error (a service that refused halfway leaves nothing).

    Routes that wrap their work in `transaction()` have committed already; this is the boundary of
    every other one (FAB's forms, portal pages), so that services only flush.
    """
    session = db.session()
    if not session.info.get(_FLUSHED) or in_transaction():
        return response
    if response.status_code >= 400:
        session.rollback()
        return response
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("The request's commit failed")
        raise
    _run_after_commit()
    return response


@event.listens_for(Session, "after_flush")
def _remember_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "do_orm_execute")
def _remember_write(state: ORMExecuteState) -> None:
    # An UPDATE/INSERT/DELETE statement (a counter bumped in SQL) is work to commit, like a flush.
    if state.is_update or state.is_insert or state.is_delete:
        state.session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, ended: SessionTransaction) -> None:
    # Only the session's own transaction: a savepoint released or rolled back leaves the outer work.
    if ended.parent is None and not ended.nested:
        session.info.pop(_FLUSHED, None)


@contextmanager
def unique_insert(message: str) -> Iterator[None]:
    """Flush the block's inserts in a savepoint; a unique-constraint clash is a Conflict (409)."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None
