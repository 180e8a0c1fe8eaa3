"""The quiz editor: questions written per type in place, kept in the course's bank, ordered, removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.assessments.models import Question, QuestionBank, Quiz, QuizQuestion
from app.extensions import db
from tests.course_factories import make_course, make_lesson, make_section


@pytest.fixture
def quiz_of(app, login_as):
    """An instructor signed in, with a quiz (no questions yet) in a lesson of their course."""
    teacher = login_as("Instructor")
    with app.app_context():
        course = make_course(instructors=[teacher.user_id], title="Python", status="draft")
        lesson = make_lesson(make_section(course))
        quiz = Quiz(course_id=course.id, lesson_id=lesson.id, translations={"en": {"title": "Check"}})
        db.session.add(quiz)
        db.session.commit()
        quiz_id = quiz.id
        db.session.remove()
    return teacher, quiz_id


def _questions(app, quiz_id):
    with app.app_context():
        query = (
            select(Question)
            .join(QuizQuestion, QuizQuestion.question_id == Question.id)
            .where(QuizQuestion.quiz_id == quiz_id)
            .order_by(QuizQuestion.position)
        )
        result = [
            {
                "id": q.id,
                "type": q.type_code,
                "text": q.translations,
                "points": str(q.points),
                "options": [(o.translations, o.is_correct) for o in q.options if not o.is_deleted],
                "answers": list(q.accepted_answers),
                "multiple": q.multiple_answers,
                "bank_course": q.bank.course_id,
            }
            for q in db.session.scalars(query)
        ]
        db.session.remove()
    return result


MC_FORM = {
    "text_en": "Which is a Python keyword?",
    "text_ar": "أيّها كلمة محجوزة في بايثون؟",
    "points": "2",
    "option-0-text_en": "def",
    "option-0-text_ar": "def",
    "option-0-correct": "on",
    "option-1-text_en": "function",
    "option-1-feedback_en": "That is JavaScript.",
    "option-2-text_en": "",  # an empty row is ignored
}


def test_multiple_choice_question_is_written_into_the_course_bank(app, quiz_of):
    teacher, quiz_id = quiz_of
    response = teacher.post(f"/quizeditor/{quiz_id}/new/multiple_choice", data=MC_FORM)
    assert response.status_code == 302
    [question] = _questions(app, quiz_id)
    assert question["type"] == "multiple_choice" and question["points"] == "2.00"
    assert question["text"]["ar"]["text"] == "أيّها كلمة محجوزة في بايثون؟"
    assert [(texts["en"]["text"], correct) for texts, correct in question["options"]] == [
        ("def", True),
        ("function", False),
    ]
    assert question["options"][1][0]["en"]["feedback"] == "That is JavaScript."
    with app.app_context():
        bank = db.session.scalar(
            select(QuestionBank).where(QuestionBank.course_id == question["bank_course"])
        )
        assert bank is not None and bank.course_id is not None
        db.session.remove()
    listing = teacher.get(f"/quizeditor/{quiz_id}/").get_data(as_text=True)
    assert "Which is a Python keyword?" in listing and "Multiple choice" in listing


def test_a_refused_question_comes_back_with_what_was_typed(app, quiz_of):
    teacher, quiz_id = quiz_of
    form = {**MC_FORM}
    form.pop("option-0-correct")  # nothing ticked
    response = teacher.post(f"/quizeditor/{quiz_id}/new/multiple_choice", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mark at least one option as correct." in html
    assert 'value="function"' in html and "Which is a Python keyword?" in html
    assert _questions(app, quiz_id) == []
    bad_points = teacher.post(f"/quizeditor/{quiz_id}/new/essay", data={"text_en": "Why?", "points": "lots"})
    assert bad_points.status_code == 422 and "Points must be a number" in bad_points.get_data(as_text=True)
    assert teacher.get(f"/quizeditor/{quiz_id}/new/matching").status_code == 404


def test_true_false_is_a_switch_and_short_answers_a_list(app, quiz_of):
    teacher, quiz_id = quiz_of
    teacher.post(f"/quizeditor/{quiz_id}/new/true_false", data={"text_en": "Python is compiled."})
    teacher.post(
        f"/quizeditor/{quiz_id}/new/short_answer",
        data={"text_en": "Name the loop keyword", "accepted_answer": ["for", " while ", ""]},
    )
    true_false, short = _questions(app, quiz_id)
    # the switch was off: "False" is the right answer
    assert [(texts["en"]["text"], correct) for texts, correct in true_false["options"]] == [
        ("True", False),
        ("False", True),
    ]
    assert short["answers"] == ["for", "while"] and short["options"] == []
    # editing flips the switch and keeps the same two option rows
    response = teacher.post(
        f"/quizeditor/{quiz_id}/questions/{true_false['id']}",
        data={"text_en": "Python is interpreted.", "statement_true": "on"},
    )
    assert response.status_code == 302
    edited = _questions(app, quiz_id)[0]
    assert [correct for _texts, correct in edited["options"]] == [True, False]
    with app.app_context():
        rows = db.session.scalars(
            select(Question).where(Question.id == true_false["id"]).execution_options(include_deleted=True)
        ).one()
        assert len(rows.options) == 2  # no option was replaced
        db.session.remove()


def test_edit_removes_an_emptied_option_and_reorders_and_takes_out(app, quiz_of):
    teacher, quiz_id = quiz_of
    teacher.post(f"/quizeditor/{quiz_id}/new/multiple_choice", data=MC_FORM)
    teacher.post(f"/quizeditor/{quiz_id}/new/essay", data={"text_en": "Explain decorators.", "points": "5"})
    first, second = _questions(app, quiz_id)
    form = teacher.get(f"/quizeditor/{quiz_id}/questions/{first['id']}").get_data(as_text=True)
    assert 'value="function"' in form and "checked" in form
    with app.app_context():
        option_ids = [o.id for o in db.session.get(Question, first["id"]).options]
        db.session.remove()
    response = teacher.post(
        f"/quizeditor/{quiz_id}/questions/{first['id']}",
        data={
            "text_en": "Which is a keyword?",
            "points": "2",
            "option-0-id": option_ids[0],
            "option-0-text_en": "def",
            "option-0-correct": "on",
            "option-1-id": option_ids[1],  # emptied: removed
            "option-2-text_en": "lambda",
            "option-2-correct": "on",
            "multiple_answers": "on",
        },
    )
    assert response.status_code == 302
    edited = _questions(app, quiz_id)[0]
    assert [(t["en"]["text"], c) for t, c in edited["options"]] == [("def", True), ("lambda", True)]
    assert edited["multiple"] is True
    teacher.post(f"/quizeditor/{quiz_id}/questions/{second['id']}/up")
    assert [q["id"] for q in _questions(app, quiz_id)] == [second["id"], first["id"]]
    teacher.post(f"/quizeditor/{quiz_id}/questions/{first['id']}/remove")
    assert [q["id"] for q in _questions(app, quiz_id)] == [second["id"]]
    with app.app_context():
        assert db.session.get(Question, first["id"]) is not None  # still in the bank
        db.session.remove()


def test_only_the_courses_staff_edit_its_quiz(app, login_as, quiz_of):
    teacher, quiz_id = quiz_of
    teacher.post(f"/quizeditor/{quiz_id}/new/essay", data={"text_en": "Why?"})
    [question] = _questions(app, quiz_id)
    other = login_as("Instructor")
    assert other.get(f"/quizeditor/{quiz_id}/").status_code == 404
    assert other.post(f"/quizeditor/{quiz_id}/new/essay", data={"text_en": "Mine"}).status_code == 404
    assert other.post(f"/quizeditor/{quiz_id}/questions/{question['id']}/remove").status_code == 404
    student = login_as("Student")
    assert student.get(f"/quizeditor/{quiz_id}/").status_code in (302, 403)
    # a question of another quiz is not found through this one
    with app.app_context():
        course = make_course(instructors=[teacher.user_id], status="draft")
        other_quiz = Quiz(course_id=course.id, translations={"en": {"title": "Other"}})
        db.session.add(other_quiz)
        db.session.commit()
        other_quiz_id = other_quiz.id
        db.session.remove()
    assert teacher.get(f"/quizeditor/{other_quiz_id}/questions/{question['id']}").status_code == 404
    assert login_as("Admin").get(f"/quizeditor/{quiz_id}/").status_code == 200
    assert len(_questions(app, quiz_id)) == 1
