"""Factories of the assessments module for tests and benchmarks (inside an app context; all commit)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from app.assessments.models import (
    Assignment,
    CourseCompletion,
    Question,
    QuestionBank,
    QuestionOption,
    Quiz,
    QuizDraw,
    QuizQuestion,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from app.courses.models import Course
from app.extensions import db
from app.lookups.services import require_lookup_id

_counter = itertools.count(1)


def make_bank(owner: Any, course: Course | None = None, title: str = "Bank") -> QuestionBank:
    """A committed question bank owned by `owner` (a user), optionally tied to a course."""
    bank = QuestionBank(
        owner_id=owner.id,
        course_id=course.id if course else None,
        translations={"en": {"title": title}, "ar": {"title": "بنك أسئلة"}},
    )
    db.session.add(bank)
    db.session.commit()
    return bank


def make_question(
    bank: QuestionBank,
    kind: str = "multiple_choice",
    *,
    text: str | None = None,
    text_ar: str | None = None,
    points: Any = 1,
    options: list[tuple[str, bool]] | None = None,
    accepted: list[str] | None = None,
    tags: list[str] | None = None,
    **fields: Any,
) -> Question:
    """A committed question; choice questions get `options` [(text, is_correct)] (a default set)."""
    n = next(_counter)
    question = Question(
        bank_id=bank.id,
        question_type_id=require_lookup_id("quiz_question_types", kind),
        translations={"en": {"text": text or f"Question {n}?"}, "ar": {"text": text_ar or f"السؤال {n}؟"}},
        points=Decimal(str(points)),
        tags=tags or [],
        accepted_answers=accepted or [],
        position=n,
        **fields,
    )
    db.session.add(question)
    db.session.flush()
    if kind == "true_false" and options is None:
        options = [("True", True), ("False", False)]
    if kind == "multiple_choice" and options is None:
        options = [("Right", True), ("Wrong", False), ("Also wrong", False)]
    for position, (label, correct) in enumerate(options or []):
        db.session.add(
            QuestionOption(
                question_id=question.id,
                translations={"en": {"text": label}, "ar": {"text": f"{label} (ع)"}},
                is_correct=correct,
                position=position,
            )
        )
    db.session.commit()
    return question


def make_quiz(
    course: Course,
    *,
    questions: list[Question] = (),
    draws: list[tuple[QuestionBank, str | None, int]] = (),
    lesson: Any = None,
    title: str = "Quiz",
    **fields: Any,
) -> Quiz:
    """A committed, published quiz with fixed `questions` and random `draws` [(bank, tag, count)]."""
    quiz = Quiz(
        course_id=course.id,
        lesson_id=lesson.id if lesson is not None else None,
        translations={"en": {"title": title}, "ar": {"title": "اختبار"}},
        **fields,
    )
    db.session.add(quiz)
    db.session.flush()
    for position, question in enumerate(questions):
        db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=question.id, position=position))
    for position, (bank, tag, count) in enumerate(draws):
        db.session.add(QuizDraw(quiz_id=quiz.id, bank_id=bank.id, tag=tag, count=count, position=position))
    db.session.commit()
    return quiz


def make_rubric(owner: Any, criteria: list[list[int]] | None = None) -> Rubric:
    """A committed rubric; `criteria` lists each criterion's level points ([[0, 5, 10], [0, 3]])."""
    rubric = Rubric(owner_id=owner.id, translations={"en": {"title": "Rubric"}, "ar": {"title": "سلم تقييم"}})
    db.session.add(rubric)
    db.session.flush()
    for c_position, levels in enumerate(criteria or [[0, 5, 10], [0, 5, 10]]):
        criterion = RubricCriterion(
            rubric_id=rubric.id,
            translations={"en": {"title": f"Criterion {c_position + 1}"}, "ar": {"title": "معيار"}},
            position=c_position,
        )
        db.session.add(criterion)
        db.session.flush()
        for l_position, points in enumerate(levels):
            db.session.add(
                RubricLevel(
                    criterion_id=criterion.id,
                    translations={"en": {"title": f"{points} points"}, "ar": {"title": f"{points} نقاط"}},
                    points=Decimal(points),
                    position=l_position,
                )
            )
    db.session.commit()
    return rubric


def make_assignment(course: Course, *, title: str = "Assignment", **fields: Any) -> Assignment:
    """A committed, published assignment of a course (no dates, 100 points by default)."""
    assignment = Assignment(
        course_id=course.id,
        translations={"en": {"title": title, "instructions": "<p>Do it.</p>"}, "ar": {"title": "واجب"}},
        **fields,
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


def set_completion(course: Course, **fields: Any) -> CourseCompletion:
    """Committed completion settings of a course (certificates off unless asked)."""
    settings = db.session.query(CourseCompletion).filter_by(course_id=course.id).one_or_none()
    if settings is None:
        settings = CourseCompletion(course_id=course.id)
        db.session.add(settings)
    for key, value in fields.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings
