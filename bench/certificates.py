"""Benchmark: certificate PDFs, warm, and 200 certificates issued through a real RQ worker.

Run from the repository root with `.venv/bin/python -m bench.certificates` (or `make bench`).
It drops and recreates its own PostgreSQL database `lms_bench_certificates`, runs the migrations and
`initialize`, and generates one bilingual course with certificates enabled and learners who completed
it (every other one with the Arabic locale and an Arabic name). It stores the PDFs on local storage in
a temporary folder and uses Redis database 14 with a queue of its own. It prints:

- the warm render time of one certificate (xhtml2pdf only), English and Arabic: the median of
  `--renders` renders after one warm-up;
- the inline baseline: `issue_certificate` run in this process (row, PDF, storage, media row), each
  in a fresh app context as a worker job is: the median of `--inline` learners;
- `--jobs` `issue_certificate` tasks enqueued on Redis and run by `rq worker --burst` subprocesses
  (the app's environment, `SimpleWorker` by default), with a progress bar while they run, then the
  wall time per certificate, the steady rate once the worker is up, the median job run time, and
  each one's ratio against the inline baseline of the same run.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_certificates"
REDIS_URL = "redis://127.0.0.1:6379/14"
PUBLIC_BASE_URL = "https://learn.example.org"
WORKER_CLASSES = {"simple": "rq.worker.SimpleWorker", "fork": "rq.worker.Worker"}
TASK = "app.assessments.tasks.issue_certificate"

FIRST_EN = ("Amelia", "Oliver", "Sophia", "Liam", "Grace", "Noah", "Chloe", "Ethan")
LAST_EN = ("Thornton", "Whitaker", "Hughes", "Bennett", "Fletcher", "Ramsey", "Carter", "Lowell")
FIRST_AR = ("فاطمة", "عبد الله", "مريم", "يوسف", "خديجة", "عمر", "زينب", "حمزة")
LAST_AR = ("الزهراني", "الهاشمي", "القرشي", "العتيبي", "الشمري", "الأنصاري", "الحربي", "المالكي")


def build_app(storage: Path) -> Any:
    """A migrated, initialized app on the bench database, storing files under `storage`."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db

    recreate_database(DATABASE_URL)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        STORAGE_URL=f"osfs://{storage}",
        STORAGE_FAILOVER_URLS=[],
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        RATELIMIT_ENABLED=False,
    )
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        db.session.remove()
    return app


