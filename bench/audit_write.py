"""Benchmark: write throughput with the audit log on and off, in the same run, at two levels.

Run from the repository root with `.venv/bin/python -m bench.audit_write` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_audit`, then writes notes (an audited
model) with the audit log off (its listeners skipped by `audit_disabled()`) and on, in alternating
rounds, and reports the ratio of the median throughputs on/off:

- ORM: inserts and updates through the ORM alone, committed in batches of ten (one session per
  batch): the audit's cost with nothing else around it, the worst case.
- API: a learner creates and edits notes through the REST API (`POST` and `PUT /api/v1/note/`,
  JWT, permission and entitlement checks, one transaction each), the writes users make.

Every write made with the audit on must have its audit row: the run fails otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bench.audit_list import jwt_headers
from tests.database import recreate_database
from tests.factories import PASSWORD

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_audit"
WRITES = 2_000  # per round: this many inserts, then as many updates
BATCH = 10  # writes per commit, like one request
ROUNDS = 6  # per mode, alternating off / on
API_WRITES = 200  # per API round: this many POSTs, then as many PUTs
API_ROUNDS = 4
GOAL = 0.85


@dataclass
class Round:
    """One round: mode, inserts/s, updates/s, writes/s, audit rows added, audit rows expected."""

    audited: bool
    inserts_per_s: float
    updates_per_s: float
    writes_per_s: float
    audit_rows: int
    expected_rows: int


def build_app() -> tuple[Any, int, int]:
    """A migrated, initialized app with one learner enrolled in one course; returns (app, user, course)."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db
    from tests.course_factories import make_course, make_enrollment
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        user = make_user("Student", username="bench_learner")
        course = make_course(title="Bench course")
        make_enrollment(user, course)
        user_id, course_id = user.id, course.id
        db.session.remove()
    return app, user_id, course_id


def audit_rows() -> int:
    """Audit rows of notes so far."""
    from app.audit.models import AuditLog
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "note"))


def run_round(app: Any, user_id: int, course_id: int, audited: bool, number: int) -> Round:
    """Insert WRITES notes then update each once, BATCH writes per commit and session."""
    from app.audit.context import audit_disabled, system_actor
    from app.courses.models.notes import Note
    from app.extensions import db
    from app.lookups.services import lookup_id

    with app.app_context():
        before = audit_rows()
        db.session.remove()
        ids: list[int] = []
        guard = nullcontext() if audited else audit_disabled()
        with guard, system_actor("bench"):
            started = time.perf_counter()
            for start in range(0, WRITES, BATCH):
                notes = [
                    Note(
                        user_id=user_id,
                        course_id=course_id,
                        target_type="course",
                        target_id=course_id,
                        visibility_id=lookup_id("note_visibility", "private"),
                        body=f"Round {number} note {start + i}",
                    )
                    for i in range(BATCH)
                ]
                db.session.add_all(notes)
                db.session.flush()
                ids.extend(note.id for note in notes)  # before the commit expires them
                db.session.commit()
                db.session.remove()
            inserted = time.perf_counter()
            for start in range(0, WRITES, BATCH):
                batch = ids[start : start + BATCH]
                for note in db.session.scalars(select(Note).where(Note.id.in_(batch))):
                    note.body = f"{note.body} (edited)"
                    note.is_pinned = True
                db.session.commit()
                db.session.remove()
            updated = time.perf_counter()
        added = audit_rows() - before
        db.session.remove()
    return Round(
        audited,
        WRITES / (inserted - started),
        WRITES / (updated - inserted),
        2 * WRITES / (updated - started),
        added,
        2 * WRITES if audited else 0,
    )


def _answer(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.path}: {response.status_code} {response.text[:300]}")
    return response.json


