"""Benchmark: what reaction, favorite and share counts cost the course page.

Run from the repository root with `.venv/bin/python -m bench.engagement` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_engagement`, adds one published course
with a lesson and 1,000 enrolled learners of whom most reacted to the course, favorited it and
shared it (so every counter is busy), then, in alternating rounds, requests the course page as one
learner:

- **with counts**: the page as it is (reaction bar, favorite button, share figures);
- **without counts**: the same page with `engagement_data` (of the page and of its discussion block)
  answering empty figures.

It prints the statements of each (from the `X-Query-Count` header), their difference, which must be at
most 1 (the run fails otherwise), and the median page times and their ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from sqlalchemy import insert, select

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_engagement"
LEARNERS = 1_000
ROUNDS = 30


def build_app() -> tuple[Any, str]:
    """A migrated app with the busy course; (app, the course page's path)."""
    import flask_migrate
    from flask_appbuilder.security.sqla.models import assoc_user_role

    from app import create_app
    from app.cli import initialize
    from app.core.transactions import transaction
    from app.engagement import services
    from app.extensions import appbuilder, db
    from app.lookups.services import lookup_id
    from app.security.models import LmsUser
    from app.security.services import hash_password
    from tests.course_factories import make_course, make_enrollment, make_lesson, make_section

    recreate_database(DATABASE_URL)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=DATABASE_URL,
        RATELIMIT_ENABLED=False,
        QUERY_COUNT_HEADER=True,
        REDIS_URL=None,
    )
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        password = hash_password("bench-password-123")
        active = lookup_id("user_status", "active")
        db.session.execute(
            insert(LmsUser),
            [
                {
                    "username": f"fan{n}",
                    "first_name": "Fan",
                    "last_name": str(n),
                    "email": f"fan{n}@example.test",
                    "password": password,
                    "active": True,
                    "status_id": active,
                }
                for n in range(LEARNERS)
            ],
        )
        student = appbuilder.sm.find_role("Student").id
        fans = list(db.session.scalars(select(LmsUser).where(LmsUser.username.like("fan%"))))
        db.session.execute(insert(assoc_user_role), [{"user_id": u.id, "role_id": student} for u in fans])
        course = make_course(title="Popular course", title_ar="دورة محبوبة")
        make_lesson(make_section(course))
        db.session.commit()
        kinds = [t.code for t in services.reaction_types()]
        for n, fan in enumerate(fans):
            make_enrollment(fan, course)
            if n % 10:  # nine in ten react and favorite
                with transaction():
                    services.react(fan, "course", course.id, kinds[n % len(kinds)])
                    services.favorite(fan, "course", course.id)
            _share(services, fan, course.id, n)
        path = f"/courses/{course.slug}"
        db.session.remove()
    return app, path


def _share(services: Any, fan: Any, course_id: int, n: int) -> None:
    """Every third learner shares the course (once the shares service exists)."""
    share = getattr(services, "share", None)
    if share is not None and n % 3 == 0:
        from app.core.transactions import transaction

        with transaction():
            share(fan, "course", course_id, "copy")


def _nothing(user: Any, **wanted: Any) -> dict[str, Any]:
    return {
        code: {
            "reactions": {},
            "favorites": {"type": code, "counts": {}, "mine": set()},
            "shares": dict.fromkeys(ids, (0, 0)),
        }
        for code, ids in wanted.items()
    }


def measure(client: Any, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed, int(response.headers["X-Query-Count"])


def main() -> int:
    app, path = build_app()
    import app.portal.courses as course_pages  # after the app: the portal's modules import each other
    import app.portal.discussions as discussions

    client = app.test_client()
    response = client.post("/login/", data={"username": "fan1", "password": "bench-password-123"})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    real = course_pages.engagement_data
    times: dict[str, list[float]] = {"with counts": [], "without counts": []}
    statements: dict[str, int] = {}
    for _ in range(3):  # warm the caches (lookups, reaction types, templates)
        measure(client, path)
    for _ in range(ROUNDS):
        for name, figures in (("with counts", real), ("without counts", _nothing)):
            course_pages.engagement_data = discussions.engagement_data = figures  # type: ignore[assignment]
            elapsed, count = measure(client, path)
            times[name].append(elapsed)
            statements[name] = count
    course_pages.engagement_data = discussions.engagement_data = real  # type: ignore[assignment]
    medians = {name: statistics.median(values) for name, values in times.items()}
    extra = statements["with counts"] - statements["without counts"]
    print(f"course page with {LEARNERS} learners reacting, favoriting and sharing, {ROUNDS} rounds")
    for name in times:
        print(f"  {name:15} {medians[name]:8.2f} ms  {statements[name]:3d} statements")
    print(f"  extra statements for the counts: {extra} (at most 1)")
    print(f"  ratio with / without counts: {medians['with counts'] / medians['without counts']:.2f}")
    return 0 if extra <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
