"""Row scopes of the assessment tables as SQL (for base filters) and the matching object checks.

`managed_clause`: rows a user manages (back office and API writes). `readable_clause`: rows the API
shows: what the user manages, plus a learner's own attempts, submissions and certificates and the
published quizzes and assignments (and their rubrics) of the courses they may open.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, or_, select, true

from app.assessments.models import (
    Assignment,
    AttemptAnswer,
    Certificate,
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
from app.assessments.services.access import can_manage_bank, can_manage_rubric, is_staff
from app.core.errors import Forbidden
from app.core.softdelete import with_parents
from app.core.targets import is_admin, signed_in_user_id
from app.courses.services.catalog import courses_taught_by
from app.courses.services.scope import accessible_course_ids

# Tables that carry their course id.
COURSE_ROWS = (Quiz, Assignment, QuizAttempt, Submission, Certificate, GradeChange, CourseCompletion)


def _taught(user_id: int) -> Any:
    return courses_taught_by(user_id)


def _banks(user_id: int) -> ColumnElement[bool]:
    return or_(QuestionBank.owner_id == user_id, QuestionBank.course_id.in_(_taught(user_id)))


def _managed_bank_ids(user_id: int) -> Any:
    return select(QuestionBank.id).where(_banks(user_id))


def _managed_rubric_ids(user_id: int) -> Any:
    return select(Rubric.id).where(Rubric.owner_id == user_id)


def managed_clause(model: type, user: Any) -> ColumnElement[bool]:
    """Rows of `model` the user manages (everything for admins, nothing for visitors)."""
    if is_admin(user):
        return true()
    user_id = signed_in_user_id(user)
    if user_id is None:
        return false()
    if model in COURSE_ROWS:
        return model.course_id.in_(_taught(user_id))
    if model is QuestionBank:
        return _banks(user_id)
    if model is Question:
        return Question.bank_id.in_(_managed_bank_ids(user_id))
    if model is QuestionOption:
        return QuestionOption.question_id.in_(
            select(Question.id).where(Question.bank_id.in_(_managed_bank_ids(user_id)))
        )
    if model in (QuizQuestion, QuizDraw, QuizOverride):
        return model.quiz_id.in_(select(Quiz.id).where(Quiz.course_id.in_(_taught(user_id))))
    if model is AttemptAnswer:
        return AttemptAnswer.attempt_id.in_(
            select(QuizAttempt.id).where(QuizAttempt.course_id.in_(_taught(user_id)))
        )
    if model is RubricScore:
        return RubricScore.submission_id.in_(
            select(Submission.id).where(Submission.course_id.in_(_taught(user_id)))
        )
    if model is Rubric:
        return Rubric.owner_id == user_id
    if model is RubricCriterion:
        return RubricCriterion.rubric_id.in_(_managed_rubric_ids(user_id))
    if model is RubricLevel:
        return RubricLevel.criterion_id.in_(
            select(RubricCriterion.id).where(RubricCriterion.rubric_id.in_(_managed_rubric_ids(user_id)))
        )
    raise KeyError(model)


def readable_clause(model: type, user: Any) -> ColumnElement[bool]:
    """Rows of `model` the API shows the user."""
    managed = managed_clause(model, user)
    user_id = signed_in_user_id(user)
    if is_admin(user) or user_id is None:
        return managed
    open_courses = accessible_course_ids(user_id)
    if model in (Quiz, Assignment):
        return or_(managed, and_(model.is_published.is_(True), model.course_id.in_(open_courses)))
    if model is CourseCompletion:
        return or_(managed, CourseCompletion.course_id.in_(open_courses))
    if model in (QuizAttempt, Submission, Certificate):
        return or_(managed, model.user_id == user_id)
    if model is AttemptAnswer:
        own = select(QuizAttempt.id).where(QuizAttempt.user_id == user_id)
        return or_(managed, AttemptAnswer.attempt_id.in_(own))
    if model is RubricScore:
        own = select(Submission.id).where(Submission.user_id == user_id)
        return or_(managed, RubricScore.submission_id.in_(own))
    if model in (Rubric, RubricCriterion, RubricLevel):
        used = select(Assignment.rubric_id).where(
            Assignment.is_published.is_(True), Assignment.course_id.in_(open_courses)
        )
        if model is Rubric:
            return or_(managed, Rubric.id.in_(used))
        if model is RubricCriterion:
            return or_(managed, RubricCriterion.rubric_id.in_(used))
        criteria = select(RubricCriterion.id).where(RubricCriterion.rubric_id.in_(used))
        return or_(managed, RubricLevel.criterion_id.in_(criteria))
    return managed  # banks, questions, options, quiz links, overrides, grade history: staff only


# The parents `may_manage` reads, loaded even from the trash (relationship loads skip them).
_PARENTS: dict[type, tuple[str, ...]] = {
    QuestionBank: ("course",),
    Question: ("bank.course",),
    QuestionOption: ("question.bank.course",),
    QuizQuestion: ("quiz.course", "question.bank.course"),
    QuizDraw: ("quiz.course", "bank.course"),
    QuizOverride: ("quiz.course",),
    RubricCriterion: ("rubric",),
    RubricLevel: ("criterion.rubric",),
    Assignment: ("course", "rubric"),
}


def may_manage(user: Any, item: Any) -> bool:
    """The object check behind every write: the user manages the row's course, bank or rubric
    (and, for rows linking two of them, both); parents in the trash still count."""
    if is_admin(user):
        return True
    with_parents(item, *_PARENTS.get(type(item), ("course",) if hasattr(item, "course") else ()))
    if isinstance(item, QuestionBank):
        return can_manage_bank(user, item) and (item.course is None or is_staff(user, item.course))
    if isinstance(item, Question):
        return item.bank is not None and can_manage_bank(user, item.bank)
    if isinstance(item, QuestionOption):
        return item.question is not None and may_manage(user, item.question)
    if isinstance(item, QuizQuestion):
        return _quiz_ok(user, item.quiz) and item.question is not None and may_manage(user, item.question)
    if isinstance(item, QuizDraw):
        return _quiz_ok(user, item.quiz) and item.bank is not None and can_manage_bank(user, item.bank)
    if isinstance(item, QuizOverride):
        return _quiz_ok(user, item.quiz)
    if isinstance(item, Rubric):
        return item.owner_id is None or can_manage_rubric(user, item)
    if isinstance(item, RubricCriterion):
        return item.rubric is not None and can_manage_rubric(user, item.rubric)
    if isinstance(item, RubricLevel):
        return item.criterion is not None and may_manage(user, item.criterion)
    if isinstance(item, Assignment):
        rubric_ok = item.rubric is None or can_manage_rubric(user, item.rubric)
        return item.course is not None and is_staff(user, item.course) and rubric_ok
    course = getattr(item, "course", None)
    return course is not None and is_staff(user, course)


def _quiz_ok(user: Any, quiz: Quiz | None) -> bool:
    return quiz is not None and is_staff(user, quiz.course)


def require_manage(user: Any, item: Any) -> None:
    """Forbidden unless `may_manage`."""
    if not may_manage(user, item):
        raise Forbidden(_("You may not change this item."))
