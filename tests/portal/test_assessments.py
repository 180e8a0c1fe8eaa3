"""Portal quizzes, attempts, assignments, My grades, My certificates and public verification."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.assessments.models import Assignment, AttemptAnswer, Certificate, Quiz, QuizAttempt, Submission
from app.assessments.services import assignments as assignment_service
from app.assessments.services import certificates
from app.core.models import utcnow
from app.core.transactions import transaction
from app.extensions import db
from app.security.models import LmsUser
from tests.assessment_factories import (
    make_assignment,
    make_bank,
    make_question,
    make_quiz,
    make_rubric,
    set_completion,
)
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.media_fixtures import png_bytes
from tests.portal_helpers import enrol, page_text


def _setup(app, quiz: dict[str, Any] | None = None, **assignment: Any) -> dict[str, Any]:
    """A course with a lesson carrying a quiz (one choice, one short answer) and an assignment."""
    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(instructors=[instructor], title="Geography")
        lesson = make_lesson(make_section(course, "Capitals"), "Europe")
        bank = make_bank(instructor, course)
        choice = make_question(bank, text="Which one is right?", points=1)
        short = make_question(bank, "short_answer", text="Capital of France?", accepted=["Paris"], points=1)
        made = make_quiz(
            course, questions=[choice, short], lesson=lesson, title="Capitals quiz", **(quiz or {})
        )
        work = make_assignment(course, title="Essay on rivers", lesson_id=lesson.id, **assignment)
        data = {
            "course": course.id,
            "slug": course.slug,
            "lesson": lesson.id,
            "quiz": made.id,
            "assignment": work.id,
            "instructor": instructor.id,
            "choice": choice.id,
            "short": short.id,
            "right": next(o.id for o in choice.options if o.is_correct),
            "wrong": next(o.id for o in choice.options if not o.is_correct),
        }
        db.session.remove()
    return data


def _student(app, login_as, data: dict[str, Any]) -> Any:
    """A signed-in student enrolled in the course."""
    student = login_as("Student")
    enrol(app, student.user_id, data["course"])
    return student


def _start(student, data: dict[str, Any]) -> int:
    """Start (or resume) the quiz; the attempt id from the redirect."""
    response = student.post(f"/quizzes/{data['quiz']}/start")
    assert response.status_code == 302, page_text(response)
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _submit(student, attempt_id: int, data: dict[str, Any], short: str = "Paris", choice: int | None = None):
    """Hand in the attempt's form with both answers."""
    return student.post(
        f"/attempts/{attempt_id}/submit",
        data={
            "shown": [str(data["choice"]), str(data["short"])],
            f"answer-{data['choice']}": str(choice or data["right"]),
            f"answer-{data['short']}": short,
        },
    )


# ---- quizzes ---------------------------------------------------------------------------------
def test_quiz_page_shows_rules_and_start_opens_the_attempt(app, client, login_as):
    closes = utcnow() + timedelta(days=3)
    data = _setup(app, {"time_limit_minutes": 5, "max_attempts": 2, "closes_at": closes})
    student = _student(app, login_as, data)
    page = page_text(student.get(f"/quizzes/{data['quiz']}"))
    assert "Capitals quiz" in page and "5 minutes" in page and "0 of 2 used, 2 left" in page
    assert "Closes" in page and 'id="start-quiz"' in page and "Start the quiz" in page
    attempt_id = _start(student, data)
    attempt = page_text(student.get(f"/attempts/{attempt_id}"))
    assert "Which one is right?" in attempt and "Capital of France?" in attempt
    assert 'type="radio"' in attempt and 'class="answer-text" type="text"' in attempt
    seconds = int(re.search(r'data-seconds-left="(\d+)"', attempt).group(1))
    assert 290 <= seconds <= 300 and 'id="countdown"' in attempt and "js/quiz.js" in attempt
    state = student.get(f"/attempts/{attempt_id}/state")
    assert state.json["state"] == "in_progress" and 0 < state.json["seconds_left"] <= 300
    assert "Resume the attempt" in page_text(student.get(f"/quizzes/{data['quiz']}"))
    # Outsiders get a 403 page, visitors the login, unknown and unpublished quizzes a 404.
    outsider = login_as("Student")
    assert outsider.get(f"/quizzes/{data['quiz']}").status_code == 403
    assert outsider.post(f"/quizzes/{data['quiz']}/start").status_code == 403
    assert outsider.get(f"/attempts/{attempt_id}").status_code == 404
    assert outsider.get(f"/attempts/{attempt_id}/state").status_code == 404
    assert "/login/" in client.get(f"/quizzes/{data['quiz']}").headers["Location"]
    assert student.get("/quizzes/999999").status_code == 404
    with app.app_context():
        db.session.execute(update(Quiz).where(Quiz.id == data["quiz"]).values(is_published=False))
        db.session.commit()
    assert student.get(f"/quizzes/{data['quiz']}").status_code == 404


