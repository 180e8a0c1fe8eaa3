"""Findings of the assessments review, each kept fixed: odd ids, NUL characters, a closed attempt
closed twice, abandoning after the deadline, revoked certificates, submission files."""

from __future__ import annotations

import io
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
from app.core.errors import Forbidden, Invalid
from app.core.models import utcnow
from app.extensions import db
from tests.assessment_factories import make_bank, make_question, make_quiz
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user
from tests.media_fixtures import png_bytes


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


def test_dates_out_of_range_are_refused_by_the_api(app, user_factory) -> None:
    with app.app_context():
        instructor = make_user("Instructor")
        course_id = make_course(instructors=[instructor]).id
        username = instructor.username
    client = app.test_client()
    headers = jwt_headers(client, username)
    body = {"course_id": course_id, "translations": {"en": {"title": "Q"}}}
    for bad in ("9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00+00:00"):
        response = client.post("/api/v1/quiz/", json={**body, "closes_at": bad}, headers=headers)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert "closes_at" in response.json["errors"]
    assert client.get("/api/v1/quiz/", headers=headers).status_code == 200
    ok = client.post(
        "/api/v1/quiz/", json={**body, "closes_at": "2031-01-01T00:00:00+00:00"}, headers=headers
    )
    assert ok.status_code == 201


def test_an_instructor_cannot_give_a_bank_to_someone_else(app) -> None:
    with app.app_context():
        instructor, other = make_user("Instructor"), make_user("Instructor")
        course_id = make_course(instructors=[instructor]).id
        username, other_id, own_id = instructor.username, other.id, instructor.id
    client = app.test_client()
    headers = jwt_headers(client, username)
    body = {"owner_id": other_id, "course_id": course_id, "translations": {"en": {"title": "B"}}}
    response = client.post("/api/v1/question_bank/", json=body, headers=headers)
    assert response.status_code == 201
    bank_id = response.json["id"]
    assert (
        client.get(f"/api/v1/question_bank/{bank_id}", headers=headers).json["result"]["owner_id"] == own_id
    )
    moved = client.put(f"/api/v1/question_bank/{bank_id}", json={"owner_id": other_id}, headers=headers)
    assert moved.status_code in (200, 403)
    assert (
        client.get(f"/api/v1/question_bank/{bank_id}", headers=headers).json["result"]["owner_id"] == own_id
    )


def test_submission_files_change_only_by_handing_in_again(app, media_config) -> None:
    from tests.assessment_factories import make_assignment

    with app.app_context():
        instructor, student = make_user("Instructor"), make_user("Student")
        course = make_course(instructors=[instructor])
        make_enrollment(student, course)
        assignment = make_assignment(course, allowed_extensions=["png"], max_files=1)
        names = (student.username, instructor.username, assignment.id)
    client = app.test_client()
    student_headers, instructor_headers = jwt_headers(client, names[0]), jwt_headers(client, names[1])
    handed = client.post(
        f"/api/v1/assignment/{names[2]}/submit",
        data={"text": "mine", "file": (io.BytesIO(png_bytes()), "work.png")},
        headers=student_headers,
    )
    assert handed.status_code == 200, handed.get_data(as_text=True)
    submission_id = handed.json["result"]["id"]
    extra = client.post(
        "/api/v1/media/upload",
        data={
            "file": (io.BytesIO(png_bytes()), "more.png"),
            "owner_type": "submission",
            "owner_id": submission_id,
        },
        headers=student_headers,
    )
    assert extra.status_code == 403
    graded = client.post(
        f"/api/v1/submission/{submission_id}/grade", json={"points": 80}, headers=instructor_headers
    )
    assert graded.status_code == 200, graded.get_data(as_text=True)
    with app.app_context():
        from app.assessments.models import Submission
        from app.assessments.services.assignments import files_of

        (kept,) = files_of(db.session.get(Submission, submission_id))
        file_id = kept.id
    assert client.delete(f"/api/v1/media/{file_id}", headers=student_headers).status_code == 403
    replaced = client.post(
        f"/api/v1/media/{file_id}/replace",
        data={"file": (io.BytesIO(png_bytes()), "other.png")},
        headers=student_headers,
    )
    assert replaced.status_code == 403
    with app.app_context():
        assert files_of(db.session.get(Submission, submission_id))[0].original_filename == "work.png"


def test_learners_see_and_download_an_assignment_s_attachments(app, media_config) -> None:
    from app.media import services as media_services
    from tests.assessment_factories import make_assignment
    from tests.conftest import login

    with app.test_request_context():
        instructor, student = make_user("Instructor"), make_user("Student")
        course = make_course(instructors=[instructor])
        make_enrollment(student, course)
        assignment = make_assignment(course)
        media_services.upload_files(
            [("brief.png", png_bytes())], "attachment", instructor, "assignment", assignment.id
        )
        username, assignment_id = student.username, assignment.id
    browser = app.test_client()
    login(browser, username)
    page = browser.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert 'id="assignment-attachments"' in page and "brief.png" in page
    link = page.split('id="assignment-attachments"')[1].split('href="')[1].split('"')[0]
    download = browser.get(link.replace("&amp;", "&"))
    assert download.status_code == 200 and download.data.startswith(b"\x89PNG")


