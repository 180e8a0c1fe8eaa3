"""Benchmark: what recording a view costs the course page, and the bulk flush of pending views.

Run from the repository root with `.venv/bin/python -m bench.views` (or `make bench`). It drops and
recreates its own PostgreSQL database `lms_bench_views`, adds a published course with 3 sections of
5 lessons, a student and 1,000 more courses, then times the public course page through Flask's test
client in alternating rounds (so that load changes hit every case alike):

- **visitor, off**: an anonymous request with `VIEW_COUNTING` off (the baseline);
- **visitor, counted**: a new visitor on every request (no cookie), so every view is counted
  (one Redis call: SET NX EX, then HINCRBY);
- **visitor, deduped**: the same visitor again within the window (the SET NX fails);
- **member, off** and **member, counted**: the student's request, recording off, and recording on with
  the student's dedupe key removed before each request, so every view is counted and writes its
  `viewed` audit row.

It prints each median and the SQL statements of each case (`X-Query-Count`). Then it times
`record_view` alone as the page calls it in each of the three counted/deduped cases (minus the
same call with recording off) and prints it as a share of the page's median with recording off,
measured in the same run:
the target is under 10 %. (The page medians "on / off" are printed too, but the difference of two
medians of ~20 ms pages on a shared machine is mostly noise.) Last, it times one
`flush_view_counts` of 10,000 pending views spread over the 1,000 courses, 1,000 of them members'
views with their audit rows (a fixed number of statements, whatever the number of courses).
The run fails when a share is 10 % or more.
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import sys
import time
from typing import Any

from redis import Redis
from sqlalchemy import event, insert

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_views"
PREFIX = f"lms:views:bench{os.getpid()}"
ROUNDS = 40
WARMUP = 5
COURSES = 1_000
PENDING = 10_000
TARGET = 1.10


def build_app() -> tuple[Any, str, int, str]:
    """A migrated app, a course page to read, a student; (app, slug, student id, student name)."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.courses.models import Course
    from app.extensions import db
    from tests.course_factories import make_course, make_lesson, make_section
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False, VIEW_KEY_PREFIX=PREFIX
    )
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        teacher = make_user("Instructor")
        student = make_user("Student")
        course = make_course(title="Measured", title_ar="مقيسة", instructors=[teacher])
        for s in range(3):
            section = make_section(course, f"Part {s + 1}")
            for n in range(5):
                make_lesson(section, f"Lesson {s + 1}.{n + 1}", is_free_preview=n == 0)
        template = {c.name: getattr(course, c.key) for c in Course.__table__.columns if c.name != "id"}
        rows = []
        for n in range(COURSES):
            row = dict(template)
            row.pop("uuid")
            row["slug"] = f"bench-course-{n}"
            rows.append(row)
        db.session.execute(insert(Course.__table__), rows)
        db.session.commit()
        result = (app, course.slug, student.id, student.username)
        db.session.remove()
    return result


def _clear(redis: Redis) -> None:
    for key in redis.scan_iter(f"{PREFIX}:*"):
        redis.delete(key)