def test_resuming_shows_the_same_drawn_questions(app, login_as):
    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(instructors=[instructor], title="Drawn")
        bank = make_bank(instructor, course)
        for n in range(6):
            make_question(bank, text=f"Drawn question {n}?")
        quiz = make_quiz(course, draws=[(bank, None, 3)], shuffle_questions=True, shuffle_options=True)
        data = {"course": course.id, "quiz": quiz.id}
        db.session.remove()
    student = _student(app, login_as, data)
    first = _start(student, data)
    shown = re.findall(r'data-question-id="(\d+)"', page_text(student.get(f"/attempts/{first}")))
    options = re.findall(r'name="answer-\d+" value="(\d+)"', page_text(student.get(f"/attempts/{first}")))
    assert len(shown) == 3
    assert _start(student, data) == first, "starting again resumes"
    again = page_text(student.get(f"/attempts/{first}"))
    assert re.findall(r'data-question-id="(\d+)"', again) == shown
    assert re.findall(r'name="answer-\d+" value="(\d+)"', again) == options


def test_autosave_stores_answers_until_the_deadline(app, login_as, monkeypatch):
    data = _setup(app, {"time_limit_minutes": 5})
    student, outsider = _student(app, login_as, data), login_as("Student")
    attempt_id = _start(student, data)
    page = page_text(student.get(f"/attempts/{attempt_id}"))
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    url = f"/attempts/{attempt_id}/answer"
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    body = {"question_id": data["choice"], "answer": [data["right"]]}
    assert student.post(url, json=body).status_code == 400, "no CSRF header, no save"
    saved = student.post(url, json=body, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json["saved"] is True
    assert 0 < saved.json["seconds_left"] <= 300
    headers = {"X-CSRFToken": token}
    bad = student.post(url, json={"question_id": 999999, "answer": "x"}, headers=headers)
    assert bad.status_code == 422 and bad.is_json
    assert outsider.post(url, json=body, headers=headers).status_code in (400, 404)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert 'value="{}"\n                         checked'.format(data["right"]) in page_text(
        student.get(f"/attempts/{attempt_id}")
    ), "the saved choice is checked on reload"
    with app.app_context():
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id)
            .values(deadline_at=utcnow() - timedelta(seconds=5))
        )
        db.session.commit()
    late = student.post(url, json={"question_id": data["short"], "answer": "Paris"})
    assert late.status_code == 403 and late.is_json and "Time is up" in late.json["message"]
    with app.app_context():
        texts = db.session.scalars(
            select(AttemptAnswer.text_answer).where(
                AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.question_id == data["short"]
            )
        ).all()
        state = db.session.get(QuizAttempt, attempt_id).state
        db.session.remove()
    assert "Paris" not in texts and state != "in_progress"


