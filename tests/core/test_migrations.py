"""The migrations are the schema: upgrade on an empty database gives exactly the models."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine, inspect

from app.extensions import db


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Model.metadata)


def test_postgresql_schema_from_migrations_matches_models(app):
    # The session database was created empty and built only by `flask db upgrade`.
    with app.app_context():
        diff = _diff(db.session.connection())
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_table_of_ours_follows_the_conventions(app):
    with app.app_context():
        inspector = inspect(db.session.connection())
        ours = [t for t in inspector.get_table_names() if not t.startswith(("ab_", "alembic"))]
        assert {"lookup", "lookup_type", "audit_log"} <= set(ours)
        for table in ours:
            columns = {c["name"]: c for c in inspector.get_columns(table)}
            assert str(columns["id"]["type"]) == "BIGINT", table
            assert str(columns["uuid"]["type"]) == "UUID", table
            assert not columns["uuid"]["nullable"], table
            for stamp in ("created_at", "updated_at"):
                assert columns[stamp]["type"].timezone, (table, stamp)
            uniques = inspector.get_unique_constraints(table)
            assert any(u["column_names"] == ["uuid"] for u in uniques), table


def test_upgrade_builds_a_sqlite_database_too(app, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'embedded.sqlite3'}")
    engines = db._app_engines[app]
    saved = engines[None]
    engines[None] = engine
    try:
        with app.app_context():
            flask_migrate.upgrade()
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            diff = _diff(connection)
    finally:
        engines[None] = saved
        engine.dispose()
    assert {"ab_user", "lookup", "lookup_type", "audit_log"} <= tables
    assert diff == [], f"SQLite schema differs from the models: {diff}"
