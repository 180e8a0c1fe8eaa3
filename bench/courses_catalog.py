"""Benchmark: the course catalog (service and portal page) and the admin course list at 1k and 100k courses.

Run from the repository root with `.venv/bin/python -m bench.courses_catalog` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_courses`, generates bilingual courses
with one `INSERT ... SELECT generate_series` (80 % published and public, the rest drafts and private
courses, which the catalog must skip), then times each case. Portal and admin pages are requests
through Flask's test client and read their SQL statement count from the `X-Query-Count` response
header; the service cases call `services.catalog` in an app context and count statements with an
engine listener. Every ratio is against figures measured in the same run.
`--sql` also prints the statements of one request of each case at the largest size.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_courses"
SIZES = (1_000, 100_000)
WARMUP = 3
REPEAT = 20
BASELINE = ("catalog service", SIZES[0])
PAGE = 50  # a deep page: offset 50 * page size
PORTAL_PAGE_SIZE = 12  # the portal's catalog page size (services.catalog's default)
TAUGHT_EVERY = 100  # the benchmark's instructor teaches one course in a hundred

# Words the generated titles are made of (English and Arabic, same meaning at the same index).
WORDS_EN = ("Python", "Data", "Design", "Business", "Arabic", "Marketing", "Cloud", "Security")
WORDS_AR = ("بايثون", "البيانات", "التصميم", "الأعمال", "العربية", "التسويق", "السحابة", "الأمن")
LEVELS_EN = ("Basics", "Essentials", "Workshop", "Masterclass")
LEVELS_AR = ("أساسيات", "مبادئ", "ورشة", "احتراف")


@dataclass(frozen=True, eq=False)  # hashed by identity: `service` holds a dict
class Case:
    """One thing to time: a portal or admin URL (with the session of `who`), or a service call."""

    name: str
    url: str = ""
    who: str = "student"  # student, admin or instructor (whose session the request uses)
    service: dict[str, Any] | None = None  # keyword arguments of services.catalog


CASES = (
    Case("catalog service", service={}),
    Case("catalog service search", service={"search": "بايثون"}),
    Case(
        "catalog service filters", service={"category": "programming", "level": "beginner", "price": "paid"}
    ),
    Case(f"catalog service p{PAGE}", service={"page": PAGE}),
    Case("portal /courses/", "/courses/"),
    Case("portal search en", "/courses/?q=python+basics"),
    Case("portal search ar", "/courses/?q=%D8%A8%D8%A7%D9%8A%D8%AB%D9%88%D9%86"),  # بايثون
    Case("portal filtered", "/courses/?category=programming&level=beginner&price=paid"),
    Case(f"portal page {PAGE}", f"/courses/?page={PAGE}"),
    Case("admin list", "/coursemodelview/list/", who="admin"),
    Case(f"admin list page {PAGE}", f"/coursemodelview/list/?page_CourseModelView={PAGE}", who="admin"),
    Case("admin list instructor", "/coursemodelview/list/", who="instructor"),
)


@dataclass
class Result:
    """Timings (ms) and statement counts of one case at one table size."""

    case: str
    size: int
    times: list[float] = field(default_factory=list)
    sql_times: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)  # nearest rank
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def statement_label(self) -> str:
        low, high = min(self.statements), max(self.statements)
        return str(low) if low == high else f"{low}-{high}"


# ---- database -------------------------------------------------------------------------------
def build_app() -> tuple[Any, dict[str, tuple[int, str]]]:
    """A migrated, initialized app with an admin, an instructor and a student: (app, {who: (id, name)})."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        users = {who: make_user(role) for who, role in (("admin", "Admin"), ("instructor", "Instructor"))} | {
            "student": make_user("Student")
        }
        people = {who: (user.id, user.username) for who, user in users.items()}
        db.session.remove()
    return app, people


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# One statement per batch: titles in both languages, search text, facets, price and state from n.
INSERT_COURSES = f"""
INSERT INTO course (
    uuid, slug, translations, seo, search_text, category_id, tags, level_id, price, currency,
    included_in_subscription, sequential, status_id, visibility_id, published_at,
    view_count, enrollment_count, created_at, updated_at, is_deleted
)
SELECT
    gen_random_uuid(),
    'bench-course-' || n,
    json_build_object(
        'en', json_build_object('title', en || ' ' || lv_en || ' ' || n, 'subtitle', 'Learn ' || en),
        'ar', json_build_object('title', lv_ar || ' ' || ar || ' ' || n)
    ),
    '{{}}'::json,
    -- normalised as normalize_search does: lower-case, Arabic letter variants unified
    translate(
        lower(en || ' ' || lv_en || ' ' || n || ' learn ' || en || ' ' || lv_ar || ' ' || ar || ' ' || n
              || ' bench-course-' || n),
        'أإآٱىةؤئ', 'اااايهوي'
    ),
    (:categories)[1 + n % cardinality(:categories)],
    '[]'::json,
    (:levels)[1 + (n / 7) % cardinality(:levels)],
    CASE WHEN n % 3 = 0 THEN 0 ELSE 5 + n % 95 END,
    'USD',
    n % 5 <> 0,
    false,
    CASE WHEN n % 10 = 1 THEN :draft ELSE :published END,
    CASE WHEN n % 10 = 1 THEN :v_draft WHEN n % 10 = 2 THEN :v_private ELSE :v_public END,
    CASE WHEN n % 10 = 1 THEN NULL ELSE now() - (n || ' minutes')::interval END,
    n % 1000, n % 50, now(), now(), false
FROM (
    SELECT n,
        ({_sql_array(WORDS_EN)})[1 + n % {len(WORDS_EN)}] AS en,
        ({_sql_array(WORDS_AR)})[1 + n % {len(WORDS_AR)}] AS ar,
        ({_sql_array(LEVELS_EN)})[1 + (n / 8) % {len(LEVELS_EN)}] AS lv_en,
        ({_sql_array(LEVELS_AR)})[1 + (n / 8) % {len(LEVELS_AR)}] AS lv_ar
    FROM generate_series(:first, :last) AS n
) AS g
"""