def test_submit_shows_the_result_when_review_is_immediate(app, login_as):
    data = _setup(app, {"review_option": "immediately"})
    student = _student(app, login_as, data)
    attempt_id = _start(student, data)
    response = _submit(student, attempt_id, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    page = page_text(student.get(f"/attempts/{attempt_id}"))
    assert "Your answers were submitted." in page  # the flash
    assert "Score: 2 / 2" in page and "100%" in page and 'id="result-passed">Passed' in page
    assert page.count(">Correct<") == 2 and "Right answer" in page
    quiz_page = page_text(student.get(f"/quizzes/{data['quiz']}"))
    assert "Your grade: 100%" in quiz_page and "Graded" in quiz_page
    again = _submit(student, attempt_id, data)
    assert again.status_code == 302
    assert "already finished" in page_text(student.get(f"/attempts/{attempt_id}"))


def test_submit_hides_the_result_when_review_is_never(app, login_as):
    data = _setup(app, {"review_option": "never"})
    student = _student(app, login_as, data)
    attempt_id = _start(student, data)
    _submit(student, attempt_id, data, short="Lyon")
    page = page_text(student.get(f"/attempts/{attempt_id}"))
    assert 'id="submitted-note"' in page and "not shown to learners" in page
    assert "Score:" not in page and ">Correct<" not in page and "Right answer" not in page
    assert "Which one is right?" not in page, "no questions to copy either"
    quiz_page = page_text(student.get(f"/quizzes/{data['quiz']}"))
    assert "Not released" in quiz_page and "Your grade" not in quiz_page


def test_attempt_limit_hides_start_and_refuses_another(app, login_as):
    data = _setup(app, {"max_attempts": 1})
    student = _student(app, login_as, data)
    _submit(student, _start(student, data), data)
    page = page_text(student.get(f"/quizzes/{data['quiz']}"))
    assert 'id="start-quiz"' not in page and "You have used all your attempts" in page
    assert "1 of 1 used, 0 left" in page
    refused = student.post(f"/quizzes/{data['quiz']}/start")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/quizzes/{data['quiz']}")
    with app.app_context():
        count = db.session.scalar(
            select(func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == data["quiz"])
        )
        db.session.remove()
    assert count == 1


def test_lesson_player_links_its_quiz_and_assignment(app, login_as):
    data = _setup(app)
    student = _student(app, login_as, data)
    page = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['lesson']}"))
    assert f'href="/quizzes/{data["quiz"]}"' in page and "Capitals quiz" in page
    assert f'href="/assignments/{data["assignment"]}"' in page and "Essay on rivers" in page
    assert 'href="/my/grades"' in page and 'href="/my/certificates"' in page, "portal navigation"


# ---- assignments -----------------------------------------------------------------------------
def test_assignment_text_submission(app, login_as):
    data = _setup(app, due_at=utcnow() + timedelta(days=2))
    student = _student(app, login_as, data)
    url = f"/assignments/{data['assignment']}"
    page = page_text(student.get(url))
    assert "Do it." in page and "Not Submitted" in page and 'enctype="multipart/form-data"' in page
    assert "At most 5 files" in page and "up to 100 MB each" in page
    response = student.post(url, data={"text": "Rivers <b>flow</b> to the sea"})
    assert response.status_code == 302
    page = page_text(student.get(url))
    assert "Your work was handed in." in page and ">Submitted<" in page
    assert "Rivers <b>flow</b> to the sea" in page and "Hand in again" in page
    assert login_as("Student").get(url).status_code == 403


