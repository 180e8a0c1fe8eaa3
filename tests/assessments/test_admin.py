"""Assessment back office: instructor scoping, object checks, grading pages, gradebook, certificates, RTL."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from app.assessments.models import (
    Assignment,
    Certificate,
    Question,
    QuestionBank,
    QuestionOption,
    Quiz,
    QuizAttempt,
    QuizQuestion,
    Submission,
)
from app.assessments.services.assignments import submit_assignment
from app.assessments.services.attempts import start_attempt, submit_attempt
from app.assessments.services.certificates import new_certificate_number
from app.core.models import utcnow
from app.core.transactions import transaction
from app.courses.models import Course
from app.extensions import db
from app.lookups.services import lookup_id
from app.security.models import LmsUser
from tests.assessment_factories import make_assignment, make_bank, make_question, make_quiz, make_rubric
from tests.course_factories import make_course, make_enrollment

LIST_PAGES = [
    "/questionbankmodelview/list/",
    "/questionmodelview/list/",
    "/questionoptionmodelview/list/",
    "/quizmodelview/list/",
    "/quizquestionmodelview/list/",
    "/quizdrawmodelview/list/",
    "/quizoverridemodelview/list/",
    "/quizattemptmodelview/list/",
    "/rubricmodelview/list/",
    "/rubriccriterionmodelview/list/",
    "/rubriclevelmodelview/list/",
    "/assignmentmodelview/list/",
    "/submissionmodelview/list/",
    "/gradechangemodelview/list/",
    "/coursecompletionmodelview/list/",
    "/certificatemodelview/list/",
    "/gradebook/",
]
ADD_PAGES = [
    "/questionbankmodelview/add",
    "/questionmodelview/add",
    "/questionoptionmodelview/add",
    "/quizmodelview/add",
    "/quizquestionmodelview/add",
    "/quizdrawmodelview/add",
    "/quizoverridemodelview/add",
    "/rubricmodelview/add",
    "/rubriccriterionmodelview/add",
    "/rubriclevelmodelview/add",
    "/assignmentmodelview/add",
    "/coursecompletionmodelview/add",
]


SHOWN = [
    ("questionbankmodelview", "bank"),
    ("questionmodelview", "question"),
    ("quizmodelview", "quiz"),
    ("rubricmodelview", "rubric"),
    ("assignmentmodelview", "assignment"),
]


def _denied(response: Any) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 302 and "/login/" in response.headers.get("Location", "")
    )


@pytest.fixture
def world(app, login_as):
    """Two instructors with a course, bank, essay question, quiz, rubric and assignment each; a student
    enrolled in the first instructor's course."""
    mine, theirs, student = login_as("Instructor"), login_as("Instructor"), login_as("Student")
    ids: dict[str, dict[str, int]] = {}
    with app.app_context():
        for name, browser in (("mine", mine), ("theirs", theirs)):
            teacher = db.session.get(LmsUser, browser.user_id)
            course = make_course(instructors=[teacher], title=f"Course {name}")
            bank = make_bank(teacher, title=f"Bank {name}")
            essay = make_question(bank, "essay", text=f"Essay {name}?", points=2)
            quiz = make_quiz(course, questions=[essay], title=f"Quiz {name}")
            rubric = make_rubric(teacher)
            assignment = make_assignment(course, title=f"Assignment {name}", rubric_id=rubric.id)
            ids[name] = {
                "course": course.id,
                "bank": bank.id,
                "question": essay.id,
                "quiz": quiz.id,
                "rubric": rubric.id,
                "assignment": assignment.id,
            }
        make_enrollment(student.user_id, db.session.get(Course, ids["mine"]["course"]))
        db.session.remove()
    return SimpleNamespace(mine=mine, theirs=theirs, student=student, ids=ids)


def _row(app, model: type, pk: int) -> dict[str, Any] | None:
    with app.app_context():
        row = db.session.scalar(select(model).where(model.id == pk).execution_options(include_deleted=True))
        result = None if row is None else {c.key: getattr(row, c.key) for c in model.__table__.columns}
        db.session.remove()
    return result


def _count(app, model: type, **where: Any) -> int:
    with app.app_context():
        rows = db.session.scalars(select(model).filter_by(**where)).all()
        db.session.remove()
    return len(rows)