def course_rows(engine: Engine) -> int:
    from app.courses.models import Course

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Course.__table__)).scalar_one()


def fill_to(app: Any, engine: Engine, target: int, instructor_id: int) -> int:
    """Insert generated courses up to `target` (one statement), link the instructor, VACUUM ANALYZE."""
    from app.lookups.services import lookup_id

    with app.app_context():
        ids = {
            "published": lookup_id("course_status", "published"),
            "draft": lookup_id("course_status", "draft"),
            "v_public": lookup_id("course_visibility", "public"),
            "v_private": lookup_id("course_visibility", "private"),
            "v_draft": lookup_id("course_visibility", "draft"),
        }
        categories = [lookup_id("course_categories", c) for c in ("programming", "data_science", "business")]
        categories += [lookup_id("course_categories", c) for c in ("design", "languages")]
        levels = [lookup_id("course_levels", c) for c in ("beginner", "intermediate", "advanced")]
    missing = [k for k, v in ids.items() if v is None] + [None for v in categories + levels if v is None]
    if missing:
        raise RuntimeError(f"course lookups not seeded: {missing}")
    first = course_rows(engine) + 1
    if first <= target:
        with engine.begin() as conn:
            conn.execute(
                text(INSERT_COURSES),
                {**ids, "categories": categories, "levels": levels, "first": first, "last": target},
            )
            conn.execute(
                text(
                    "INSERT INTO course_instructor (uuid, course_id, user_id, created_at, updated_at) "
                    "SELECT gen_random_uuid(), id, :user, now(), now() FROM course "
                    "WHERE id >= :first AND id % :every = 0"
                ),
                {"user": instructor_id, "first": first, "every": TAUGHT_EVERY},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) course"))
        conn.execute(text("VACUUM (ANALYZE) course_instructor"))
    return course_rows(engine)


# ---- requests -------------------------------------------------------------------------------
def ui_client(app: Any, username: str, password: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"UI login failed: {response.status_code}")
    return client