def test_assignment_file_submission_is_linked_for_download(app, login_as, media_config):
    data = _setup(app, allowed_extensions=["png", "pdf"], max_files=2)
    student = _student(app, login_as, data)
    url = f"/assignments/{data['assignment']}"
    assert "Accepted types: pdf, png." in page_text(student.get(url))
    response = student.post(
        url,
        data={"text": "", "files": [(io.BytesIO(png_bytes((40, 30))), "map.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = page_text(student.get(url))
    assert "Your work was handed in." in page
    link = re.search(r'<a href="(/media/[^"]+)">map.png</a>', page)
    assert link, page
    download = student.get(link.group(1))
    assert download.status_code == 200 and download.data.startswith(b"\x89PNG")


def test_late_submission_is_refused_when_the_policy_says_so(app, login_as):
    data = _setup(app, due_at=utcnow() - timedelta(hours=1), late_policy="refuse")
    student = _student(app, login_as, data)
    url = f"/assignments/{data['assignment']}"
    page = page_text(student.get(url))
    assert 'id="submissions-closed"' in page and 'id="submission-form"' not in page
    assert "Not accepted after the due date." in page
    student.post(url, data={"text": "Too late?"})
    assert "does not accept late work" in page_text(student.get(url))
    with app.app_context():
        count = db.session.scalar(
            select(func.count(Submission.id)).where(Submission.assignment_id == data["assignment"])
        )
        db.session.remove()
    assert count == 0


def test_graded_assignment_shows_points_penalty_feedback_and_rubric(app, login_as):
    data = _setup(app, due_at=utcnow() - timedelta(hours=1), late_policy="penalty", late_penalty_percent=10)
    student = _student(app, login_as, data)
    url = f"/assignments/{data['assignment']}"
    assert "marked late" in page_text(student.get(url))
    student.post(url, data={"text": "Late but here"})
    with app.app_context():
        instructor = db.session.get(LmsUser, data["instructor"])
        rubric = make_rubric(instructor, [[0, 5, 10], [0, 5, 10]])
        work = db.session.get(Assignment, data["assignment"])
        work.rubric_id = rubric.id
        db.session.commit()
        levels = {str(c.id): c.levels[-1].id for c in rubric.criteria}
        submission = assignment_service.submission_of(work, student.user_id)
        with transaction():  # the service flushes; its caller commits
            assignment_service.grade_submission(
                instructor, submission, levels=levels, feedback="<p>Well argued</p>"
            )
        db.session.remove()
    page = page_text(student.get(url))
    assert 'id="assignment-grade"' in page and "Graded" in page and "Late penalty" in page
    assert "100 / 100" in page and "\u221210" in page and "90 / 100" in page and "(90%)" in page
    assert "Well argued" in page and "Criterion 1" in page and "10 points" in page
    assert 'id="submission-form"' not in page, "no more submissions once graded"


# ---- my grades -------------------------------------------------------------------------------
def test_my_grades_shows_items_and_the_weighted_total(app, login_as):
    data = _setup(app)
    student = _student(app, login_as, data)
    _submit(student, _start(student, data), data, short="Lyon")  # 1 of 2: 50 %
    student.post(f"/assignments/{data['assignment']}", data={"text": "My essay"})
    with app.app_context():
        work = db.session.get(Assignment, data["assignment"])
        submission = assignment_service.submission_of(work, student.user_id)
        instructor = db.session.get(LmsUser, data["instructor"])
        with transaction():
            assignment_service.grade_submission(instructor, submission, points=80)
        db.session.remove()
    page = page_text(student.get("/my/grades"))
    assert "Geography" in page and "Capitals quiz" in page and "Essay on rivers" in page
    assert f'href="/quizzes/{data["quiz"]}"' in page and f'href="/assignments/{data["assignment"]}"' in page
    assert "50%" in page and "80%" in page and "(80 / 100)" in page and ">Passed<" in page
    assert "<strong>65%</strong>" in page, "weighted total of 50 and 80 with equal weights"


# ---- certificates ----------------------------------------------------------------------------
def _certificate(app, student_id: int, *, render: bool = True) -> dict[str, Any]:
    """A certificate of a completed course, issued with its PDF, or a bare row without one."""
    with app.app_context():
        course = make_course(title="Data Analysis", title_ar="تحليل البيانات")
        set_completion(course, certificate_enabled=True)
        make_enrollment(student_id, course, status="completed")
        if render:
            with transaction():  # the service flushes; its caller commits
                certificate = certificates.issue_certificate(student_id, course.id)
        else:
            user = db.session.get(LmsUser, student_id)
            certificate = Certificate(
                number=certificates.new_certificate_number(),
                user_id=student_id,
                course_id=course.id,
                student_name=f"{user.first_name} {user.last_name}",
                course_title="Data Analysis",
                completed_on=utcnow().date(),
                issued_at=utcnow(),
            )
            db.session.add(certificate)
            db.session.commit()
        result = {"id": certificate.id, "number": certificate.number, "course": course.id}
        db.session.remove()
    return result


def test_my_certificates_lists_and_downloads_only_for_the_owner(app, login_as, media_config):
    student, other = login_as("Student"), login_as("Student")
    cert = _certificate(app, student.user_id)
    page = page_text(student.get("/my/certificates"))
    assert "Data Analysis" in page and cert["number"] in page and ">Valid<" in page
    assert f"/verify/{cert['number']}" in page and "data-copy=" in page and "js/certificates.js" in page
    download_url = f"/my/certificates/{cert['id']}/download"
    assert download_url in page
    redirect = student.get(download_url)
    assert redirect.status_code == 302 and "/media/" in redirect.headers["Location"]
    pdf = student.get(redirect.headers["Location"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert other.get(download_url).status_code == 404
    assert cert["number"] not in page_text(other.get("/my/certificates"))


def test_my_certificates_says_when_the_pdf_is_not_ready_and_shows_revocations(app, login_as):
    student = login_as("Student")
    cert = _certificate(app, student.user_id, render=False)
    page = page_text(student.get("/my/certificates"))
    assert "The PDF is being prepared" in page and f"/my/certificates/{cert['id']}/download" not in page
    with app.app_context():
        row = db.session.get(Certificate, cert["id"])
        row.revoked_at, row.revoked_reason = utcnow(), "Plagiarism found"
        db.session.commit()
        db.session.remove()
    page = page_text(student.get("/my/certificates"))
    assert ">Revoked<" in page and "Plagiarism found" in page


def test_a_certificate_can_be_favorited_from_my_certificates(app, login_as):
    student = login_as("Student")
    cert = _certificate(app, student.user_id, render=False)
    page = page_text(student.get("/my/certificates"))
    assert 'name="target_type" value="certificate"' in page
    assert f'name="target_id" value="{cert["id"]}"' in page
    assert 'aria-pressed="false"' in page
    posted = student.post(
        "/my/favorites/toggle",
        data={"target_type": "certificate", "target_id": cert["id"], "action": "add"}
        | {"next": "/my/certificates"},
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/my/certificates")
    page = page_text(student.get("/my/certificates"))
    assert 'aria-pressed="true"' in page
    assert cert["number"] in page_text(student.get("/my/favorites?kind=certificate"))


def test_verify_page_for_valid_revoked_and_unknown_numbers(app, client, login_as):
    student = login_as("Student")
    cert = _certificate(app, student.user_id, render=False)
    number = cert["number"]
    valid = client.get(f"/verify/{number}")
    text = page_text(valid)
    assert valid.status_code == 200 and 'data-status="valid"' in text and "Data Analysis" in text
    assert '<meta name="robots" content="noindex">' in text and number in text
    loose = client.get(f"/verify/{number.lower().replace('-', '')}")
    assert loose.status_code == 301 and loose.headers["Location"].endswith(f"/verify/{number}")
    typed = client.get("/verify", query_string={"number": f" {number.lower()} "})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{number}")
    form = client.get("/verify")
    assert form.status_code == 200 and 'name="number"' in page_text(form)
    with app.app_context():
        row = db.session.get(Certificate, cert["id"])
        row.revoked_at, row.revoked_reason = utcnow(), "Issued by mistake"
        db.session.commit()
        db.session.remove()
    revoked = client.get(f"/verify/{number}")
    assert revoked.status_code == 200 and 'data-status="revoked"' in page_text(revoked)
    assert "Issued by mistake" in page_text(revoked)
    unknown = client.get("/verify/CERT-0000-0000-0000-0000")
    assert unknown.status_code == 404 and 'data-status="unknown"' in page_text(unknown)
    assert client.get("/verify/nonsense").status_code == 301
    assert client.get("/verify/NONSENSE").status_code == 404
    client.get("/lang/ar")
    arabic = page_text(client.get(f"/verify/{number}"))
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic


def test_portal_pages_need_a_sign_in(client):
    for url in (
        "/my/grades",
        "/my/certificates",
        "/assignments/1",
        "/attempts/1",
        "/my/certificates/1/download",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.headers["Location"], url
    assert client.post("/attempts/1/answer", json={}).status_code == 401
    assert client.get("/attempts/1/state").status_code == 401
