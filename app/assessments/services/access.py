"""Who may do what with assessments: the course's staff manage, its entitled learners take part."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect

from app.assessments.models import Assignment, QuestionBank, Quiz, QuizAttempt, Rubric, Submission
from app.core.errors import Forbidden
from app.core.softdelete import with_parents
from app.core.targets import is_admin, signed_in_user_id
from app.courses import services as courses
from app.courses.models import Course


def quiz_of(attempt: QuizAttempt) -> Quiz:
    """The attempt's quiz with its course and lesson, even when one of them is in the trash."""
    return with_parents(attempt, "quiz.course", "quiz.lesson").quiz


def assignment_of(submission: Submission) -> Assignment:
    """The submission's assignment with its course, lesson and rubric, even when in the trash."""
    return with_parents(submission, "assignment.course", "assignment.lesson", "assignment.rubric").assignment


def is_staff(user: Any, course: Course) -> bool:
    """Admins and the course's instructors."""
    return courses.can_manage(user, course)


def require_staff(user: Any, course: Course) -> None:
    """Forbidden unless the user manages the course."""
    if not is_staff(user, course):
        raise Forbidden(_("Only the course's instructors may do this."))


def require_learner(user: Any, course: Course) -> int:
    """The id of a signed-in user entitled to the course, or Forbidden."""
    user_id = signed_in_user_id(user)
    if user_id is None or not courses.can_access(user, course):
        raise Forbidden(_("Enrol in this course first."))
    return user_id


def can_manage_bank(user: Any, bank: QuestionBank) -> bool:
    """Admins, the bank's owner, and the staff of the bank's course."""
    if is_admin(user) or bank.owner_id == signed_in_user_id(user):
        return True
    return bank.course is not None and is_staff(user, bank.course)


def require_bank_manager(user: Any, bank: QuestionBank) -> None:
    """Forbidden unless the user may change the bank and its questions."""
    if not can_manage_bank(user, bank):
        raise Forbidden(_("You may not change this question bank."))


def can_manage_rubric(user: Any, rubric: Rubric) -> bool:
    """Admins and the rubric's owner."""
    return is_admin(user) or rubric.owner_id == signed_in_user_id(user)


def settle_owner(item: QuestionBank | Rubric, user: Any) -> None:
    """A new bank or rubric belongs to its creator, and keeps its owner; only admins name another."""
    if is_admin(user) and item.owner_id is not None:
        return
    if item.id is None:
        item.owner_id = signed_in_user_id(user)
        return
    before = inspect(item).attrs.owner_id.history.deleted
    if before:
        item.owner_id = before[0]


def lesson_open(user: Any, item: Any) -> bool:
    """A quiz's or assignment's content is readable: staff always; learners once its lesson (if any)
    is open to them (a sequential course keeps later lessons closed)."""
    from app.courses.services.progress import may_open_lesson

    with_parents(item, "course", "lesson")  # either may be in the trash
    return is_staff(user, item.course) or item.lesson is None or may_open_lesson(user, item.lesson)