def run_api_round(app: Any, headers: dict[str, str], course_id: int, audited: bool, number: int) -> Round:
    """POST API_WRITES notes through the REST API, then PUT each once."""
    from app.audit.context import audit_disabled
    from app.extensions import db

    client = app.test_client()
    with app.app_context():
        before = audit_rows()
        db.session.remove()
    ids: list[int] = []
    with nullcontext() if audited else audit_disabled():
        started = time.perf_counter()
        for n in range(API_WRITES):
            body = {"target_type": "course", "target_id": course_id, "body": f"API round {number} note {n}"}
            ids.append(_answer(client.post("/api/v1/note/", json=body, headers=headers), 201)["id"])
        inserted = time.perf_counter()
        for pk in ids:
            edit = {"body": "Edited", "is_pinned": True}
            _answer(client.put(f"/api/v1/note/{pk}", json=edit, headers=headers), 200)
        updated = time.perf_counter()
    with app.app_context():
        added = audit_rows() - before
        db.session.remove()
    return Round(
        audited,
        API_WRITES / (inserted - started),
        API_WRITES / (updated - inserted),
        2 * API_WRITES / (updated - started),
        added,
        2 * API_WRITES if audited else 0,
    )


def report(title: str, rounds: list[Round]) -> tuple[float, bool]:
    """Print the medians of one level; return (writes on/off, every audited write has its row)."""

    def median(audited: bool, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in rounds if r.audited == audited)

    print()
    print(f"{title + ': median writes/s':<28} {'audit off':>10} {'audit on':>10} {'on/off':>8}")
    for label, attr in (("inserts", "inserts_per_s"), ("updates", "updates_per_s"), ("all", "writes_per_s")):
        off, on = median(False, attr), median(True, attr)
        print(f"  {label:<26} {off:10.0f} {on:10.0f} {on / off:8.2f}")
    on_rounds = [r for r in rounds if r.audited]
    written = sum(r.audit_rows for r in on_rounds)
    expected = sum(r.expected_rows for r in on_rounds)
    complete = all(r.audit_rows == r.expected_rows for r in rounds)
    print(f"  writes audited with the audit on: {100 * written / expected:.1f} % ({written:,} rows)")
    return median(True, "writes_per_s") / median(False, "writes_per_s"), complete


def print_round(level: str, number: int, result: Round) -> None:
    """One line per round, as it ends."""
    print(
        f"  {level} round {number} audit {'on ' if result.audited else 'off'}: "
        f"inserts {result.inserts_per_s:7.0f}/s  updates {result.updates_per_s:7.0f}/s  "
        f"writes {result.writes_per_s:7.0f}/s  audit rows {result.audit_rows:,}"
    )


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    from app.extensions import db

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    app, user_id, course_id = build_app()
    print(f"Setup (database, migrations, init): {time.perf_counter() - started:.1f} s")
    print(f"Load average before measuring: {_load()} (on {os.cpu_count()} CPUs; other work skews timings)")
    print(f"{WRITES:,} inserts then {WRITES:,} updates of notes per round, {BATCH} writes per commit")

    run_round(app, user_id, course_id, True, 0)  # warm-up: caches, prepared plans, pages
    orm: list[Round] = []
    for number in range(1, ROUNDS + 1):
        for audited in (False, True):
            orm.append(run_round(app, user_id, course_id, audited, number))
            print_round("ORM", number, orm[-1])

    print(f"{API_WRITES:,} POSTs then {API_WRITES:,} PUTs of notes per API round, one request each")
    headers = jwt_headers(app, "bench_learner", PASSWORD)
    run_api_round(app, headers, course_id, True, 0)  # warm-up
    api: list[Round] = []
    for number in range(1, API_ROUNDS + 1):
        for audited in (False, True):
            api.append(run_api_round(app, headers, course_id, audited, number))
            print_round("API", number, api[-1])

    orm_ratio, orm_complete = report("ORM", orm)
    api_ratio, api_complete = report("API", api)
    print()
    print(f"Throughput with the audit on / off, ORM writes alone: x{orm_ratio:.2f} (goal >= x{GOAL})")
    print(f"Throughput with the audit on / off, API writes:       x{api_ratio:.2f} (goal >= x{GOAL})")
    print(f"Total: {time.perf_counter() - started:.1f} s; load average after: {_load()}")
    with app.app_context():
        db.engine.dispose()
    if not (orm_complete and api_complete):
        print("FAILED: some writes made with the audit on have no audit row (or the off rounds wrote some)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