class SqlClock:
    """Statements and wall time spent between before_ and after_cursor_execute."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.total = 0.0
        self.count = 0
        self._started: list[float] = []

    def _before(self, *_args: Any) -> None:
        self.count += 1
        self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        self.total += time.perf_counter() - self._started.pop()

    def __enter__(self) -> SqlClock:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def service_call(app: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
    """One catalog page through the service, in a fresh app context (a new session, like a request)."""
    from app.courses.services import catalog
    from app.extensions import db

    def _call() -> Any:
        with app.app_context():
            page = catalog(**kwargs)
            if not page.items:
                raise RuntimeError(f"catalog{kwargs} returned no courses")
            for course in page.items:  # what a card shows, so lazy loads are counted
                _ = (course.title, course.level, course.category, course.price)
            db.session.remove()
        return None

    return _call


def _timed(clock: SqlClock, case: Case, get: Callable[[], Any]) -> tuple[float, float, int]:
    """One request or call: (wall ms, sql ms, statements)."""
    clock.total, clock.count = 0.0, 0
    start = time.perf_counter()
    response = get()
    elapsed = (time.perf_counter() - start) * 1000
    if response is None:  # a service call: statements counted by the listener
        return elapsed, clock.total * 1000, clock.count
    if response.status_code != 200:
        raise RuntimeError(f"{case.name}: {case.url} answered {response.status_code}")
    return elapsed, clock.total * 1000, int(response.headers["X-Query-Count"])


def measure(engine: Engine, gets: dict[Case, Callable[[], Any]], size: int) -> list[Result]:
    """WARMUP calls per case, then REPEAT rounds of one call per case (round-robin, as audit_list)."""
    results = {case: Result(case.name, size) for case in gets}
    with SqlClock(engine) as clock:
        for case, get in gets.items():
            for _ in range(WARMUP):
                _timed(clock, case, get)
        for _ in range(REPEAT):
            for case, get in gets.items():
                elapsed, sql_ms, statements = _timed(clock, case, get)
                result = results[case]
                result.times.append(elapsed)
                result.sql_times.append(sql_ms)
                result.statements.append(statements)
    return list(results.values())


def capture_sql(engine: Engine, get: Callable[[], Any]) -> list[str]:
    """The statements one request sends (for --sql)."""
    seen: list[str] = []

    def _listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", _listen)
    try:
        get()
    finally:
        event.remove(engine, "before_cursor_execute", _listen)
    return seen


# ---- report ---------------------------------------------------------------------------------
def print_report(results: list[Result], rows: dict[int, int]) -> None:
    by_key = {(r.case, r.size): r for r in results}
    print()
    header = f"{'case':<26} {'courses':>8} {'median ms':>10} {'p95 ms':>9} {'statements':>11} {'sql ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.case:<26} {rows[r.size]:>8} {r.median:>10.1f} {r.p95:>9.1f} "
            f"{r.statement_label:>11} {r.sql_median:>8.1f}"
        )
    print("(sql ms: median time inside the database driver per call, part of the median)")

    small, large = SIZES
    print()
    print(f"Scaling {large:,} vs {small:,} courses (median ratio; statements)")
    for case in CASES:
        a, b = by_key[(case.name, small)], by_key[(case.name, large)]
        print(
            f"  {case.name:<26} x{b.median / a.median:5.2f}   "
            f"statements {a.statement_label} -> {b.statement_label}"
        )

    base = by_key[BASELINE]
    print()
    print(f"Against the baseline '{BASELINE[0]} @{BASELINE[1] // 1000}k' (median {base.median:.1f} ms)")
    for r in results:
        label = f"{r.case} @{r.size // 1000}k"
        print(f"  {label:<32} x{r.median / base.median:5.2f}")
    listed = 0.8 * small  # 80 % of the generated courses are published and public
    print()
    print(
        f"Page {PAGE} of the catalog starts at course {(PAGE - 1) * PORTAL_PAGE_SIZE + 1:,} of about "
        f"{listed:,.0f} listed at {small:,}; the admin list's page {PAGE} may be past the end at {small:,} "
        "(an empty page)."
    )


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sql", action="store_true", help="print the statements of each case at the end")
    args = parser.parse_args(argv)

    from app.extensions import db
    from tests.factories import PASSWORD

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    app, people = build_app()
    with app.app_context():
        engine = db.engine
    print(f"Setup (database, migrations, init): {time.perf_counter() - started:.1f} s")
    print(f"Load average before measuring: {_load()} (on {os.cpu_count()} CPUs; other work skews timings)")

    clients = {who: ui_client(app, name, PASSWORD) for who, (_id, name) in people.items()}
    results: list[Result] = []
    rows: dict[int, int] = {}
    sql: dict[str, list[str]] = {}

    for size in SIZES:
        t0 = time.perf_counter()
        rows[size] = fill_to(app, engine, size, people["instructor"][0])
        print(f"course filled to {rows[size]:,} rows in {time.perf_counter() - t0:.1f} s")
        gets: dict[Case, Callable[[], Any]] = {}
        for case in CASES:
            if case.service is not None:
                gets[case] = service_call(app, case.service)
            else:
                gets[case] = lambda c=case: clients[c.who].get(c.url)
        for result in measure(engine, gets, size):
            results.append(result)
            print(
                f"  {result.case:<26} median {result.median:7.1f} ms  sql {result.sql_median:6.1f} ms  "
                f"statements {result.statement_label}"
            )
        if args.sql and size == SIZES[-1]:
            sql = {case.name: capture_sql(engine, get) for case, get in gets.items()}

    print_report(results, rows)
    for name, statements in sql.items():
        print()
        print(f"SQL of one '{name}' call ({len(statements)} statements):")
        for statement in statements:
            print(f"  {statement[:200]}")
    print()
    print(f"Total: {time.perf_counter() - started:.1f} s; load average after: {_load()}")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