def make_learners(app: Any, count: int) -> list[tuple[int, int]]:
    """A course with certificates and `count` learners who completed it: [(user id, course id)]."""
    from app.extensions import db
    from tests.assessment_factories import set_completion
    from tests.course_factories import make_course, make_enrollment
    from tests.factories import make_user

    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(
            instructors=[instructor],
            title="Data Analysis with Python: From Basics to Mastery",
            title_ar="تحليل البيانات باستخدام بايثون: من الأساسيات إلى الاحتراف",
        )
        set_completion(course, certificate_enabled=True)
        pairs = []
        for n in range(count):
            arabic = n % 2 == 1
            first, last = (FIRST_AR, LAST_AR) if arabic else (FIRST_EN, LAST_EN)
            student = make_user(
                "Student",
                first_name=first[n % len(first)],
                last_name=last[(n // len(first)) % len(last)],
                locale="ar" if arabic else "en",
            )
            make_enrollment(student, course, status="completed")
            pairs.append((student.id, course.id))
        db.session.remove()
    return pairs


def time_renders(app: Any, renders: int) -> dict[str, list[float]]:
    """Milliseconds of `certificate_pdf` per language, after one warm-up render each."""
    from app.assessments.models import Certificate
    from app.assessments.services.certificates import certificate_pdf, new_certificate_number

    samples = {
        "en": ("Amelia Thornton-Whitaker", "Data Analysis with Python: From Basics to Mastery"),
        "ar": ("فاطمة الزهراء الهاشمي", "تحليل البيانات باستخدام بايثون: من الأساسيات إلى الاحتراف"),
    }
    times: dict[str, list[float]] = {}
    with app.app_context():
        for language, (name, title) in samples.items():
            certificate = Certificate(
                number=new_certificate_number(),
                student_name=name,
                course_title=title,
                language=language,
                completed_on=date(2025, 11, 25),
            )
            certificate_pdf(certificate)  # warm-up: imports, fonts, templates
            times[language] = []
            for _ in range(renders):
                started = time.perf_counter()
                certificate_pdf(certificate)
                times[language].append((time.perf_counter() - started) * 1000)
    return times


def time_inline(app: Any, pairs: list[tuple[int, int]]) -> list[float]:
    """Milliseconds per certificate issued in this process, each in a fresh app context like a job."""
    from app.core.tasks import run_task

    times = []
    for user_id, course_id in pairs:
        started = time.perf_counter()
        with app.app_context():
            if run_task(TASK, user_id, course_id) is None:
                raise RuntimeError(f"no certificate for learner {user_id}")
        times.append((time.perf_counter() - started) * 1000)
    return times


class Progress:
    """done/total and a bar: redrawn in place on a terminal, one line per tenth in a log."""

    def __init__(self, total: int, width: int = 40) -> None:
        self.total, self.width = total, width
        self.tty = sys.stdout.isatty()
        self.shown = -1

    def show(self, done: int, failed: int, elapsed: float, final: bool = False) -> None:
        filled = int(self.width * (done + failed) / self.total)
        extra = f", {failed} failed" if failed else ""
        line = f"  [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}{extra}  {elapsed:5.1f} s"
        if self.tty:
            print("\r" + line, end="\n" if final else "", flush=True)
        elif final or filled * 10 // self.width > self.shown:
            self.shown = filled * 10 // self.width
            print(line, flush=True)


def run_worker(
    app: Any, pairs: list[tuple[int, int]], workers: int, worker_class: str, logs: Path
) -> dict[str, Any]:
    """Enqueue one task per learner, run `rq worker --burst` subprocesses, and watch them finish."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    from app.core.tasks import enqueue

    connection = Redis.from_url(REDIS_URL)
    queue_name = f"bench-certificates-{os.getpid()}"
    queue = Queue(queue_name, connection=connection)
    with app.app_context():
        jobs = [enqueue(TASK, u, c, queue=queue_name) for u, c in pairs]
    env = os.environ | {
        "APP_CONFIG": "testing",
        "TEST_DATABASE_URL": DATABASE_URL,
        "TEST_REDIS_URL": REDIS_URL,
        "STORAGE_URL": app.config["STORAGE_URL"],
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }
    rq = shutil.which("rq") or str(Path(sys.executable).with_name("rq"))
    command = [rq, "worker", "--burst", "--url", REDIS_URL, "-w", WORKER_CLASSES[worker_class], queue_name]
    started = time.perf_counter()
    processes = []
    for n in range(workers):
        log = (logs / f"worker-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        )
    total, first_done = len(jobs), None
    progress = Progress(total)
    finished, failed = queue.finished_job_registry, queue.failed_job_registry
    while True:
        done, broken = finished.count, failed.count
        elapsed = time.perf_counter() - started
        if done and first_done is None:
            first_done = elapsed
        progress.show(done, broken, elapsed)
        if done + broken >= total or all(p.poll() is not None for p in processes):
            break
        time.sleep(0.1)
    last_done = time.perf_counter() - started
    for process in processes:
        process.wait(timeout=60)
    wall = time.perf_counter() - started
    progress.show(finished.count, failed.count, wall, final=True)
    fetched = [job for job in Job.fetch_many([j.id for j in jobs], connection=connection) if job]
    run_ms = [
        (job.ended_at - job.started_at).total_seconds() * 1000
        for job in fetched
        if job.started_at and job.ended_at and job.get_status() == "finished"
    ]
    queue.delete(delete_jobs=True)
    return {
        "total": total,
        "done": finished.count,
        "failed": failed.count,
        "wall": wall,
        "first_done": first_done or wall,
        "last_done": last_done,
        "run_ms": run_ms,
    }


def check_results(app: Any, storage: Path, expected: int) -> str:
    """Every learner has one valid certificate with its PDF, and every PDF is one file."""
    from sqlalchemy import func, select

    from app.assessments.models import Certificate
    from app.extensions import db

    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Certificate))
        with_pdf = db.session.scalar(select(func.count()).where(Certificate.media_id.is_not(None)))
        db.session.remove()
    files = len(list(storage.rglob("*.pdf")))
    status = "OK" if rows == with_pdf == files == expected else "MISMATCH"
    return f"{status}: {rows} certificates, {with_pdf} with a PDF, {files} PDF files (expected {expected})"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="certificates issued through RQ")
    parser.add_argument("--renders", type=int, default=30, help="timed warm renders per language")
    parser.add_argument("--inline", type=int, default=40, help="certificates of the inline baseline")
    parser.add_argument("--workers", type=int, default=1, help="rq worker processes")
    parser.add_argument("--worker-class", choices=sorted(WORKER_CLASSES), default="simple")
    args = parser.parse_args(argv)

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    storage = Path(tempfile.mkdtemp(prefix="lms-bench-certificates-"))
    try:
        app = build_app(storage / "media")
        pairs = make_learners(app, args.inline + args.jobs)
        setup = time.perf_counter() - started
        print(f"Setup (database, migrations, init, {len(pairs)} learners): {setup:.1f} s")
        print(f"Load average before measuring: {_load()} (on {os.cpu_count()} CPUs; other work skews them)")

        renders = time_renders(app, args.renders)
        print()
        print(f"Warm render, median of {args.renders} after one warm-up (xhtml2pdf, one A4 page)")
        for language, times in renders.items():
            spread = f"min {min(times):.1f}, max {max(times):.1f}"
            print(f"  {language}: {statistics.median(times):6.1f} ms   ({spread})")

        inline = time_inline(app, pairs[: args.inline])
        base = statistics.median(inline)
        print()
        print(f"Inline baseline, {len(inline)} certificates issued in this process (row + PDF + storage)")
        print(f"  median {base:6.1f} ms per certificate (mean {statistics.mean(inline):.1f})")

        print()
        how = f"{args.workers} x `rq worker --burst` ({args.worker_class})"
        print(f"{args.jobs} certificates through RQ: {how}")
        result = run_worker(app, pairs[args.inline :], args.workers, args.worker_class, storage)
        total, wall = result["total"], result["wall"]
        steady = (result["last_done"] - result["first_done"]) / max(total - 1, 1) * 1000
        per_cert = wall / total * 1000
        job_median = statistics.median(result["run_ms"]) if result["run_ms"] else float("nan")
        print(f"  {result['done']} done, {result['failed']} failed in {wall:.1f} s")
        print(f"  worker start to first certificate: {result['first_done']:.2f} s")
        print()
        print(f"Per certificate, against the inline baseline ({base:.1f} ms)")
        print(f"  wall (start to exit) {per_cert:7.1f} ms   x{per_cert / base:5.2f}")
        print(f"  steady (1st to last) {steady:7.1f} ms   x{steady / base:5.2f}")
        print(f"  job run time median  {job_median:7.1f} ms   x{job_median / base:5.2f}")
        print()
        print(check_results(app, storage / "media", args.inline + args.jobs))
        print(f"Total: {time.perf_counter() - started:.1f} s; load average after: {_load()}")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
