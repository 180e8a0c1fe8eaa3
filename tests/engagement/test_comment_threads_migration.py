"""Migration 0023 backfills the depth and thread of the comments written before it (one level of
replies), on PostgreSQL, and its downgrade puts every reply back under its thread's first comment."""

from __future__ import annotations

import os
import uuid
from typing import Any

import flask_migrate
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.database import drop_database, recreate_database

INSERT_COMMENT = text(
    "INSERT INTO comment (target_type, target_id, parent_id, author_id, body, uuid) "
    "VALUES ('course', 1, :parent, :user, 'x', :uuid) RETURNING id"
)

INSERT_COMMENT = text(
    "INSERT INTO comment (target_type, target_id, parent_id, author_id, body, uuid) "
    "VALUES ('course', 1, :parent, :user, 'x', :uuid) RETURNING id"
)


def test_existing_replies_get_their_depth_and_thread(app: Any) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(database=f"lms_mig_{os.getpid()}")
    recreate_database(url)
    engine = create_engine(url)
    engines = db._app_engines[app]
    saved = engines[None]
    engines[None] = engine
    try:
        with app.app_context():
            flask_migrate.upgrade(revision="0020_reactions")
            with engine.begin() as conn:
                user = conn.execute(
                    text(
                        "INSERT INTO ab_user (first_name, last_name, username, email, active, uuid) "
                        "VALUES ('A', 'B', 'mig', 'mig@example.test', true, :uuid) RETURNING id"
                    ),
                    {"uuid": uuid.uuid4()},
                ).scalar()
                ids = []
                for parent in (None, 0, 0, None):  # two threads, the first with two replies
                    ids.append(
                        conn.execute(
                            INSERT_COMMENT,
                            {
                                "parent": ids[parent] if parent is not None else None,
                                "user": user,
                                "uuid": uuid.uuid4(),
                            },
                        ).scalar()
                    )
            flask_migrate.upgrade(revision="0023_comment_threads")
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, depth, root_id FROM comment ORDER BY id")).all()
            assert [(depth, root) for _id, depth, root in rows] == [
                (1, None),
                (2, ids[0]),
                (2, ids[0]),
                (1, None),
            ]
            flask_migrate.downgrade(revision="0020_reactions")
            with engine.connect() as conn:
                parents = conn.execute(text("SELECT parent_id FROM comment ORDER BY id")).scalars().all()
            assert parents == [None, ids[0], ids[0], None]
    finally:
        engines[None] = saved
        engine.dispose()
        drop_database(url)
