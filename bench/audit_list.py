"""Benchmark: the audit log list (UI and API) at 1,000 and at 100,000 rows.

Run from the repository root with `.venv/bin/python -m bench.audit_list` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench`, generates audit rows with a
Core bulk insert, then times each list request and reads the SQL statement count from the
`X-Query-Count` response header. Every ratio is against figures measured in the same run.
`--sql` also prints the statements of one request of each case at the largest size.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Engine

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench"
SIZES = (1_000, 100_000)
BATCH = 5_000
WARMUP = 3
REPEAT = 20
SPREAD = timedelta(days=90)
BASELINE = ("UI list", SIZES[0])
PAGE, PAGE_SIZE = 50, 25  # the app's page_size for both the UI and the API

ACTIONS = ("created", "updated", "deleted", "logged_in")
ENTITY_TYPES = ("lookup", "user", "course")
USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)


@dataclass(frozen=True)
class Case:
    """One request to time: a name, a URL and whether it uses the JWT (API) or the session (UI)."""

    name: str
    url: str
    api: bool = False


CASES = (
    Case("UI list", "/auditlogmodelview/list/"),
    Case("UI list filtered", "/auditlogmodelview/list/?_flt_0_entity_type=user"),
    Case("UI list page 50", f"/auditlogmodelview/list/?page_AuditLogModelView={PAGE}"),
    Case("API list", "/api/v1/audit_log/", api=True),
    Case("API list page 50", f"/api/v1/audit_log/?q=(page:{PAGE},page_size:{PAGE_SIZE})", api=True),
)


@dataclass
class Result:
    """Timings (ms) and statement counts of one case at one table size."""

    case: str
    size: int  # the target size (1,000 or 100,000)
    rows: int  # rows actually in audit_log when measured (logins add a few)
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
def build_app() -> tuple[Any, str, dict[str, int], int]:
    """A migrated, initialized app with one admin; returns (app, username, action ids, admin id)."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db
    from app.lookups.services import lookup_id
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        admin = make_user("Admin")
        username, admin_id = admin.username, admin.id
        actions = {code: lookup_id("audit_actions", code) for code in ACTIONS}
        missing = [code for code, value in actions.items() if value is None]
        if missing:
            raise RuntimeError(f"audit actions not seeded: {missing}")
        db.session.remove()
    return app, username, actions, admin_id  # type: ignore[return-value]


def _row(rng: random.Random, now: datetime, actions: dict[str, int], admin: tuple[int, str]) -> dict:
    action = rng.choice(ACTIONS)
    entity_type = "user" if action == "logged_in" else rng.choice(ENTITY_TYPES)
    entity_id = rng.randint(1, 5_000)
    name = f"{entity_type} {entity_id}"
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    if action == "created":
        new = {"name": name, "is_active": True}
    elif action == "updated":
        old = {"name": name, "sort_order": rng.randint(0, 9)}
        new = {"name": f"{name} (edited)", "sort_order": rng.randint(10, 19)}
    elif action == "deleted":
        old = {"is_deleted": False}
        new = {"is_deleted": True}
    system = rng.random() < 0.1
    created = now - timedelta(seconds=rng.uniform(0, SPREAD.total_seconds()))
    return {
        "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
        "actor_id": None if system else admin[0],
        "actor_label": "system:bench" if system else admin[1],
        "action_id": actions[action],
        "entity_type": entity_type,
        "entity_id": entity_id,
        "old_values": old,
        "new_values": new,
        "description": f"{action} {name}",
        "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "user_agent": rng.choice(USER_AGENTS),
        "request_id": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        "created_at": created,
        "updated_at": created,
    }


def audit_rows(engine: Engine) -> int:
    from app.audit.models import AuditLog

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditLog.__table__)).scalar_one()


def fill_to(
    engine: Engine, target: int, rng: random.Random, actions: dict[str, int], admin: tuple[int, str]
) -> int:
    """Append rows until audit_log holds `target` rows (append-only: never delete), then VACUUM ANALYZE.

    VACUUM as well as ANALYZE: it leaves the table as autovacuum would soon after (visibility map
    set, so count(*) may use an index-only scan) and keeps autovacuum from waking up mid-measure.
    """
    from app.audit.models import AuditLog

    missing = target - audit_rows(engine)
    now = datetime.now(UTC)
    stmt = insert(AuditLog.__table__)
    while missing > 0:
        batch = [_row(rng, now, actions, admin) for _ in range(min(BATCH, missing))]
        with engine.begin() as conn:
            conn.execute(stmt, batch)  # executemany (insertmanyvalues)
        missing -= len(batch)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) audit_log"))
    return audit_rows(engine)


