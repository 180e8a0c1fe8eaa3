"""Defects of assessments found from outside: races on first submissions and quiz starts, rows whose
parent is in the trash."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.assessments.api import APIS
from app.assessments.api_grades import GradebookApi
from app.assessments.models import (
    Assignment,
    AttemptAnswer,
    CourseCompletion,
    GradeChange,
    Question,
    QuestionBank,
    QuestionOption,
    Quiz,
    QuizAttempt,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
    Rubric,
    RubricCriterion,
    RubricLevel,
    RubricScore,
    Submission,
)
from app.assessments.services import attempts
from app.assessments.services.assignments import grade_submission, submit_assignment
from app.assessments.services.attempts import save_answer, start_attempt, submit_attempt
from app.assessments.views import VIEWS
from app.assessments.views_grades import GradebookView
from app.core.softdelete import soft_delete
from app.courses.models import Course, CourseSection, Enrollment, Lesson
from app.courses.services import enrollment as enrollment_service
from app.extensions import db
from tests.assessment_factories import (
    make_assignment,
    make_bank,
    make_question,
    make_quiz,
    make_rubric,
    set_completion,
)
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
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


# ---- one transaction boundary --------------------------------------------------------------------------
def test_an_error_half_way_through_grading_a_submission_leaves_nothing_written(app, monkeypatch):
    ids = _learner_world(app)
    with app.app_context():
        quiz = db.session.get(Quiz, ids["quiz"])
        first, second = (link.question for link in quiz.questions)
        answers = {str(q.id): [next(o.id for o in q.options if o.is_correct)] for q in (first, second)}
        db.session.remove()
    headers = jwt_headers(app.test_client(), ids["student_name"])
    client = app.test_client()
    attempt_id = client.post(f"/api/v1/quiz/{ids['quiz']}/start", headers=headers).json["id"]
    real = attempts._auto_grade

    def grade_then_fail(question: Question, answer: AttemptAnswer) -> None:
        real(question, answer)
        if question.id == second.id:  # the first answer is graded, the second breaks
            raise RuntimeError("grading failed")

    monkeypatch.setattr(attempts, "_auto_grade", grade_then_fail)
    response = client.post(
        f"/api/v1/quiz_attempt/{attempt_id}/submit", json={"answers": answers}, headers=headers
    )
    assert response.status_code == 500
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == "in_progress" and attempt.score is None and attempt.submitted_at is None
        assert _count(app, AttemptAnswer, AttemptAnswer.attempt_id == attempt_id) == 0
        assert _count(app, GradeChange, GradeChange.student_id == ids["student"]) == 0
        db.session.remove()
    monkeypatch.setattr(attempts, "_auto_grade", real)
    again = client.post(
        f"/api/v1/quiz_attempt/{attempt_id}/submit", json={"answers": answers}, headers=headers
    )
    assert again.status_code == 200 and again.json["result"]["state"] == "graded"


def test_an_error_on_the_third_row_of_an_enrolment_csv_enrols_nobody(app, monkeypatch):
    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(instructors=[instructor])
        students = [make_user("Student") for _ in range(3)]
        course_id, names = course.id, [student.username for student in students]
        before, teacher = course.enrollment_count, instructor.username
        db.session.remove()
    real, calls = enrollment_service._upsert, []

    def upsert_then_fail(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("enrolment failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(enrollment_service, "_upsert", upsert_then_fail)
    data = ("username\n" + "\n".join(names) + "\n").encode()
    response = app.test_client().post(
        "/api/v1/enrollment/import",
        data={"course_id": str(course_id), "file": (io.BytesIO(data), "students.csv")},
        content_type="multipart/form-data",
        headers=jwt_headers(app.test_client(), teacher),
    )
    assert response.status_code == 500 and len(calls) == 3
    with app.app_context():
        assert _count(app, Enrollment, Enrollment.course_id == course_id) == 0
        assert db.session.get(Course, course_id).enrollment_count == before
        db.session.remove()


# ---- rows whose parent is in the trash ----------------------------------------------------------------
def _trash_world(app: Flask) -> dict[str, Any]:
    """Every assessment row kind of one course, with work handed in, graded and in progress (committed)."""
    with app.app_context():
        instructor, student, other = make_user("Instructor"), make_user("Student"), make_user("Student")
        admin = make_user("Admin")
        course = make_course(instructors=[instructor])
        section = make_section(course)
        lesson = make_lesson(section)
        for learner in (student, other):
            make_enrollment(learner, course)
        bank, pool = make_bank(instructor, course), make_bank(instructor, course, title="Pool")
        choice, essay = make_question(bank), make_question(bank, "essay")
        make_question(pool)
        quiz = make_quiz(course, questions=[choice, essay], draws=[(pool, None, 1)], lesson=lesson)
        db.session.add(QuizOverride(quiz_id=quiz.id, user_id=student.id, extra_minutes=5))
        db.session.commit()
        right = next(option.id for option in choice.options if option.is_correct)
        attempt = start_attempt(student, quiz)
        submit_attempt(student, attempt, {str(choice.id): [right], str(essay.id): "<p>Because.</p>"})
        open_attempt = start_attempt(other, quiz)
        save_answer(other, open_attempt, choice.id, [right])
        rubric = make_rubric(instructor)
        assignment = make_assignment(course, rubric_id=rubric.id, lesson_id=lesson.id)
        graded = submit_assignment(student, assignment, text="<p>Done.</p>")
        levels = {str(c.id): c.levels[-1].id for c in rubric.criteria}
        grade_submission(instructor, graded, levels=levels, feedback="<p>Good.</p>")
        waiting = submit_assignment(other, assignment, text="<p>Mine.</p>")
        set_completion(course, min_grade_percent=50)
        ids = {
            "instructor": instructor.username,
            "student": student.username,
            "other": other.username,
            "admin": admin.username,
            "course": course.id,
            "slug": course.slug,
            "section": section.id,
            "lesson": lesson.id,
            "bank": bank.id,
            "choice": choice.id,
            "essay": essay.id,
            "right": right,
            "option": choice.options[-1].id,
            "quiz": quiz.id,
            "attempt": attempt.id,
            "open_attempt": open_attempt.id,
            "rubric": rubric.id,
            "criterion": rubric.criteria[0].id,
            "assignment": assignment.id,
            "graded": graded.id,
            "waiting": waiting.id,
        }
        # Every row of the course's assessment tables, by model (the child pages to walk).
        ids["rows"] = {
            model: list(db.session.scalars(select(model.id).execution_options(include_deleted=True)))
            for model in TRASH_CHILDREN
        }
        db.session.remove()
    return ids


TRASH_CHILDREN = (
    QuestionBank,
    Question,
    QuestionOption,
    Quiz,
    QuizQuestion,
    QuizDraw,
    QuizOverride,
    QuizAttempt,
    AttemptAnswer,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Assignment,
    Submission,
    RubricScore,
    GradeChange,
    CourseCompletion,
)
# (model, key of its row in the world): each parent kind put in the trash in turn.
TRASH_PARENTS = (
    (Course, "course"),
    (CourseSection, "section"),
    (Lesson, "lesson"),
    (QuestionBank, "bank"),
    (Question, "choice"),
    (Quiz, "quiz"),
    (QuizAttempt, "attempt"),
    (Rubric, "rubric"),
    (RubricCriterion, "criterion"),
    (Assignment, "assignment"),
    (Submission, "graded"),
)


class _Walker:
    """Requests that record every server error (a 500 answer or an exception) instead of stopping."""

    def __init__(self, client: Any, who: str, headers: dict[str, str] | None = None) -> None:
        self.client, self.who, self.headers = client, who, headers or {}
        self.failures: list[str] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> int:
        try:
            response = self.client.open(url, method=method, headers=self.headers, **kwargs)
        except Exception as exc:
            self.failures.append(f"{self.who} {method} {url}: {exc!r}")
            return 500
        if response.status_code >= 500:
            self.failures.append(f"{self.who} {method} {url}: {response.status_code}")
        return response.status_code


def _walk_back_office(get: _Walker, ids: dict[str, Any]) -> None:
    """List, show and edit every assessment screen's rows; grading pages and the gradebook."""
    for view, *_menu in VIEWS:
        if view is GradebookView:
            continue
        base = f"/{view.__name__.lower()}"
        get("GET", f"{base}/list/")
        for row_id in ids["rows"].get(view.datamodel.obj, []):
            get("GET", f"{base}/show/{row_id}")
            get("GET", f"{base}/edit/{row_id}")
    for row_id in ids["rows"][QuizAttempt]:
        get("GET", f"/quizattemptmodelview/grade/{row_id}")
    for row_id in ids["rows"][Submission]:
        get("GET", f"/submissionmodelview/grade/{row_id}")
    get("GET", f"/questionbankmodelview/export/{ids['bank']}")
    for url in ("/gradebook/", f"/gradebook/{ids['course']}", f"/gradebook/{ids['course']}/csv"):
        get("GET", url)


