"""Quizzes and assignments made from the course outline, and a quiz's own questions edited in place.

Questions live in question banks; a question written in the quiz editor goes to the course's bank
(made on first use) and is linked to the quiz, so it can be reused like any other.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.assessments.models import Assignment, Question, QuestionBank, Quiz, QuizQuestion
from app.assessments.services.access import is_staff, require_staff
from app.assessments.services.assignments import check_assignment
from app.assessments.services.banks import create_question, update_question
from app.assessments.services.quizzes import check_quiz, check_quiz_question
from app.core.errors import NotFound
from app.core.softdelete import soft_delete
from app.core.targets import signed_in_user_id
from app.courses.models import Course, Lesson
from app.courses.services.catalog import apply_order, swapped
from app.courses.services.outline import OutlineNode, node_of
from app.extensions import db


# ---- items of the outline --------------------------------------------------------------------
def quiz_nodes(course: Course) -> dict[int | None, list[OutlineNode]]:
    """The course's quizzes by lesson, each saying how many questions it has."""
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)))
    counts: dict[int, int] = {}
    if quizzes:
        query = (
            select(QuizQuestion.quiz_id, func.count())
            .where(QuizQuestion.quiz_id.in_([quiz.id for quiz in quizzes]))
            .group_by(QuizQuestion.quiz_id)
        )
        counts = {quiz_id: count for quiz_id, count in db.session.execute(query)}
    nodes: dict[int | None, list[OutlineNode]] = {}
    for quiz in quizzes:
        count = counts.get(quiz.id, 0)
        detail = ngettext("%(num)d question", "%(num)d questions", count)
        nodes.setdefault(quiz.lesson_id, []).append(node_of("quiz", quiz, detail, quiz.is_published))
    return nodes


def assignment_nodes(course: Course) -> dict[int | None, list[OutlineNode]]:
    """The course's assignments by lesson."""
    query = select(Assignment).where(Assignment.course_id == course.id).order_by(Assignment.id)
    nodes: dict[int | None, list[OutlineNode]] = {}
    for assignment in db.session.scalars(query):
        node = node_of("assignment", assignment, _("Assignment"), assignment.is_published)
        nodes.setdefault(assignment.lesson_id, []).append(node)
    return nodes


def _create_hidden(
    model: type, check: Any, user: Any, course: Course, lesson: Lesson | None, texts: Any
) -> Any:
    """A new quiz or assignment with the default settings, hidden from learners until published."""
    require_staff(user, course)
    item = model(
        course_id=course.id, lesson_id=lesson.id if lesson else None, translations=texts, is_published=False
    )
    check(item)
    db.session.add(item)
    db.session.flush()
    return item


def create_outline_quiz(
    user: Any, course: Course, lesson: Lesson | None, translations: dict[str, Any]
) -> Quiz:
    """A new quiz from the outline, hidden until it is published."""
    return _create_hidden(Quiz, check_quiz, user, course, lesson, translations)


def create_outline_assignment(
    user: Any, course: Course, lesson: Lesson | None, translations: dict[str, Any]
) -> Assignment:
    """A new assignment from the outline, hidden until it is published."""
    return _create_hidden(Assignment, check_assignment, user, course, lesson, translations)


# ---- the quiz's questions --------------------------------------------------------------------
def editable_quiz(user: Any, quiz_id: int) -> Quiz:
    """The quiz, when the user manages its course (NotFound otherwise: others' quizzes do not exist)."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.is_deleted or not is_staff(user, quiz.course):
        raise NotFound(_("This quiz does not exist."))
    return quiz


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The quiz's fixed questions in order, with their options."""
    query = (
        select(Question)
        .join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz.id)
        .order_by(QuizQuestion.position, QuizQuestion.id)
        .options(selectinload(Question.options))
    )
    return list(db.session.scalars(query))


def quiz_question(quiz: Quiz, question_id: Any) -> Question:
    """One of the quiz's questions (NotFound when it is not in this quiz)."""
    link = _link(quiz, question_id)
    return link.question


def _link(quiz: Quiz, question_id: Any) -> QuizQuestion:
    try:
        wanted = int(question_id)
    except (TypeError, ValueError):
        wanted = 0
    query = select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id, QuizQuestion.question_id == wanted)
    link = db.session.scalar(query)
    if link is None:
        raise NotFound(_("This question is not in the quiz."))
    return link


def course_bank(user: Any, course: Course) -> QuestionBank:
    """The course's question bank, made (owned by the user) when the course has none yet."""
    query = select(QuestionBank).where(QuestionBank.course_id == course.id).order_by(QuestionBank.id).limit(1)
    bank = db.session.scalar(query)
    if bank is None:
        titles = {
            "en": {"title": f"Questions of {course.translations.get('en', {}).get('title') or course.slug}"},
            "ar": {"title": f"أسئلة {course.translations.get('ar', {}).get('title') or course.slug}"},
        }
        bank = QuestionBank(owner_id=signed_in_user_id(user), course_id=course.id, translations=titles)
        db.session.add(bank)
        db.session.flush()
    return bank


def add_quiz_question(user: Any, quiz: Quiz, **fields: Any) -> Question:
    """Write a new question into the course's bank and add it at the end of the quiz."""
    require_staff(user, quiz.course)
    question = create_question(user, course_bank(user, quiz.course), **fields)
    last = db.session.scalar(select(func.max(QuizQuestion.position)).where(QuizQuestion.quiz_id == quiz.id))
    link = QuizQuestion(quiz_id=quiz.id, question_id=question.id, position=(last or 0) + 1)
    check_quiz_question(link)
    db.session.add(link)
    db.session.flush()
    return question


def edit_quiz_question(user: Any, quiz: Quiz, question_id: Any, **fields: Any) -> Question:
    """Change one of the quiz's questions (the same question in other quizzes changes too)."""
    require_staff(user, quiz.course)
    return update_question(user, quiz_question(quiz, question_id), **fields)


def remove_quiz_question(user: Any, quiz: Quiz, question_id: Any) -> None:
    """Take the question out of the quiz; it stays in its bank for reuse."""
    require_staff(user, quiz.course)
    soft_delete(_link(quiz, question_id))
    db.session.flush()


def move_quiz_question(user: Any, quiz: Quiz, question_id: Any, direction: str) -> None:
    """Swap a question with the one before ("up") or after ("down") it."""
    require_staff(user, quiz.course)
    links = list(
        db.session.scalars(
            select(QuizQuestion)
            .where(QuizQuestion.quiz_id == quiz.id)
            .order_by(QuizQuestion.position, QuizQuestion.id)
        )
    )
    ids = swapped([link.id for link in links], _link(quiz, question_id).id, direction)
    apply_order(links, ids, "questions")
    db.session.flush()
