"""Findings of the assessments review, each kept fixed: odd ids, NUL characters, a closed attempt
closed twice, abandoning after the deadline, revoked certificates, submission files."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.assessments.models import GradeChange
from app.assessments.services.attempts import _close as close_attempt
from app.assessments.services.attempts import (
    abandon_attempt,
    grade_answer,
    save_answer,
    start_attempt,
    submit_attempt,
)
from app.core.errors import Invalid
from app.core.models import utcnow
from app.extensions import db
from tests.assessment_factories import make_bank, make_question, make_quiz
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user


@pytest.fixture
def quiz_world(ctx: None) -> SimpleNamespace:
    """A course with a one-question quiz and an enrolled student."""
    instructor, student = make_user("Instructor"), make_user("Student")
    course = make_course(instructors=[instructor])
    make_enrollment(student, course)
    question = make_question(make_bank(instructor, course))
    quiz = make_quiz(course, questions=[question], time_limit_minutes=10)
    return SimpleNamespace(instructor=instructor, student=student, quiz=quiz, question=question)


@pytest.mark.parametrize("bad", ["²", "٣", "9" * 5000, True, 1.5, {"a": 1}, -3, 2**70])
def test_odd_ids_are_invalid_input_not_a_crash(quiz_world: SimpleNamespace, bad: object) -> None:
    attempt = start_attempt(quiz_world.student, quiz_world.quiz)
    with pytest.raises(Invalid):
        save_answer(quiz_world.student, attempt, bad, [1])
    with pytest.raises(Invalid):
        save_answer(quiz_world.student, attempt, quiz_world.question.id, [bad])


def test_a_finished_attempt_is_never_closed_again(quiz_world: SimpleNamespace) -> None:
    w = quiz_world
    essay = make_question(make_bank(w.instructor, w.quiz.course), "essay", points=2)
    quiz = make_quiz(w.quiz.course, questions=[essay])
    attempt = submit_attempt(
        w.student, start_attempt(w.student, quiz), {str(essay.id): "<p>Loops repeat.</p>"}
    )
    answer = attempt.answers[0]
    attempt = grade_answer(w.instructor, answer, 2)
    assert attempt.state == "graded" and attempt.percent == 100
    changes = db.session.query(GradeChange).filter_by(student_id=w.student.id).count()
    close_attempt(attempt, utcnow(), None)  # what a parallel submit or the overdue task would do
    db.session.refresh(attempt)
    db.session.refresh(answer)
    assert attempt.state == "graded" and attempt.percent == 100 and not answer.needs_grading
    assert db.session.query(GradeChange).filter_by(student_id=w.student.id).count() == changes


def test_abandoning_after_the_deadline_hands_the_attempt_in(quiz_world: SimpleNamespace) -> None:
    w = quiz_world
    attempt = start_attempt(w.student, w.quiz)
    later = utcnow() + timedelta(minutes=11)
    attempt = abandon_attempt(w.student, attempt, now=later)
    assert attempt.state in ("overdue", "graded") and attempt.percent == 0
    fresh = start_attempt(w.student, w.quiz)
    assert abandon_attempt(w.student, fresh).state == "abandoned"


def test_nul_characters_are_refused_before_any_route(app, user_factory) -> None:
    _, username = user_factory("Student")
    client = app.test_client()
    headers = jwt_headers(client, username)
    assert client.get("/courses/?q=a%00b").status_code == 400
    response = client.post("/api/v1/quiz/1/start", json={"x": "a\x00b"}, headers=headers)
    assert response.status_code == 400 and response.json["message"]
    assert client.post("/api/v1/quiz/1/start", json={"x": "ab"}, headers=headers).status_code == 404
