"""Benchmark: ORM write throughput with the audit log on and off, in the same run.

Run from the repository root with `.venv/bin/python -m bench.audit_write` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_audit`, then inserts and updates
notes (an audited model) through the ORM, committed in batches like requests do (one session per
batch). Rounds alternate between the audit log off (its listeners skipped by `audit_disabled()`)
and on, and the report gives the ratio of the median throughputs on/off. Every write made with the
audit on must have its audit row: the run fails otherwise.
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

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_audit"
WRITES = 2_000  # per round: this many inserts, then as many updates
BATCH = 10  # writes per commit, like one request
ROUNDS = 4  # per mode, alternating off / on
GOAL = 0.85


@dataclass
class Round:
    """One round: mode, inserts/s, updates/s, writes/s, audit rows added."""

    audited: bool
    inserts_per_s: float
    updates_per_s: float
    writes_per_s: float
    audit_rows: int


def build_app() -> tuple[Any, int, int]:
    """A migrated, initialized app with one learner and one course; returns (app, user id, course id)."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db
    from tests.course_factories import make_course
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        user_id = make_user("Student").id
        course_id = make_course(title="Bench course").id
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
    rounds: list[Round] = []
    for number in range(1, ROUNDS + 1):
        for audited in (False, True):
            result = run_round(app, user_id, course_id, audited, number)
            rounds.append(result)
            print(
                f"  round {number} audit {'on ' if audited else 'off'}: "
                f"inserts {result.inserts_per_s:7.0f}/s  updates {result.updates_per_s:7.0f}/s  "
                f"writes {result.writes_per_s:7.0f}/s  audit rows {result.audit_rows:,}"
            )

    def median(audited: bool, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in rounds if r.audited == audited)

    print()
    print(f"{'median writes/s':<18} {'audit off':>10} {'audit on':>10} {'on/off':>8}")
    for label, attr in (("inserts", "inserts_per_s"), ("updates", "updates_per_s"), ("all", "writes_per_s")):
        off, on = median(False, attr), median(True, attr)
        print(f"{label:<18} {off:10.0f} {on:10.0f} {on / off:8.2f}")
    ratio = median(True, "writes_per_s") / median(False, "writes_per_s")

    expected = 2 * WRITES
    on_rows = [r.audit_rows for r in rounds if r.audited]
    off_rows = [r.audit_rows for r in rounds if not r.audited]
    complete = all(n == expected for n in on_rows) and all(n == 0 for n in off_rows)
    audited_share = 100 * sum(on_rows) / (expected * len(on_rows))
    print()
    print(f"Writes audited with the audit on: {audited_share:.1f} % ({sum(on_rows):,} rows)")
    print(f"Throughput with the audit on / off: x{ratio:.2f} (goal >= x{GOAL})")
    print(f"Total: {time.perf_counter() - started:.1f} s; load average after: {_load()}")
    with app.app_context():
        db.engine.dispose()
    if not complete:
        print("FAILED: some writes made with the audit on have no audit row (or the off rounds wrote some)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
