"""Inserts that may race with another request doing the same (double clicks, replays)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict
from app.extensions import db


@contextmanager
def unique_insert(message: str) -> Iterator[None]:
    """Flush the block's inserts in a savepoint; a unique-constraint clash is a Conflict (409)."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None