# ---- requests -------------------------------------------------------------------------------
def ui_client(app: Any, username: str, password: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"UI login failed: {response.status_code}")
    return client


def jwt_headers(app: Any, username: str, password: str) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"API login failed: {response.status_code} {response.get_data(as_text=True)}")
    return {"Authorization": f"Bearer {response.json['access_token']}"}


class SqlClock:
    """Wall time spent between before_ and after_cursor_execute (the database's share of a request)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.total = 0.0
        self._started: list[float] = []

    def _before(self, *_args: Any) -> None:
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


def _timed(clock: SqlClock, case: Case, get: Callable[[], Any]) -> tuple[float, float, int]:
    """One request: (wall ms, sql ms, statements); it must answer 200 with an X-Query-Count."""
    clock.total = 0.0
    start = time.perf_counter()
    response = get()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{case.name}: {case.url} answered {response.status_code}")
    return elapsed, clock.total * 1000, int(response.headers["X-Query-Count"])


def measure(engine: Engine, gets: dict[Case, Callable[[], Any]], size: int, rows: int) -> list[Result]:
    """WARMUP requests per case, then REPEAT rounds of one request per case.

    Round-robin rather than case after case, so a burst of other load on the machine lands on
    every case alike instead of on one.
    """
    results = {case: Result(case.name, size, rows) for case in gets}
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
def print_report(results: list[Result]) -> None:
    by_key = {(r.case, r.size): r for r in results}
    print()
    header = f"{'case':<20} {'rows':>8} {'median ms':>10} {'p95 ms':>9} {'statements':>11} {'sql ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.case:<20} {r.rows:>8} {r.median:>10.1f} {r.p95:>9.1f} "
            f"{r.statement_label:>11} {r.sql_median:>8.1f}"
        )
    print("(sql ms: median time inside the database driver per request, part of the median)")

    small, large = SIZES
    print()
    print(f"Scaling {large:,} vs {small:,} rows (median ratio; statements)")
    for case in CASES:
        a, b = by_key[(case.name, small)], by_key[(case.name, large)]
        print(
            f"  {case.name:<20} x{b.median / a.median:5.2f}   "
            f"statements {a.statement_label} -> {b.statement_label}"
        )

    base = by_key[BASELINE]
    print()
    print(f"Against the baseline '{BASELINE[0]} @{BASELINE[1] // 1000}k' (median {base.median:.1f} ms)")
    for r in results:
        label = f"{r.case} @{r.size // 1000}k"
        print(f"  {label:<26} x{r.median / base.median:5.2f}")

    offset = PAGE * PAGE_SIZE
    for r in results:
        if "page 50" in r.case and r.rows <= offset:
            print(
                f"Note: '{r.case}' at {r.rows:,} rows asks for offset {offset:,}, past the last row: "
                "an empty page."
            )


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sql", action="store_true", help="print the statements of each case at the end")
    args = parser.parse_args(argv)

    from app.extensions import db
    from tests.factories import PASSWORD

    # create_app, alembic and FAB log each step (and a harmless redirect warning on login).
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    app, username, actions, admin_id = build_app()
    with app.app_context():
        engine = db.engine
    print(f"Setup (database, migrations, init): {time.perf_counter() - started:.1f} s")
    print(f"Load average before measuring: {_load()} (on {os.cpu_count()} CPUs; other work skews timings)")

    ui = ui_client(app, username, PASSWORD)
    api = app.test_client()
    bearer = jwt_headers(app, username, PASSWORD)
    rng = random.Random(20240501)
    results: list[Result] = []
    sql: dict[str, list[str]] = {}

    for size in SIZES:
        t0 = time.perf_counter()
        rows = fill_to(engine, size, rng, actions, (admin_id, username))
        print(f"audit_log filled to {rows:,} rows in {time.perf_counter() - t0:.1f} s")
        gets: dict[Case, Callable[[], Any]] = {}
        for case in CASES:
            if case.api:
                gets[case] = lambda c=case: api.get(c.url, headers=bearer)
            else:
                gets[case] = lambda c=case: ui.get(c.url)
        for result in measure(engine, gets, size, rows):
            results.append(result)
            print(
                f"  {result.case:<20} median {result.median:7.1f} ms  sql {result.sql_median:6.1f} ms  "
                f"statements {result.statement_label}"
            )
        if args.sql and size == SIZES[-1]:
            sql = {case.name: capture_sql(engine, get) for case, get in gets.items()}

    print_report(results)
    for name, statements in sql.items():
        print()
        print(f"SQL of one '{name}' request ({len(statements)} statements):")
        for statement in statements:
            print(f"  {statement[:200]}")
    print()
    print(f"Total: {time.perf_counter() - started:.1f} s; load average after: {_load()}")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