def _walk_api(get: _Walker, ids: dict[str, Any]) -> None:
    """List and get every assessment resource's rows; the read-only actions."""
    for api in APIS:
        if api is GradebookApi:
            continue
        get("GET", f"/api/v1/{api.resource_name}/")
        for row_id in ids["rows"].get(api.datamodel.obj, []):
            get("GET", f"/api/v1/{api.resource_name}/{row_id}")
    for row_id in ids["rows"][QuizAttempt]:
        get("GET", f"/api/v1/quiz_attempt/{row_id}/review")
    get("GET", f"/api/v1/gradebook/{ids['course']}")
    get("GET", f"/api/v1/gradebook/{ids['course']}/csv")


def _walk_portal(get: _Walker, ids: dict[str, Any]) -> None:
    """The learner's pages of the quiz, the attempts, the assignment, grades and certificates."""
    get("GET", f"/quizzes/{ids['quiz']}")
    for key in ("attempt", "open_attempt"):
        get("GET", f"/attempts/{ids[key]}")
        get("GET", f"/attempts/{ids[key]}/state")
    get("GET", f"/assignments/{ids['assignment']}")
    for url in ("/my/grades", "/my/certificates", "/my/learning", f"/courses/{ids['slug']}"):
        get("GET", url)
    get("GET", f"/courses/{ids['slug']}/lessons/{ids['lesson']}")


