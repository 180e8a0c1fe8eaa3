"""One app per session on a fresh, migrated PostgreSQL database; one rolled-back transaction per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.cli import initialize
from app.extensions import db
from app.lookups.services import clear_lookup_cache
from config import TestingConfig
from tests.database import drop_database, recreate_database
from tests.factories import PASSWORD, make_user

pytest_plugins = ["tests.media_fixtures", "tests.mail_fixtures", "tests.security.accounts_support"]

# One database and one rate-limit key space per test run, so that runs never disturb each other.
RUN_ID = f"{os.getpid()}"
DATABASE_URL = make_url(TestingConfig.SQLALCHEMY_DATABASE_URI)
DATABASE_URL = DATABASE_URL.set(database=f"{DATABASE_URL.database}_{RUN_ID}")


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The app on a database built by the migrations (not create_all) and initialized."""
    url = DATABASE_URL.render_as_string(hide_password=False)
    recreate_database(url)
    application = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        RATELIMIT_KEY_PREFIX=f"test{RUN_ID}",
        VIEW_KEY_PREFIX=f"lms:views:test{RUN_ID}",  # cleaned with the rate-limit keys below
        REFERRAL_KEY_PREFIX=f"lms:referrals:test{RUN_ID}",  # likewise
    )
    with application.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        db.session.remove()
    # Sessions join the per-test transaction through a savepoint, so commits stay undoable.
    db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"
    yield application
    with application.app_context():
        db.engine.dispose()
    drop_database(DATABASE_URL)


@pytest.fixture(autouse=True)
def _transaction(app: Flask) -> Iterator[None]:
    """Run each test inside one outer transaction, rolled back at the end."""
    engines = db._app_engines[app]
    engine = engines[None]
    connection = engine.connect()
    transaction = connection.begin()
    connection.name = engine.name  # FAB asks `session.get_bind().name`, an Engine attribute
    engines[None] = connection  # every session of this test binds to this connection
    redis = Redis.from_url(app.config["REDIS_URL"])
    for key in redis.scan_iter(f"*test{RUN_ID}*"):  # this run's rate-limit counters and view keys
        redis.delete(key)
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        engines[None] = engine
        transaction.rollback()
        clear_lookup_cache()  # ids cached during the test may belong to rolled-back rows
        connection.close()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that use services and the ORM directly (not with the client)."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous browser."""
    return app.test_client()


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through FAB's login form."""
    return client.post("/login/", data={"username": username, "password": password})


def jwt_headers(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers from `POST /api/v1/security/login`."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def user_factory(app: Flask) -> Callable[..., Any]:
    """Create a user (committed in the test transaction); returns (id, username)."""

    def _make(role: str = "Student", **kwargs: Any) -> tuple[int, str]:
        with app.app_context():
            user = make_user(role, **kwargs)
            result = (user.id, user.username)
            db.session.remove()
        return result

    return _make


@pytest.fixture
def login_as(app: Flask, user_factory: Callable[..., Any]) -> Callable[[str], FlaskClient]:
    """A browser signed in (session cookie) as a new user of the given role."""

    def _login(role: str) -> FlaskClient:
        _, username = user_factory(role)
        browser = app.test_client()
        response = login(browser, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        browser.user_id = _  # type: ignore[attr-defined]
        return browser

    return _login


@pytest.fixture
def api_as(app: Flask, user_factory: Callable[..., Any]) -> Callable[[str], dict[str, str]]:
    """JWT headers for a new user of the given role."""

    def _headers(role: str) -> dict[str, str]:
        _, username = user_factory(role)
        return jwt_headers(app.test_client(), username)

    return _headers


@pytest.fixture
def committed(app: Flask, _transaction: None) -> Iterator[Engine]:
    """Real commits (other connections see them) instead of the rolled-back per-test transaction.

    Every table has an `id`: rows above each table's highest id at the start are deleted at the end,
    with triggers off (foreign keys and the audit log's append-only rule) as they were never there.
    """
    engines = db._app_engines[app]
    per_test = engines[None]
    engine = per_test.engine
    tables_sql = text(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'id'"
    )
    with engine.connect() as conn:
        tables = list(conn.scalars(tables_sql))
        marks = {t: conn.scalar(text(f'SELECT coalesce(max(id), 0) FROM "{t}"')) for t in tables}
    engines[None] = engine
    try:
        yield engine
    finally:
        with app.app_context():
            db.session.remove()
        engines[None] = per_test
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table, mark in marks.items():
                conn.execute(text(f'DELETE FROM "{table}" WHERE id > :mark'), {"mark": mark})