def test_answers_shown_after_the_close_wait_for_the_latest_extension(quiz_world: SimpleNamespace) -> None:
    from app.assessments.models import QuizOverride
    from app.assessments.services.quizzes import review_open

    w = quiz_world
    closes = utcnow() + timedelta(days=1)
    w.quiz.review_option, w.quiz.closes_at = "after_close", closes
    other = make_user("Student")
    make_enrollment(other, w.quiz.course)
    db.session.add(QuizOverride(quiz_id=w.quiz.id, user_id=other.id, closes_at=closes + timedelta(days=2)))
    db.session.commit()
    assert not review_open(w.quiz, w.student.id, closes + timedelta(hours=1))
    assert review_open(w.quiz, w.student.id, closes + timedelta(days=2, hours=1))


@pytest.mark.parametrize("path", ["/certificatemodelview/list/", "/quizattemptmodelview/list/"])
def test_back_office_lists_do_not_query_per_row(app, login_as, path: str) -> None:
    from app.assessments.models import Certificate, QuizAttempt

    admin = login_as("Admin")

    def add_rows(count: int) -> None:
        with app.app_context():
            for _ in range(count):
                course = make_course()
                quiz = make_quiz(course)
                student = make_user("Student")
                now = utcnow()
                db.session.add(
                    Certificate(
                        number=f"CERT-TEST-{student.id:04d}-0000-0000"[:32],
                        user_id=student.id,
                        course_id=course.id,
                        student_name=student.username,
                        course_title="C",
                        completed_on=now.date(),
                        issued_at=now,
                    )
                )
                db.session.add(
                    QuizAttempt(
                        quiz_id=quiz.id, user_id=student.id, course_id=course.id, number=1, started_at=now
                    )
                )
            db.session.commit()

    add_rows(2)
    few = int(admin.get(path).headers["X-Query-Count"])
    add_rows(10)
    many = int(admin.get(path).headers["X-Query-Count"])
    assert many == few


def test_a_closed_lesson_s_assignment_shows_no_instructions_through_the_api(app) -> None:
    from tests.assessment_factories import make_assignment
    from tests.course_factories import make_lesson, make_section

    with app.app_context():
        instructor, student = make_user("Instructor"), make_user("Student")
        course = make_course(instructors=[instructor], sequential=True)
        make_enrollment(student, course)
        section = make_section(course, "One")
        make_lesson(section, "First")
        second = make_lesson(section, "Second")
        assignment_id = make_assignment(course, lesson=second).id
        names = (student.username, instructor.username)
    client = app.test_client()
    student_view = client.get(f"/api/v1/assignment/{assignment_id}", headers=jwt_headers(client, names[0]))
    assert student_view.status_code == 200
    assert "translations" not in student_view.json["result"] and student_view.json["result"]["title"]
    listed = client.get("/api/v1/assignment/", headers=jwt_headers(client, names[0])).json["result"]
    assert all("translations" not in row for row in listed)
    staff_view = client.get(f"/api/v1/assignment/{assignment_id}", headers=jwt_headers(client, names[1]))
    assert "Do it." in staff_view.json["result"]["translations"]["en"]["instructions"]


def test_the_student_reads_the_files_returned_with_the_grade(app, media_config) -> None:
    from app.assessments.models import Submission
    from app.assessments.services.assignments import files_of, grade_submission, submit_assignment
    from app.core.transactions import transaction
    from app.media import services as media_services
    from tests.assessment_factories import make_assignment

    with app.test_request_context():
        instructor, student, other = make_user("Instructor"), make_user("Student"), make_user("Student")
        course = make_course(instructors=[instructor])
        make_enrollment(student, course)
        make_enrollment(other, course)
        assignment = make_assignment(course)
        submission = submit_assignment(student, assignment, text="<p>My work</p>")
        with transaction():  # the caller commits (the request, in the API and back office)
            grade_submission(instructor, submission, points=80, files=[("corrected.png", png_bytes())])
        (returned,) = files_of(db.session.get(Submission, submission.id), "submission_feedback")
        names = (student.username, other.username, assignment.id, returned.id)
    owner, stranger = app.test_client(), app.test_client()
    login(owner, names[0])
    login(stranger, names[1])
    page = owner.get(f"/assignments/{names[2]}").get_data(as_text=True)
    assert "corrected.png" in page
    with app.test_request_context():
        from app.media.models import Media
        from app.security.models import LmsUser

        file = db.session.get(Media, names[3])
        link = media_services.issue_link(file, db.session.query(LmsUser).filter_by(username=names[0]).one())
        with pytest.raises(Forbidden):
            media_services.issue_link(file, db.session.query(LmsUser).filter_by(username=names[1]).one())
    assert owner.get(link).data.startswith(b"\x89PNG")