def _handed_in_attempt(app, world) -> int:
    with app.app_context():
        student = db.session.get(LmsUser, world.student.user_id)
        with transaction():  # the services flush; their caller commits
            attempt = start_attempt(student, db.session.get(Quiz, world.ids["mine"]["quiz"]))
            answers = {str(world.ids["mine"]["question"]): "<p>My essay</p>"}
            attempt = submit_attempt(student, attempt, answers)
        attempt_id = attempt.id
        db.session.remove()
    return attempt_id


def _handed_in_submission(app, world) -> int:
    with app.app_context():
        student = db.session.get(LmsUser, world.student.user_id)
        assignment = db.session.get(Assignment, world.ids["mine"]["assignment"])
        with transaction():
            submission = submit_assignment(student, assignment, text="<p>My work <script>x</script></p>")
        submission_id = submission.id
        db.session.remove()
    return submission_id


# ---- access -----------------------------------------------------------------------------------
def test_student_is_refused_on_every_screen(app, world):
    attempt_id = _handed_in_attempt(app, world)
    extra = [
        f"/quizattemptmodelview/grade/{attempt_id}",
        f"/gradebook/{world.ids['mine']['course']}",
        f"/gradebook/{world.ids['mine']['course']}/csv",
        f"/questionbankmodelview/import/{world.ids['mine']['bank']}",
        f"/questionbankmodelview/export/{world.ids['mine']['bank']}",
    ]
    for url in [*LIST_PAGES, *ADD_PAGES, *extra]:
        assert _denied(world.student.get(url)), url


def test_every_screen_opens_for_instructors_and_admins(app, world, login_as):
    admin = login_as("Admin")
    for browser in (world.mine, admin):
        for url in [*LIST_PAGES, *ADD_PAGES]:
            assert browser.get(url).status_code == 200, url


def test_instructor_lists_only_own_rows(app, world, login_as):
    mine, theirs = world.ids["mine"], world.ids["theirs"]
    pages = {
        "questionbankmodelview": "bank",
        "questionmodelview": "question",
        "quizmodelview": "quiz",
        "rubricmodelview": "rubric",
        "assignmentmodelview": "assignment",
    }
    admin = login_as("Admin")
    for view, key in pages.items():
        html = world.mine.get(f"/{view}/list/").get_data(as_text=True)
        assert f"/{view}/show/{mine[key]}" in html, view
        assert f"/{view}/show/{theirs[key]}" not in html, view
        every = admin.get(f"/{view}/list/").get_data(as_text=True)
        assert f"/{view}/show/{mine[key]}" in every and f"/{view}/show/{theirs[key]}" in every, view


def test_instructor_gets_404_on_other_instructors_rows(app, world):
    theirs = world.ids["theirs"]
    for view, key in SHOWN:
        assert world.mine.get(f"/{view}/show/{theirs[key]}").status_code == 404, view
        assert world.mine.get(f"/{view}/edit/{theirs[key]}").status_code == 404, view
    response = world.mine.post(f"/quizmodelview/edit/{theirs['quiz']}", data={"title_en": "Hijacked"})
    assert response.status_code == 404
    assert _row(app, Quiz, theirs["quiz"])["translations"]["en"]["title"] == "Quiz theirs"
    assert world.mine.get(f"/gradebook/{theirs['course']}").status_code == 404
    assert world.mine.get(f"/gradebook/{theirs['course']}/csv").status_code == 404
    assert world.mine.get(f"/questionbankmodelview/export/{theirs['bank']}").status_code == 404


def _quiz_form(course_id: int, title: str) -> dict[str, Any]:
    return {
        "course": course_id,
        "pass_mark": "50",
        "grading_method": "average",
        "review_option": "never",
        "weight": "2",
        "is_required": "y",
        "is_published": "y",
        "title_en": title,
        "title_ar": "اختبار",
    }


def test_quiz_only_in_own_course_and_questions_only_from_own_banks(app, world):
    mine, theirs = world.ids["mine"], world.ids["theirs"]
    world.mine.post("/quizmodelview/add", data=_quiz_form(theirs["course"], "Forged quiz"))
    assert _count(app, Quiz, course_id=theirs["course"]) == 1
    world.mine.post("/quizmodelview/add", data=_quiz_form(mine["course"], "Second quiz"))
    with app.app_context():
        quiz = db.session.scalars(
            select(Quiz).where(Quiz.course_id == mine["course"]).order_by(Quiz.id)
        ).all()[-1]
        assert (quiz.title, quiz.grading_method, quiz.review_option) == ("Second quiz", "average", "never")
        db.session.remove()
    data = {"quiz": mine["quiz"], "question": theirs["question"], "position": ""}
    world.mine.post("/quizquestionmodelview/add", data=data)
    assert _count(app, QuizQuestion, quiz_id=mine["quiz"]) == 1
    with app.app_context():
        extra = make_question(db.session.get(QuestionBank, mine["bank"]), "essay").id
        db.session.remove()
    world.mine.post("/quizquestionmodelview/add", data={**data, "question": extra})
    assert _count(app, QuizQuestion, quiz_id=mine["quiz"]) == 2


