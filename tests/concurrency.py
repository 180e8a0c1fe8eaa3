"""Running work in parallel threads against committed PostgreSQL data (races: seats, counters)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from app.core.transactions import transaction
from app.extensions import db


def run_in_parallel(app: Any, workers: list[Callable[[], Any]]) -> list[BaseException]:
    """Start every worker at once (a barrier), each in its own app context and transaction; the
    exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers), timeout=30)

    def run(work: Callable[[], Any]) -> None:
        try:
            with app.app_context():
                barrier.wait()
                with transaction():
                    work()
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