def _staff_actions(api: _Walker, page: _Walker, ids: dict[str, Any]) -> None:
    """Grading (API and back office), deleting an option, abandoning a learner's attempt."""
    grade = {"question_id": ids["essay"], "points": 1, "feedback": "Fine."}
    api("POST", f"/api/v1/quiz_attempt/{ids['attempt']}/grade", json=grade)
    api("POST", f"/api/v1/submission/{ids['waiting']}/grade", json={"points": 50})
    api("DELETE", f"/api/v1/question_option/{ids['option']}")
    page("POST", f"/quizattemptmodelview/grade/{ids['attempt']}", data={"points": "1"})
    page("POST", f"/submissionmodelview/grade/{ids['graded']}", data={"points": "60"})
    page("POST", f"/questionoptionmodelview/delete/{ids['option']}")
    api("POST", f"/api/v1/quiz_attempt/{ids['open_attempt']}/abandon", json={})


def _learner_actions(api: _Walker, page: _Walker, ids: dict[str, Any]) -> None:
    """Answering, handing in, starting again and submitting the assignment."""
    answer = {"question_id": ids["choice"], "answer": [ids["right"]]}
    page("POST", f"/attempts/{ids['open_attempt']}/answer", json=answer)
    api("POST", f"/api/v1/quiz_attempt/{ids['open_attempt']}/answer", json=answer)
    api("POST", f"/api/v1/quiz_attempt/{ids['open_attempt']}/submit", json={})
    page("POST", f"/attempts/{ids['open_attempt']}/submit", data={})
    api("POST", f"/api/v1/quiz/{ids['quiz']}/start")
    page("POST", f"/quizzes/{ids['quiz']}/start")
    api("POST", f"/api/v1/assignment/{ids['assignment']}/submit", json={"text": "Again."})
    page("POST", f"/assignments/{ids['assignment']}", data={"text": "Again."})


@pytest.mark.parametrize(("parent", "key"), TRASH_PARENTS, ids=[m.__tablename__ for m, _k in TRASH_PARENTS])
def test_children_of_a_parent_in_the_trash_keep_working(app, parent, key):
    ids = _trash_world(app)
    with app.app_context():
        soft_delete(db.session.get(parent, ids[key]))
        db.session.commit()
        db.session.remove()
    walkers: list[_Walker] = []
    for role in ("admin", "instructor", "other", "student"):
        browser = app.test_client()
        assert login(browser, ids[role]).status_code == 302
        api = _Walker(app.test_client(), role, jwt_headers(app.test_client(), ids[role]))
        page = _Walker(browser, role)
        walkers += [api, page]
        _walk_back_office(page, ids)
        _walk_api(api, ids)
        _walk_portal(page, ids)
        if role in ("admin", "instructor"):
            _staff_actions(api, page, ids)
        elif role == "other":
            _learner_actions(api, page, ids)
        marked = {  # pages that name the parent in the trash as deleted
            (Quiz, "student"): f"/attempts/{ids['attempt']}",
            (Quiz, "admin"): f"/quizattemptmodelview/show/{ids['attempt']}",
            (Assignment, "instructor"): "/submissionmodelview/list/",
            (Assignment, "admin"): f"/submissionmodelview/show/{ids['graded']}",
        }.get((parent, role))
        if marked:
            assert "(deleted)" in browser.get(marked).get_data(as_text=True), marked
    failures = [failure for walker in walkers for failure in walker.failures]
    assert not failures, "\n".join(failures)