def test_bulk_delete_ignores_other_instructors_rows(app, world):
    mine, theirs = world.ids["mine"], world.ids["theirs"]
    response = world.mine.post(
        "/quizmodelview/action_post",
        data={"action": "soft_delete_selected", "rowid": [mine["quiz"], theirs["quiz"]]},
    )
    assert response.status_code == 302
    assert _row(app, Quiz, mine["quiz"])["is_deleted"] is True
    assert _row(app, Quiz, theirs["quiz"])["is_deleted"] is False
    world.mine.post(
        "/questionbankmodelview/action_post",
        data={"action": "soft_delete_selected", "rowid": [theirs["bank"]]},
    )
    assert _row(app, QuestionBank, theirs["bank"])["is_deleted"] is False


def test_show_and_edit_pages_of_own_rows_open_and_dates_are_checked(app, world):
    attempt_id, submission_id = _handed_in_attempt(app, world), _handed_in_submission(app, world)
    mine = world.ids["mine"]
    urls = [f"/{v}/{page}/{mine[k]}" for v, k in SHOWN for page in ("show", "edit")]
    urls += [f"/quizattemptmodelview/show/{attempt_id}", f"/submissionmodelview/show/{submission_id}"]
    for url in urls:
        assert world.mine.get(url).status_code == 200, url
    assert "/quizquestionmodelview/show/" in world.mine.get(f"/quizmodelview/show/{mine['quiz']}").get_data(
        True
    )
    form = _quiz_form(mine["course"], "Dated quiz")
    world.mine.post(f"/quizmodelview/edit/{mine['quiz']}", data={**form, "opens_at": "2030-01-02 10:00:00"})
    opens = _row(app, Quiz, mine["quiz"])["opens_at"]
    assert (opens.year, opens.hour, opens.utcoffset().total_seconds()) == (2030, 10, 0)
    backwards = {**form, "opens_at": "2030-01-02 10:00:00", "closes_at": "2030-01-01 10:00:00"}
    world.mine.post(f"/quizmodelview/edit/{mine['quiz']}", data=backwards)
    assert _row(app, Quiz, mine["quiz"])["closes_at"] is None


