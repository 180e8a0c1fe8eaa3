"""Assessments REST API: row scoping, object checks on writes, the quiz and assignment flows, the
gradebook, certificates and their public verification, and bad bodies."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.assessments.models import AttemptAnswer, Certificate, Question, Quiz, QuizAttempt, QuizQuestion
from app.core.models import utcnow
from app.courses.models import Course, Enrollment
from app.extensions import db
from tests.assessment_factories import make_assignment, make_bank, make_question, make_quiz, set_completion
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user


@pytest.fixture
def world(app):
    """Two instructors with a course, a bank and a quiz each; alice enrolled in mine, bob in none."""
    with app.app_context():
        me, other = make_user("Instructor"), make_user("Instructor")
        alice, bob = make_user("Student"), make_user("Student")
        mine = make_course(instructors=[me], title="Mine")
        theirs = make_course(instructors=[other], title="Theirs")
        make_enrollment(alice, mine)
        bank, their_bank = make_bank(me, mine), make_bank(other, theirs)
        choice = make_question(bank, "multiple_choice")
        short = make_question(bank, "short_answer", accepted=["Paris"])
        their_question = make_question(their_bank, "true_false")
        quiz = make_quiz(mine, questions=[choice, short], review_option="never")
        their_quiz = make_quiz(theirs, questions=[their_question])
        assignment = make_assignment(mine)
        ids: dict[str, Any] = {
            "me": me.id,
            "alice": alice.id,
            "mine": mine.id,
            "theirs": theirs.id,
            "bank": bank.id,
            "their_bank": their_bank.id,
            "choice": choice.id,
            "right": next(o.id for o in choice.options if o.is_correct),
            "wrong": next(o.id for o in choice.options if not o.is_correct),
            "short": short.id,
            "their_question": their_question.id,
            "quiz": quiz.id,
            "their_quiz": their_quiz.id,
            "assignment": assignment.id,
        }
        names = {"me": me, "other": other, "alice": alice, "bob": bob}
        names = {key: user.username for key, user in names.items()}
        db.session.remove()
    client = app.test_client()
    headers = {key: jwt_headers(client, name) for key, name in names.items()}
    return client, headers, ids


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {row["id"] for row in response.json["result"]}


def _count(app, model: type, *where: Any) -> int:
    with app.app_context():
        count = db.session.scalar(select(db.func.count(model.id)).where(*where))
        db.session.remove()
    return count


def test_students_cannot_read_banks_questions_or_options(world):
    client, headers, ids = world
    for resource in ("question_bank", "question", "question_option"):
        assert client.get(f"/api/v1/{resource}/", headers=headers["alice"]).status_code == 403
    assert client.get(f"/api/v1/question/{ids['choice']}", headers=headers["alice"]).status_code == 403
    assert (
        client.get(f"/api/v1/question_bank/{ids['bank']}/export", headers=headers["alice"]).status_code == 403
    )
    # the owner reads questions with their options (and the answers)
    question = client.get(f"/api/v1/question/{ids['choice']}", headers=headers["me"])
    assert question.status_code == 200
    assert {o["id"]: o["is_correct"] for o in question.json["result"]["options"]}[ids["right"]] is True


def test_instructors_see_and_change_only_their_own(app, world):
    client, headers, ids = world
    me = headers["me"]
    quizzes = _ids(client.get("/api/v1/quiz/", headers=me))
    assert ids["quiz"] in quizzes and ids["their_quiz"] not in quizzes
    assert client.get(f"/api/v1/quiz/{ids['their_quiz']}", headers=me).status_code == 404
    assert (
        client.put(f"/api/v1/quiz/{ids['their_quiz']}", json={"pass_mark": 1}, headers=me).status_code == 404
    )
    assert client.delete(f"/api/v1/quiz/{ids['their_quiz']}", headers=me).status_code == 404
    questions = _ids(client.get("/api/v1/question/", headers=me))
    assert {ids["choice"], ids["short"]} <= questions and ids["their_question"] not in questions
    assert client.get(f"/api/v1/question/{ids['their_question']}", headers=me).status_code == 404
    # forged ids of their course, bank and question
    title = {"en": {"title": "Forged"}}
    forged = client.post(
        "/api/v1/quiz/", json={"course_id": ids["theirs"], "translations": title}, headers=me
    )
    assert forged.status_code == 403 and forged.json["message"]
    moved = client.put(f"/api/v1/quiz/{ids['quiz']}", json={"course_id": ids["theirs"]}, headers=me)
    assert moved.status_code == 403
    link = {"quiz_id": ids["quiz"], "question_id": ids["their_question"]}
    assert client.post("/api/v1/quiz_question/", json=link, headers=me).status_code == 403
    draw = {"quiz_id": ids["quiz"], "bank_id": ids["their_bank"], "count": 1}
    assert client.post("/api/v1/quiz_draw/", json=draw, headers=me).status_code == 403
    question = {"bank_id": ids["their_bank"], "type": "essay", "translations": {"en": {"text": "Why?"}}}
    assert client.post("/api/v1/question/", json=question, headers=me).status_code == 403
    bank = {"course_id": ids["theirs"], "translations": {"en": {"title": "Mine now"}}}
    assert client.post("/api/v1/question_bank/", json=bank, headers=me).status_code == 403
    assert _count(app, Quiz, Quiz.course_id == ids["theirs"]) == 1
    assert _count(app, QuizQuestion, QuizQuestion.question_id == ids["their_question"]) == 1
    with app.app_context():
        assert db.session.get(Quiz, ids["quiz"]).course_id == ids["mine"]
        db.session.remove()


def test_minimal_quiz_and_question_writes(app, world):
    client, headers, ids = world
    me = headers["me"]
    created = client.post(
        "/api/v1/quiz/", json={"course_id": ids["mine"], "translations": {"en": {"title": "Q2"}}}, headers=me
    )
    assert created.status_code == 201, created.json
    quiz_id = created.json["id"]
    shown = client.get(f"/api/v1/quiz/{quiz_id}", headers=me).json["result"]
    assert shown["grading_method"] == "highest" and shown["review_option"] == "immediately"
    link = client.post(
        "/api/v1/quiz_question/", json={"quiz_id": quiz_id, "question_id": ids["choice"]}, headers=me
    )
    assert link.status_code == 201, link.json
    again = client.post(
        "/api/v1/quiz_question/", json={"quiz_id": quiz_id, "question_id": ids["choice"]}, headers=me
    )
    assert again.status_code == 409
    # questions go through the bank rules: options inline
    body = {
        "bank_id": ids["bank"],
        "type": "multiple_choice",
        "translations": {"en": {"text": "2 + 2?"}, "ar": {"text": "٢ + ٢؟"}},
        "options": [{"text_en": "4", "is_correct": False}, {"text_en": "5"}],
    }
    bad = client.post("/api/v1/question/", json=body, headers=me)
    assert bad.status_code == 422 and "options" in bad.json["errors"]
    body["options"][0]["is_correct"] = True
    good = client.post("/api/v1/question/", json=body, headers=me)
    assert good.status_code == 201, good.json
    assert [o["is_correct"] for o in good.json["result"]["options"]] == [True, False]
    question_id = good.json["id"]
    changed = client.put(f"/api/v1/question/{question_id}", json={"points": 3}, headers=me)
    assert changed.status_code == 200 and changed.json["result"]["points"] in (3, "3.00", 3.0)
    assert client.put(f"/api/v1/question/{question_id}", json={"options": []}, headers=me).status_code == 422
    assert client.put(f"/api/v1/question/{question_id}", json={"colour": 1}, headers=me).status_code == 422
    # a third option on a true/false question breaks its rules
    tf = client.post(
        "/api/v1/question/",
        json={
            "bank_id": ids["bank"],
            "type": "true_false",
            "translations": {"en": {"text": "Sky is blue?"}},
            "options": [{"text_en": "True", "is_correct": True}, {"text_en": "False"}],
        },
        headers=me,
    )
    assert tf.status_code == 201, tf.json
    option = {"question_id": tf.json["id"], "translations": {"en": {"text": "Maybe"}}}
    assert client.post("/api/v1/question_option/", json=option, headers=me).status_code == 422
    first = tf.json["result"]["options"][0]["id"]
    assert client.delete(f"/api/v1/question_option/{first}", headers=me).status_code == 422


def test_rubric_override_and_completion_writes(world):
    client, headers, ids = world
    me, other, title = headers["me"], headers["other"], {"en": {"title": "R"}}
    rubric = client.post("/api/v1/rubric/", json={"translations": title}, headers=me)
    assert rubric.status_code == 201 and rubric.json["result"]["owner_id"] == ids["me"]
    criterion = {"rubric_id": rubric.json["id"], "translations": title}
    criterion_id = client.post("/api/v1/rubric_criterion/", json=criterion, headers=me).json["id"]
    level = {"criterion_id": criterion_id, "translations": title, "points": 5}
    assert client.post("/api/v1/rubric_level/", json=level, headers=other).status_code == 403
    assert client.post("/api/v1/rubric_level/", json={**level, "points": -1}, headers=me).status_code == 422
    assert client.post("/api/v1/rubric_level/", json=level, headers=me).status_code == 201
    foreign = {"course_id": ids["theirs"], "translations": title, "rubric_id": rubric.json["id"]}
    assert client.post("/api/v1/assignment/", json=foreign, headers=other).status_code == 403
    url, override = "/api/v1/quiz_override/", {"quiz_id": ids["quiz"], "user_id": ids["alice"]}
    assert client.post(url, json=override, headers=me).status_code == 201
    assert client.post(url, json=override, headers=me).status_code == 409
    assert client.post(url, json={**override, "quiz_id": ids["their_quiz"]}, headers=me).status_code == 403
    assert client.post(url, json={**override, "user_id": 2**40}, headers=me).status_code == 422
    completion = {"course_id": ids["mine"], "certificate_enabled": True}
    assert client.post("/api/v1/course_completion/", json=completion, headers=me).status_code == 201
    assert client.post("/api/v1/course_completion/", json=completion, headers=me).status_code == 409
    assert (
        client.post("/api/v1/course_completion/", json={"course_id": ids["theirs"]}, headers=me).status_code
        == 403
    )


def _start(client, headers, quiz_id):
    response = client.post(f"/api/v1/quiz/{quiz_id}/start", headers=headers)
    assert response.status_code in (200, 201), response.json
    return response


def test_quiz_flow_hides_answers_until_review_opens(app, world):
    client, headers, ids = world
    alice = headers["alice"]
    started = _start(client, alice, ids["quiz"])
    assert started.status_code == 201
    attempt_id = started.json["id"]
    assert _start(client, alice, ids["quiz"]).status_code == 200  # resumed, same attempt
    assert _start(client, alice, ids["quiz"]).json["id"] == attempt_id
    for question in started.json["result"]["questions"]:
        assert all("is_correct" not in option for option in question["options"])
    url = f"/api/v1/quiz_attempt/{attempt_id}"
    saved = client.post(
        f"{url}/answer", json={"question_id": ids["choice"], "answer": ids["right"]}, headers=alice
    )
    assert saved.status_code == 200 and saved.json["result"]["selected_option_ids"] == [ids["right"]]
    submitted = client.post(f"{url}/submit", json={"answers": {str(ids["short"]): "paris"}}, headers=alice)
    assert submitted.status_code == 200, submitted.json
    view = submitted.json["result"]
    assert view["state"] == "graded" and view["review_available"] is False and "score" not in view
    assert all("is_correct" not in o for q in view["questions"] for o in q["options"])
    assert "score" not in client.get(url, headers=alice).json["result"]
    answers = client.get("/api/v1/attempt_answer/", headers=alice).json["result"]
    assert len(answers) == 2 and all("is_correct" not in a and "points_awarded" not in a for a in answers)
    assert (
        client.post(
            f"{url}/answer", json={"question_id": ids["choice"], "answer": []}, headers=alice
        ).status_code
        == 409
    )
    # the staff see everything
    staff = client.get(f"{url}/review", headers=headers["me"]).json["result"]
    assert staff["score"] == "2.00" and staff["passed"] is True
    assert client.get(url, headers=headers["me"]).json["result"]["score"] in ("2.00", 2.0, 2)
    # once the quiz reviews immediately, the learner sees the correct answers and the score
    opened = client.put(
        f"/api/v1/quiz/{ids['quiz']}", json={"review_option": "immediately"}, headers=headers["me"]
    )
    assert opened.status_code == 200, opened.json
    review = client.get(f"{url}/review", headers=alice).json["result"]
    assert review["review_available"] is True and review["score"] == "2.00"
    choice = next(q for q in review["questions"] if q["id"] == ids["choice"])
    assert {o["id"]: o["is_correct"] for o in choice["options"]}[ids["right"]] is True
    assert "score" in client.get(url, headers=alice).json["result"]
    # nobody else's business
    assert client.get(url, headers=headers["bob"]).status_code == 404
    assert client.get(f"{url}/review", headers=headers["other"]).status_code == 404
    assert attempt_id not in _ids(client.get("/api/v1/quiz_attempt/", headers=headers["bob"]))
    assert client.post(f"/api/v1/quiz/{ids['quiz']}/start", headers=headers["bob"]).status_code in (403, 404)
    assert client.post(f"/api/v1/quiz/{ids['their_quiz']}/start", headers=alice).status_code == 404


def test_an_answer_after_the_deadline_is_refused(app, world):
    client, headers, ids = world
    alice = headers["alice"]
    attempt_id = _start(client, alice, ids["quiz"]).json["id"]
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    late = client.post(
        f"/api/v1/quiz_attempt/{attempt_id}/answer",
        json={"question_id": ids["choice"], "answer": ids["right"]},
        headers=alice,
    )
    assert late.status_code == 403 and late.json["message"]
    with app.app_context():
        stored = db.session.scalar(
            select(AttemptAnswer).where(
                AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.question_id == ids["choice"]
            )
        )
        assert stored is None or stored.selected_option_ids == []
        assert db.session.get(QuizAttempt, attempt_id).state != "in_progress"
        db.session.remove()


def test_bad_bodies_are_400_or_422(app, world):
    client, headers, ids = world
    alice, me = headers["alice"], headers["me"]
    attempt_id = _start(client, alice, ids["quiz"]).json["id"]
    url = f"/api/v1/quiz_attempt/{attempt_id}"
    assert client.post(f"{url}/answer", json=[1, 2], headers=alice).status_code == 400
    assert (
        client.post(f"{url}/answer", data="{nope", content_type="application/json", headers=alice).status_code
        == 400
    )
    for body in (
        {"question_id": "x", "answer": 1},
        {"question_id": True, "answer": 1},
        {"question_id": 10**30, "answer": 1},
        {"question_id": ids["their_question"], "answer": 1},
        {"question_id": ids["choice"], "answer": 10**30},
        {"question_id": ids["choice"], "answer": {"a": 1}},
        {"question_id": ids["short"], "answer": ["x"]},
    ):
        response = client.post(f"{url}/answer", json=body, headers=alice)
        assert response.status_code == 422, (body, response.json)
        assert set(response.json) >= {"message", "errors"}
    assert client.post(f"{url}/submit", json={"answers": [1]}, headers=alice).status_code == 422
    assert client.post(f"{url}/submit", json={"answers": {"x": 1}}, headers=alice).status_code == 422
    assert (
        client.post(f"{url}/grade", json={"question_id": ids["choice"], "points": 1}, headers=me).status_code
        == 409
    )
    client.post(f"{url}/submit", headers=alice)
    for points in ("abc", None, True, 10**30, -1, [1]):
        body = {"question_id": ids["choice"], "points": points}
        assert client.post(f"{url}/grade", json=body, headers=me).status_code == 422, points
    regraded = client.post(
        f"{url}/grade", json={"question_id": ids["choice"], "points": 0.5, "feedback": "Half"}, headers=me
    )
    assert regraded.status_code == 200 and regraded.json["result"]["score"] == "0.50"
    title = {"en": {"title": "T"}}
    assert client.post("/api/v1/quiz/", json=["x"], headers=me).status_code == 400
    for extra in (
        {"pass_mark": 10**9},
        {"time_limit_minutes": 10**12},
        {"grading_method": "bogus"},
        {"course_id": 10**30},
        {"course_id": "x"},
        {"lesson_id": 987654321},
        {"translations": {"fr": {"title": "Non"}}},
        {"translations": {"en": {"title": ""}}},
        {"opens_at": "2030-01-02T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"},
    ):
        body = {"course_id": ids["mine"], "translations": title, **extra}
        response = client.post("/api/v1/quiz/", json=body, headers=me)
        assert response.status_code == 422, (extra, response.json)
    assert client.put(f"/api/v1/quiz/{ids['quiz']}", json={"max_attempts": -3}, headers=me).status_code == 422
    assert client.put("/api/v1/quiz/abc", json={}, headers=me).status_code == 404
    assert client.get(f"/api/v1/quiz/{10**25}", headers=me).status_code == 404
    assert client.post(f"/api/v1/quiz/{10**25}/start", headers=alice).status_code == 404
    # CSV import: a wrong row imports nothing, a good file imports every row
    bank_url = f"/api/v1/question_bank/{ids['bank']}"
    bad_csv = client.post(
        f"{bank_url}/import", data="type,text_en\nnope,Hi\n", content_type="text/csv", headers=me
    )
    assert bad_csv.status_code == 422 and bad_csv.json["errors"]
    good_csv = client.post(
        f"{bank_url}/import",
        data={"file": (io.BytesIO(b"type,text_en\nessay,Why?\nessay,How?\n"), "q.csv")},
        content_type="multipart/form-data",
        headers=me,
    )
    assert good_csv.status_code == 200 and good_csv.json["created"] == 2
    exported = client.get(f"{bank_url}/export", headers=me)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"] and "How?" in exported.get_data(
        as_text=True
    )
    assert client.post(f"{bank_url}/import", json={}, headers=me).status_code == 422
    assert client.get(f"/api/v1/question_bank/{ids['their_bank']}/export", headers=me).status_code == 404
    assert _count(app, Question, Question.bank_id == ids["bank"]) == 4


def test_assignment_submit_and_grade(app, world, media_config):
    client, headers, ids = world
    alice, me = headers["alice"], headers["me"]
    url = f"/api/v1/assignment/{ids['assignment']}/submit"
    assert client.post(url, json={"text": 5}, headers=alice).status_code == 422
    assert client.post(url, json={"text": ""}, headers=alice).status_code == 422
    submitted = client.post(url, json={"text": "<p>My work</p><script>alert(1)</script>"}, headers=alice)
    assert submitted.status_code == 200, submitted.json
    result = submitted.json["result"]
    assert result["status"] == "submitted" and "script" not in result["text"] and "My work" in result["text"]
    again = client.post(
        url,
        data={"text": "Second", "file": (io.BytesIO(b"notes"), "notes.txt")},
        content_type="multipart/form-data",
        headers=alice,
    )
    assert again.status_code == 200, again.json
    assert again.json["result"]["submission_count"] == 2 and [
        f["name"] for f in again.json["result"]["files"]
    ] == ["notes.txt"]
    assert client.post(url, json={"text": "Mine"}, headers=headers["bob"]).status_code in (403, 404)
    submission_id = result["id"]
    grade_url = f"/api/v1/submission/{submission_id}/grade"
    assert client.post(grade_url, json={"points": 80}, headers=alice).status_code == 403
    assert client.post(grade_url, json={"points": 80}, headers=headers["other"]).status_code == 404
    for body in ({"points": 1000}, {"points": "x"}, {}, {"levels": [1]}, {"points": 5, "feedback": 7}):
        assert client.post(grade_url, json=body, headers=me).status_code == 422, body
    graded = client.post(grade_url, json={"points": 80, "feedback": "<b>Good</b>"}, headers=me)
    assert graded.status_code == 200, graded.json
    assert graded.json["result"]["status"] == "graded" and graded.json["result"]["points"] == "80.00"
    assert client.post(url, json={"text": "Too late"}, headers=alice).status_code == 409
    own = client.get("/api/v1/submission/", headers=alice)
    assert _ids(own) == {submission_id}
    assert submission_id not in _ids(client.get("/api/v1/submission/", headers=headers["bob"]))
    assert client.get(f"/api/v1/submission/{submission_id}", headers=headers["other"]).status_code == 404
    history = client.get("/api/v1/grade_change/", headers=me).json["result"]
    assert [row["new_points"] for row in history] in (["80.00"], [80.0], [80])
    assert client.get("/api/v1/grade_change/", headers=alice).status_code == 403


def test_gradebook_for_the_staff_only(app, world):
    client, headers, ids = world
    me = headers["me"]
    attempt_id = _start(client, headers["alice"], ids["quiz"]).json["id"]
    body = {"answers": {str(ids["choice"]): ids["right"], str(ids["short"]): "London"}}
    client.post(f"/api/v1/quiz_attempt/{attempt_id}/submit", json=body, headers=headers["alice"])
    book = client.get(f"/api/v1/gradebook/{ids['mine']}", headers=me)
    assert book.status_code == 200, book.json
    key = f"quiz:{ids['quiz']}"
    assert key in [item["key"] for item in book.json["items"]]
    row = next(r for r in book.json["rows"] if r["user_id"] == ids["alice"])
    assert row["cells"][key] == "50.00" and book.json["totals"]["learners"] == 1
    assert (
        client.get(f"/api/v1/gradebook/{ids['mine']}?kind=assignment", headers=me).json["items"][0]["kind"]
        == "assignment"
    )
    assert client.get(f"/api/v1/gradebook/{ids['mine']}?q=nobody-like-this", headers=me).json["rows"] == []
    assert client.get(f"/api/v1/gradebook/{ids['mine']}?kind=bogus", headers=me).status_code == 422
    csv = client.get(f"/api/v1/gradebook/{ids['mine']}/csv", headers=me)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"] and "50.00" in csv.get_data(as_text=True)
    assert client.get(f"/api/v1/gradebook/{ids['mine']}", headers=headers["alice"]).status_code == 403
    assert client.get(f"/api/v1/gradebook/{ids['mine']}/csv", headers=headers["alice"]).status_code == 403
    assert client.get(f"/api/v1/gradebook/{ids['mine']}", headers=headers["other"]).status_code == 403
    assert client.get("/api/v1/gradebook/987654321", headers=me).status_code == 404
    assert client.get(f"/api/v1/gradebook/{ids['mine']}").status_code == 401


def test_certificates_issue_verify_and_revoke(app, world, media_config):
    client, headers, ids = world
    me = headers["me"]
    unknown = client.get("/api/v1/certificate/verify/CERT-0000-0000-0000-0000")
    assert unknown.status_code == 404 and unknown.json["status"] == "unknown" and unknown.json["message"]
    assert client.get("/api/v1/certificate/verify/" + "x" * 5000).status_code == 404
    issue = {"user_id": ids["alice"], "course_id": ids["mine"]}
    assert client.post("/api/v1/certificate/issue", json=issue, headers=me).status_code == 409  # not enabled
    with app.app_context():
        set_completion(db.session.get(Course, ids["mine"]), certificate_enabled=True)
        db.session.remove()
    refused = client.post("/api/v1/certificate/issue", json=issue, headers=me)
    assert refused.status_code == 409 and refused.json["message"]  # not completed
    with app.app_context():
        enrolment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == ids["alice"]))
        enrolment.completed_at = utcnow()
        db.session.commit()
        db.session.remove()
    assert client.post("/api/v1/certificate/issue", json=issue, headers=headers["other"]).status_code == 403
    assert client.post("/api/v1/certificate/issue", json=issue, headers=headers["alice"]).status_code == 403
    for body in (
        {"user_id": "x", "course_id": ids["mine"]},
        {"user_id": ids["alice"]},
        {"user_id": 10**20, "course_id": 1},
    ):
        assert client.post("/api/v1/certificate/issue", json=body, headers=me).status_code == 422, body
    assert client.post("/api/v1/certificate/issue", json="text", headers=me).status_code == 400
    issued = client.post("/api/v1/certificate/issue", json=issue, headers=me)
    assert issued.status_code == 201, issued.json
    assert client.post("/api/v1/certificate/issue", json=issue, headers=me).status_code == 200  # the same one
    cert_id, number = issued.json["id"], issued.json["result"]["number"]
    valid = client.get(f"/api/v1/certificate/verify/{number.lower()}")
    assert (
        valid.status_code == 200 and valid.json["status"] == "valid" and valid.json["course_title"] == "Mine"
    )
    assert _ids(client.get("/api/v1/certificate/", headers=headers["alice"])) == {cert_id}
    assert _ids(client.get("/api/v1/certificate/", headers=headers["bob"])) == set()
    link = client.get(f"/api/v1/certificate/{cert_id}/download", headers=headers["alice"])
    assert link.status_code == 200 and link.json["url"]
    assert client.get(f"/api/v1/certificate/{cert_id}/download", headers=headers["bob"]).status_code == 404
    assert (
        client.post(
            f"/api/v1/certificate/{cert_id}/revoke", json={"reason": "x"}, headers=headers["alice"]
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/certificate/{cert_id}/revoke", json={"reason": 5}, headers=me).status_code
        == 422
    )
    assert client.post(f"/api/v1/certificate/{cert_id}/revoke", json={}, headers=me).status_code == 422
    revoked = client.post(f"/api/v1/certificate/{cert_id}/revoke", json={"reason": "Plagiarism"}, headers=me)
    assert revoked.status_code == 200, revoked.json
    check = client.get(f"/api/v1/certificate/verify/{number}")
    assert (
        check.status_code == 200
        and check.json["status"] == "revoked"
        and check.json["reason"] == "Plagiarism"
    )
    reissued = client.post(f"/api/v1/certificate/{cert_id}/reissue", headers=me)
    assert reissued.status_code == 201 and reissued.json["result"]["number"] != number
    assert _count(app, Certificate, Certificate.user_id == ids["alice"]) == 2
