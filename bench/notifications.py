"""Benchmark: notify() to 10,000 recipients (a course announcement) against one bulk INSERT.

Run from the repository root with `.venv/bin/python -m bench.notifications` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_notify`, adds 10,000 learners with a
Core bulk insert and one published course, then, in alternating rounds:

- **notify**: `notify(learners, "grade", course, course=...)` in one transaction and its commit:
  the recipients loaded with their roles, each one's visibility of the course checked, their channel
  preferences read, the rows written, and the delivery queued on Redis (one RQ job, after the commit);
- **bulk INSERT**: one multi-row `INSERT` of the same rows built beforehand (SQLAlchemy's
  executemany in a single page), and its commit.

It prints the median time of each, the ratio notify / bulk INSERT, and the SQL statements of
notify at 1,000 and at 10,000 recipients, which must be the same (the run fails otherwise).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from sqlalchemy import delete, event, insert, select

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_notify"
RECIPIENTS = 10_000
ROUNDS = 5


def build_app() -> tuple[Any, list[int], int]:
    """A migrated app with RECIPIENTS learners and one published course; (app, user ids, course id)."""
    import flask_migrate
    from flask_appbuilder.security.sqla.models import assoc_user_role

    from app import create_app
    from app.cli import initialize
    from app.extensions import appbuilder, db
    from app.lookups.services import lookup_id
    from app.security.models import LmsUser
    from app.security.services import hash_password
    from tests.course_factories import make_course

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        password = hash_password("bench-password-123")
        active = lookup_id("user_status", "active")
        db.session.execute(
            insert(LmsUser),
            [
                {
                    "username": f"learner{n}",
                    "first_name": "Learner",
                    "last_name": str(n),
                    "email": f"learner{n}@example.test",
                    "password": password,
                    "active": True,
                    "status_id": active,
                }
                for n in range(RECIPIENTS)
            ],
        )
        ids = list(db.session.scalars(select(LmsUser.id).where(LmsUser.username.like("learner%"))))
        student = appbuilder.sm.find_role("Student").id
        db.session.execute(insert(assoc_user_role), [{"user_id": uid, "role_id": student} for uid in ids])
        course = make_course(title="Announcements", title_ar="إعلانات")
        db.session.commit()
        course_id = course.id
        db.session.remove()
    return app, ids, course_id


def _count_statements(engine: Any) -> tuple[list[int], Any]:
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    return counter, lambda: event.remove(engine, "before_cursor_execute", count)


def run_notify(ids: list[int], course_id: int, n: int) -> tuple[float, int]:
    """(seconds, statements) of one notify() to `ids` and its commit."""
    from app.core.transactions import transaction
    from app.courses.models import Course
    from app.extensions import db
    from app.notifications.services import notify

    course = db.session.get(Course, course_id)
    counter, stop = _count_statements(db.engine)
    start = time.perf_counter()
    with transaction():
        written = notify(ids, "grade", course, course={"en": "Announcements", "ar": "إعلانات"}, n=n)
    elapsed = time.perf_counter() - start
    stop()
    assert len(written) == len(ids), (len(written), len(ids))
    return elapsed, counter[0]


def run_bulk_insert(rows: list[dict[str, Any]]) -> float:
    """Seconds of one multi-row INSERT of `rows` and its commit."""
    from app.extensions import db
    from app.notifications.models import Notification

    start = time.perf_counter()
    stmt = insert(Notification).execution_options(insertmanyvalues_page_size=len(rows))
    db.session.execute(stmt, rows)
    db.session.commit()
    return time.perf_counter() - start


def rows_like_notify(ids: list[int], course_id: int, n: int) -> list[dict[str, Any]]:
    """The rows notify() writes, built without its checks."""
    from app.lookups.services import lookup_id

    type_id = lookup_id("notification_types", "grade")
    return [
        {
            "recipient_id": uid,
            "type_id": type_id,
            "target_type": "course",
            "target_id": course_id,
            "params": {"course": {"en": "Announcements", "ar": "إعلانات"}, "n": n},
            "dedupe_key": f"bulk-{n}",
            "email_state": "due",
            "push_due": True,
        }
        for uid in ids
    ]


def main() -> int:
    """Run the rounds and print the figures; exit 1 if statements grow with recipients."""
    from redis import Redis

    from app.extensions import db
    from app.notifications.models import Notification

    app, ids, course_id = build_app()
    redis = Redis.from_url(app.config["REDIS_URL"])
    notify_times, insert_times = [], []
    with app.app_context():
        run_notify(ids[:10], course_id, n=-3)  # warm-up: the type's id cached, the course loaded
        _, small = run_notify(ids[:1_000], course_id, n=-1)
        _, large = run_notify(ids, course_id, n=-2)
        for round_number in range(ROUNDS):
            rows = rows_like_notify(ids, course_id, round_number)
            insert_times.append(run_bulk_insert(rows))
            elapsed, _ = run_notify(ids, course_id, n=round_number)
            notify_times.append(elapsed)
            db.session.execute(delete(Notification))  # each round starts from an empty table
            db.session.commit()
        redis.delete("rq:queue:default")  # the queued deliveries: no worker runs them here
    notify_ms = statistics.median(notify_times) * 1000
    insert_ms = statistics.median(insert_times) * 1000
    print(f"recipients: {RECIPIENTS:,}, rounds: {ROUNDS}")
    print(f"notify() + commit          median {notify_ms:8.1f} ms")
    print(f"bulk INSERT + commit       median {insert_ms:8.1f} ms")
    print(f"ratio notify / bulk INSERT x{notify_ms / insert_ms:.2f}")
    print(f"statements of notify(): {small} at 1,000 recipients, {large} at 10,000")
    if large != small:
        print("FAIL: statements grow with recipients")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