# ---- questions --------------------------------------------------------------------------------
def test_question_form_creates_options_and_keeps_the_rules(app, world):
    bank = world.ids["mine"]["bank"]
    data = {
        "bank": bank,
        "question_type": lookup_id_in(app, "quiz_question_types", "multiple_choice"),
        "points": "3",
        "tags_text": "algebra, Algebra, basics",
        "options_en": "Two\nThree\nFour",
        "options_ar": "اثنان\nثلاثة\nأربعة",  # noqa: RUF001
        "correct_options": "3",
        "text_en": "<p>2 + 2?</p><script>alert(1)</script>",
        "text_ar": "٢ + ٢؟",
    }
    world.mine.post("/questionmodelview/add", data=data)
    with app.app_context():
        question = db.session.scalars(
            select(Question).where(Question.bank_id == bank).order_by(Question.id)
        ).all()[-1]
        assert "<script>" not in question.translations["en"]["text"]
        assert question.tags == ["algebra", "basics"]
        options = sorted(question.options, key=lambda o: o.position)
        assert [(o.translations["en"]["text"], o.is_correct) for o in options] == [
            ("Two", False),
            ("Three", False),
            ("Four", True),
        ]
        question_id, first = question.id, options[0].id
        db.session.remove()
    # A second right answer in a one-answer question unmarks the first (radio-like).
    world.mine.post(
        f"/questionoptionmodelview/edit/{first}",
        data={"position": "0", "is_correct": "y", "text_en": "Two", "text_ar": "اثنان"},
    )
    with app.app_context():
        marks = db.session.scalars(
            select(QuestionOption.is_correct)
            .where(QuestionOption.question_id == question_id)
            .order_by(QuestionOption.position)
        ).all()
        assert marks == [True, False, False]
        db.session.remove()
    # Deleting an option of a true/false question would break it: refused.
    with app.app_context():
        true_false = make_question(db.session.get(QuestionBank, bank), "true_false")
        option_id = true_false.options[0].id
        db.session.remove()
    world.mine.post(f"/questionoptionmodelview/delete/{option_id}")
    assert _row(app, QuestionOption, option_id)["is_deleted"] is False
    # No right option at all is refused; nothing is saved.
    data["correct_options"] = ""
    page = world.mine.post("/questionmodelview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Mark at least one option as correct." in page
    assert _count(app, Question, bank_id=bank) == 3


def lookup_id_in(app, type_code: str, code: str) -> int | None:
    with app.app_context():
        return lookup_id(type_code, code)


def test_bank_csv_import_reports_errors_and_export_round_trips(app, world):
    bank = world.ids["mine"]["bank"]
    good = "type,text_en,points,options_en,correct\nmultiple_choice,Capital of France?,2,Paris|Rome,1\n"
    response = world.mine.post(
        f"/questionbankmodelview/import/{bank}",
        data={"file": (io.BytesIO(good.encode()), "questions.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and 'data-created="1"' in response.get_data(as_text=True)
    bad = "type,text_en\nmultiple_choice,No options?\n"
    response = world.mine.post(
        f"/questionbankmodelview/import/{bank}",
        data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "import-error" in response.get_data(as_text=True)
    assert _count(app, Question, bank_id=bank) == 2
    exported = world.mine.get(f"/questionbankmodelview/export/{bank}")
    assert exported.status_code == 200 and "Capital of France?" in exported.get_data(as_text=True)


# ---- grading ----------------------------------------------------------------------------------
def test_essay_grading_on_the_attempt_page_updates_the_score(app, world):
    attempt_id = _handed_in_attempt(app, world)
    assert _row(app, QuizAttempt, attempt_id)["state"] == "submitted"
    needs_grading = re.search(
        r'href="\?(_flt_\d_state=1)"', world.mine.get("/quizattemptmodelview/list/").get_data(as_text=True)
    )
    listed = world.mine.get(f"/quizattemptmodelview/list/?{needs_grading.group(1)}").get_data(as_text=True)
    assert f"/quizattemptmodelview/show/{attempt_id}" in listed
    page = world.mine.get(f"/quizattemptmodelview/grade/{attempt_id}").get_data(as_text=True)
    assert "My essay" in page
    answer_id = int(re.search(r'name="answer_id" value="(\d+)"', page).group(1))
    # Out of range: refused with a message, no 500.
    response = world.mine.post(
        f"/quizattemptmodelview/grade/{attempt_id}", data={"answer_id": answer_id, "points": "9"}
    )
    assert response.status_code == 302 and _row(app, QuizAttempt, attempt_id)["score"] is None
    world.mine.post(
        f"/quizattemptmodelview/grade/{attempt_id}",
        data={"answer_id": answer_id, "points": "1.5", "feedback": "Good start"},
    )
    row = _row(app, QuizAttempt, attempt_id)
    assert row["state"] == "graded" and str(row["score"]) == "1.50" and str(row["percent"]) == "75.00"
    assert world.theirs.get(f"/quizattemptmodelview/grade/{attempt_id}").status_code == 404


def test_rubric_grading_of_a_submission_computes_the_total(app, world):
    submission_id = _handed_in_submission(app, world)
    page = world.mine.get(f"/submissionmodelview/grade/{submission_id}").get_data(as_text=True)
    assert "My work" in page and "<script>" not in page.split("submission-text")[1].split("</div>")[0]
    radios = re.findall(r'name="level_(\d+)" value="(\d+)"', page)
    levels: dict[str, list[str]] = {}
    for criterion, level in radios:
        levels.setdefault(criterion, []).append(level)
    assert len(levels) == 2 and all(len(v) == 3 for v in levels.values())
    data = {f"level_{c}": ids[i] for (c, ids), i in zip(levels.items(), (2, 1), strict=True)}
    data["feedback"] = "Well argued"
    world.mine.post(
        f"/submissionmodelview/grade/{submission_id}", data=data, content_type="multipart/form-data"
    )
    row = _row(app, Submission, submission_id)
    # 10 + 5 of a 20-point rubric, scaled to the assignment's 100 points.
    assert str(row["points"]) == "75.00" and row["feedback"] == "Well argued"
    # Garbage points without a rubric choice: a flashed error, never a 500.
    response = world.mine.post(f"/submissionmodelview/grade/{submission_id}", data={"points": "abc"})
    assert response.status_code == 302


# ---- gradebook and certificates ---------------------------------------------------------------
def test_gradebook_lists_students_and_exports_csv(app, world):
    attempt_id = _handed_in_attempt(app, world)
    page = world.mine.get(f"/quizattemptmodelview/grade/{attempt_id}").get_data(as_text=True)
    answer_id = int(re.search(r'name="answer_id" value="(\d+)"', page).group(1))
    world.mine.post(f"/quizattemptmodelview/grade/{attempt_id}", data={"answer_id": answer_id, "points": "2"})
    course = world.ids["mine"]["course"]
    assert f"/gradebook/{course}" in world.mine.get("/gradebook/").get_data(as_text=True)
    html = world.mine.get(f"/gradebook/{course}").get_data(as_text=True)
    assert f'data-student="{world.student.user_id}"' in html and "Quiz mine" in html
    assert f"_flt_0_course={course}" in html
    rows = list(csv.reader(io.StringIO(world.mine.get(f"/gradebook/{course}/csv").get_data(as_text=True))))
    assert rows[0] == ["Student", "Email", "Status", "Quiz mine (1.00)", "Assignment mine (1.00)", "Total"]
    assert rows[1][2:] == ["active", "100.00", "", "50.00"]
    quizzes_only = world.mine.get(f"/gradebook/{course}/csv?kind=quiz").get_data(as_text=True)
    assert quizzes_only.splitlines()[0] == "Student,Email,Status,Quiz mine (1.00),Total"
    nobody = world.mine.get(f"/gradebook/{course}?q=nobody-matches").get_data(as_text=True)
    assert f'data-student="{world.student.user_id}"' not in nobody
    history = world.mine.get(f"/gradechangemodelview/list/?_flt_0_course={course}").get_data(as_text=True)
    assert "/gradechangemodelview/show/" in history


def test_gradebook_shows_answers_waiting_and_recent_grade_changes(app, world):
    attempt_id = _handed_in_attempt(app, world)
    course = world.ids["mine"]["course"]
    waiting = world.mine.get(f"/gradebook/{course}").get_data(as_text=True)
    assert 'id="pending-grading"' in waiting and "1 answer waits for grading." in waiting
    assert 'id="recent-grade-changes"' not in waiting
    page = world.mine.get(f"/quizattemptmodelview/grade/{attempt_id}").get_data(as_text=True)
    answer_id = int(re.search(r'name="answer_id" value="(\d+)"', page).group(1))
    world.mine.post(f"/quizattemptmodelview/grade/{attempt_id}", data={"answer_id": answer_id, "points": "2"})
    graded = world.mine.get(f"/gradebook/{course}").get_data(as_text=True)
    assert 'id="pending-grading"' not in graded
    changes = graded.split('id="recent-grade-changes"')[1].split("</table>")[0]
    assert "100.00" in changes


def test_certificate_revoke_needs_a_reason(app, world):
    with app.app_context():
        course = db.session.get(Course, world.ids["mine"]["course"])
        certificate = Certificate(
            number=new_certificate_number(),
            user_id=world.student.user_id,
            course_id=course.id,
            student_name="Student Tester",
            course_title=course.title,
            completed_on=date.today(),
            issued_at=utcnow(),
        )
        db.session.add(certificate)
        db.session.commit()
        cert_id, number = certificate.id, certificate.number
        db.session.remove()
    listed = world.mine.get("/certificatemodelview/list/").get_data(as_text=True)
    assert number in listed
    assert world.theirs.get(f"/certificatemodelview/revoke/{cert_id}").status_code == 404
    page = world.mine.post(f"/certificatemodelview/revoke/{cert_id}", data={"reason": "  "}).get_data(
        as_text=True
    )
    assert "Say why the certificate is revoked." in page
    assert _row(app, Certificate, cert_id)["revoked_at"] is None
    response = world.mine.post(f"/certificatemodelview/revoke/{cert_id}", data={"reason": "Plagiarism"})
    assert response.status_code == 302
    row = _row(app, Certificate, cert_id)
    assert row["revoked_at"] is not None and row["revoked_reason"] == "Plagiarism"


# ---- Arabic -----------------------------------------------------------------------------------
def test_every_new_page_is_right_to_left_in_arabic(app, world, login_as):
    admin = login_as("Admin")
    assert admin.get("/lang/ar").status_code == 302
    pages = [*LIST_PAGES, *ADD_PAGES, f"/gradebook/{world.ids['mine']['course']}"]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        assert re.search(r'<html lang="ar" dir="rtl"', response.get_data(as_text=True)), url
