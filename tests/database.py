"""Throw-away PostgreSQL databases for the test suite and the benchmarks."""

from __future__ import annotations

from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.engine import make_url


def _maintenance(url: URL) -> Engine:
    """A short-lived engine on the `postgres` maintenance database."""
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def recreate_database(url: str | URL) -> None:
    """Drop (closing its connections) and create an empty database."""
    target = make_url(url)
    admin = _maintenance(target)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def drop_database(url: str | URL) -> None:
    """Drop a database, closing its connections."""
    target = make_url(url)
    admin = _maintenance(target)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()
