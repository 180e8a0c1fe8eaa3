"""Defects of assessments found from outside: races on first submissions and quiz starts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.assessments.models import QuizAttempt, Submission
from app.extensions import db
from tests.assessment_factories import make_assignment, make_bank, make_question, make_quiz
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user


def _parallel(count: int, call: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run `call` in `count` threads released together; (results, errors)."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def _count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count(model.id)).where(*where))
        db.session.remove()
    return int(value or 0)


def _learner_world(app: Flask) -> dict[str, Any]:
    """A course with one enrolled learner, a quiz and an assignment (committed)."""
    with app.app_context():
        instructor, student = make_user("Instructor"), make_user("Student")
        course = make_course(instructors=[instructor])
        make_enrollment(student, course)
        bank = make_bank(instructor, course)
        quiz = make_quiz(course, questions=[make_question(bank), make_question(bank)])
        assignment = make_assignment(course)
        ids = {
            "student": student.id,
            "student_name": student.username,
            "instructor_name": instructor.username,
            "quiz": quiz.id,
            "assignment": assignment.id,
        }
        db.session.remove()
    return ids


# ---- races ------------------------------------------------------------------------------------------
def test_parallel_first_submissions_of_an_assignment_make_one_row_and_no_500(app, committed):
    ids = _learner_world(app)
    headers = jwt_headers(app.test_client(), ids["student_name"])
    url = f"/api/v1/assignment/{ids['assignment']}/submit"

    def submit() -> int:
        response = app.test_client().post(url, json={"text": "<p>My essay</p>"}, headers=headers)
        return response.status_code

    statuses, errors = _parallel(8, submit)
    assert not errors, errors
    assert statuses and set(statuses) <= {200, 409}, statuses
    assert 200 in statuses
    assert _count(app, Submission, Submission.assignment_id == ids["assignment"]) == 1
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.assignment_id == ids["assignment"]))
        assert row.status.code == "submitted" and row.submission_count == statuses.count(200)
        db.session.remove()


def test_twenty_parallel_starts_of_a_quiz_create_one_attempt_once(app, committed):
    ids = _learner_world(app)
    headers = jwt_headers(app.test_client(), ids["student_name"])
    url = f"/api/v1/quiz/{ids['quiz']}/start"

    def start() -> tuple[int, int | None]:
        response = app.test_client().post(url, headers=headers)
        return response.status_code, (response.json or {}).get("id")

    answers, errors = _parallel(20, start)
    assert not errors, errors
    statuses = sorted(status for status, _id in answers)
    assert statuses == [200] * 19 + [201], statuses
    assert len({attempt_id for _status, attempt_id in answers}) == 1
    assert _count(app, QuizAttempt, QuizAttempt.quiz_id == ids["quiz"]) == 1
