"""Assessments tell people: work waiting for grading to the course's instructors, grades returned to
the learner, a certificate issued, a quiz exception granted; in both languages, never the actor,
each linking to the grading screen for staff and to the learner's own page for the learner."""

from __future__ import annotations

from typing import Any

import pytest

from app.assessments.services import certificates
from app.assessments.services.assignments import grade_submission, submit_assignment
from app.assessments.services.attempts import grade_answer, start_attempt, submit_attempt
from app.extensions import db
from tests.assessment_factories import make_assignment, make_bank, make_question, make_quiz, set_completion
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user
from tests.notification_helpers import link_of, only_row, rows_of, texts


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # delivery runs inline


def _course(**completion: Any) -> tuple[Any, Any, Any]:
    teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher", name_ar="طارق")
    student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة")
    course = make_course(instructors=[teacher], title="Statistics", title_ar="الإحصاء")
    if completion:
        set_completion(course, **completion)
    make_enrollment(student, course, status="completed" if completion else "active")
    return teacher, student, course


def _arabic_title(item: Any, title: str) -> None:
    item.translations = {**item.translations, "ar": {**item.translations.get("ar", {}), "title": title}}
    db.session.commit()


def test_an_essay_waits_for_the_instructors_then_its_grade_reaches_the_learner(ctx: None) -> None:
    teacher, student, course = _course()
    essay = make_question(make_bank(teacher, course), "essay", points=4)
    quiz = make_quiz(course, questions=[essay], title="Midterm")
    _arabic_title(quiz, "الاختبار النصفي")
    attempt = start_attempt(student, quiz)
    attempt = submit_attempt(student, attempt, {str(essay.id): "<p>My essay</p>"})
    db.session.commit()
    row = only_row(teacher, "grading")
    english, arabic = texts(row)
    assert english == "Sara Student handed in Midterm in Statistics: it waits for grading"
    assert "سارة" in arabic and "الاختبار النصفي" in arabic and "الإحصاء" in arabic
    assert "grading" not in arabic
    assert link_of(teacher, row) == f"/quizattemptmodelview/grade/{attempt.id}"
    assert rows_of(student) == []

    grade_answer(teacher, attempt.answers[0], 3)
    db.session.commit()
    row = only_row(student, "grade")
    english, arabic = texts(row)
    assert english == "Your attempt at Midterm has been graded"
    assert "الاختبار النصفي" in arabic and "graded" not in arabic
    assert link_of(student, row) == f"/attempts/{attempt.id}"
    assert rows_of(teacher, "grade") == []


def test_an_automatically_graded_attempt_tells_nobody(ctx: None) -> None:
    teacher, student, course = _course()
    choice = make_question(make_bank(teacher, course))
    quiz = make_quiz(course, questions=[choice])
    submit_attempt(student, start_attempt(student, quiz), {})
    db.session.commit()
    assert rows_of(teacher) == [] and rows_of(student) == []


def test_each_hand_in_of_an_assignment_and_its_grade_are_told(ctx: None) -> None:
    teacher, student, course = _course()
    assignment = make_assignment(course, title="Report")
    _arabic_title(assignment, "التقرير")
    submission = submit_assignment(student, assignment, text="<p>Draft</p>")
    db.session.commit()
    row = only_row(teacher, "grading")
    english, arabic = texts(row)
    assert english == "Sara Student handed in Report in Statistics: it waits for grading"
    assert "التقرير" in arabic and "سارة" in arabic
    assert link_of(teacher, row) == f"/submissionmodelview/grade/{submission.id}"
    submit_assignment(student, assignment, text="<p>Final</p>")
    db.session.commit()
    assert len(rows_of(teacher, "grading")) == 2  # handed in again: told again

    grade_submission(teacher, submission, points=90)
    db.session.commit()
    row = only_row(student, "grade")
    english, arabic = texts(row)
    assert english == "Your work on Report has been graded"
    assert "التقرير" in arabic and "graded" not in arabic
    assert link_of(student, row) == f"/assignments/{assignment.id}"


def test_an_issued_certificate_is_told_to_its_learner(ctx: None, media_config: Any) -> None:
    teacher, student, course = _course(certificate_enabled=True)
    certificate = certificates.issue_certificate(student.id, course.id)
    db.session.commit()
    row = only_row(student, "certificate")
    english, arabic = texts(row)
    assert english == "Your certificate for Statistics is ready"
    assert "الإحصاء" in arabic and "certificate" not in arabic
    assert link_of(student, row) == "/my/certificates"
    assert rows_of(teacher) == []
    certificates.issue_certificate(student.id, course.id)  # the same certificate: told once
    db.session.commit()
    assert len(rows_of(student, "certificate")) == 1
    new = certificates.reissue_certificate(teacher, certificate)
    db.session.commit()
    assert rows_of(student, "certificate")[-1].target_id == new.id


def test_a_quiz_override_tells_the_learner(app: Any) -> None:
    with app.app_context():
        teacher, student, course = _course()
        quiz = make_quiz(course, title="Midterm")
        _arabic_title(quiz, "الاختبار النصفي")
        ids = {"teacher": teacher.id, "student": student.id, "quiz": quiz.id, "username": teacher.username}
        db.session.remove()
    client = app.test_client()
    headers = jwt_headers(client, ids["username"])
    body = {"quiz_id": ids["quiz"], "user_id": ids["student"], "extra_minutes": 30}
    assert client.post("/api/v1/quiz_override/", json=body, headers=headers).status_code == 201
    with app.app_context():
        row = only_row(ids["student"], "quiz_override")
        english, arabic = texts(row)
        assert english == "Tariq Teacher changed the rules of Midterm for you"
        assert "طارق" in arabic and "الاختبار النصفي" in arabic and "rules" not in arabic
        student = db.session.get(type(row.recipient), ids["student"])
        assert link_of(student, row) == f"/quizzes/{ids['quiz']}"
        assert rows_of(ids["teacher"]) == []