def main() -> int:
    from app.audit.services import deferred_row
    from app.core.transactions import transaction
    from app.courses.models import Course
    from app.engagement.services import views
    from app.extensions import db
    from app.security.models import LmsUser
    from tests.conftest import login

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    app, slug, student_id, student_name = build_app()
    redis = Redis.from_url(app.config["REDIS_URL"])
    _clear(redis)
    print(f"Setup (database, migrations, data): {time.perf_counter() - started:.1f} s")
    url = f"/courses/{slug}"
    agent = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    fresh = app.test_client(use_cookies=False)  # a new visitor on every request
    returning = app.test_client()
    member = app.test_client()
    assert login(member, student_name).status_code == 302
    with app.app_context():
        course_id = db.session.query(Course.id).filter(Course.slug == slug).scalar()
        member_key = views.seen_key("course", course_id, f"u{student_id}")

    def page(client: Any, counting: bool, before: Any = None) -> tuple[float, int]:
        app.config["VIEW_COUNTING"] = counting
        if before is not None:
            before()
        start = time.perf_counter()
        response = client.get(url, headers=agent)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, int(response.headers.get("X-Query-Count", 0))

    cases: dict[str, Any] = {
        "visitor, off": lambda: page(fresh, False),
        "visitor, counted": lambda: page(fresh, True),
        "visitor, deduped": lambda: page(returning, True),
        "member, off": lambda: page(member, False),
        "member, counted": lambda: page(member, True, lambda: redis.delete(member_key)),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    statements: dict[str, int] = {}
    shuffle = random.Random(7)
    for round_number in range(WARMUP + ROUNDS):
        order = list(cases.items())
        shuffle.shuffle(order)  # no case always runs right after another
        for name, run in order:
            elapsed, count = run()
            if round_number >= WARMUP:
                times[name].append(elapsed)
                statements[name] = count
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nCourse page, median of {ROUNDS} rounds (cases in a shuffled order each round):")
    for name, median in medians.items():
        print(f"  {name:<18} {median:7.2f} ms   statements {statements[name]}")

    # record_view itself, as the page calls it, timed alone and against the same call with recording
    # off: far less noisy than the difference of two page medians on a shared machine.
    with app.app_context():
        course = db.session.get(Course, course_id)
        student = db.session.get(LmsUser, student_id)
        forget_member = lambda: redis.delete(member_key)  # noqa: E731
        calls = {
            "off": (False, None, lambda n: views.record_view("course", course_id, student, target=course)),
            "visitor, counted": (
                True,
                None,
                lambda n: views.record_view("course", course_id, target=course, visitor=f"{n:022d}"),
            ),
            "visitor, deduped": (
                True,
                None,
                lambda n: views.record_view("course", course_id, target=course, visitor="x" * 22),
            ),
            "member, counted": (
                True,
                forget_member,
                lambda n: views.record_view("course", course_id, student, target=course),
            ),
        }
        costs: dict[str, float] = {}
        with app.test_request_context(url, headers=agent):
            for name, (counting, prepare, call) in calls.items():
                app.config["VIEW_COUNTING"] = counting
                samples = []
                for n in range(WARMUP + ROUNDS * 5):
                    if prepare is not None:
                        prepare()
                    start = time.perf_counter()
                    call(n)
                    if n >= WARMUP:
                        samples.append((time.perf_counter() - start) * 1000)
                costs[name] = statistics.median(samples)
        db.session.remove()
    off = costs.pop("off")
    print(
        f"\nrecord_view, median of {ROUNDS * 5} calls, minus the same call with recording off "
        f"({off:.3f} ms), against the page with recording off:"
    )
    ratios: dict[str, float] = {}
    for name, cost in costs.items():
        baseline = medians["member, off" if name.startswith("member") else "visitor, off"]
        ratios[name] = (cost - off) / baseline
        verdict = "ok" if ratios[name] < TARGET - 1 else "OVER"
        print(
            f"  {name:<18} {cost:6.3f} ms, +{cost - off:6.3f} ms = {ratios[name] * 100:5.1f} % "
            f"of the page ({baseline:.1f} ms)  {verdict}"
        )
    print("Page medians, recording on / off (noisy: the difference of two medians):")
    print(
        f"  visitor counted x{medians['visitor, counted'] / medians['visitor, off']:.3f}, "
        f"deduped x{medians['visitor, deduped'] / medians['visitor, off']:.3f}, "
        f"member counted x{medians['member, counted'] / medians['member, off']:.3f}"
    )

    # The flush: PENDING views over COURSES courses, counted in Redis, then applied in bulk.
    _clear(redis)
    with app.app_context():
        ids = [row[0] for row in db.session.query(Course.id).order_by(Course.id).limit(COURSES)]
        with app.test_request_context("/", headers=agent):
            store = views.view_store()
            start = time.perf_counter()
            student = db.session.get(LmsUser, student_id)
            for n in range(PENDING):
                target = ids[n % len(ids)]
                row = deferred_row("viewed", "course", target, user=student)
                audit = json.dumps(row) if n % 10 == 0 else ""
                store.add(views.seen_key("course", target, f"v{n:022d}"), 1800, f"course:{target}", audit)
            recording = (time.perf_counter() - start) * 1000
        flushed: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            flushed.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        start = time.perf_counter()
        with transaction():
            applied = views.flush_view_counts()
        flush_ms = (time.perf_counter() - start) * 1000
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
    assert applied == PENDING, applied
    each = recording * 1000 / PENDING
    print(f"\nRecording {PENDING:,} views in Redis: {recording:.0f} ms ({each:.0f} µs each)")
    print(
        f"flush_view_counts of {PENDING:,} views over {len(ids):,} courses: {flush_ms:.0f} ms, "
        f"{len(flushed)} statements (ledger, one upsert, one UPDATE of course, the audit action's id "
        "(cached afterwards), one audit INSERT, prune)"
    )
    _clear(redis)
    with app.app_context():
        db.engine.dispose()
    print(f"\nTotal: {time.perf_counter() - started:.1f} s")
    return 0 if all(ratio < TARGET - 1 for ratio in ratios.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
