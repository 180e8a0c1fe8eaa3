"""Course completion criteria beyond required lessons: quizzes passed, assignments graded, a minimum
grade. They join the courses module's completion rules; completing may issue a certificate."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from app.assessments.models import Assignment, CourseCompletion, Submission
from app.assessments.services.assignments import percent_of
from app.assessments.services.gradebook import course_grade
from app.assessments.services.quizzes import published_quizzes, quiz_passed
from app.assessments.services.settings import Errors, in_range, raise_errors, refuse_duplicate, related_id
from app.courses.models import Course
from app.extensions import db


def completion_settings(course_id: int) -> CourseCompletion | None:
    """The course's completion settings (None: required lessons and required quizzes only)."""
    return db.session.scalar(select(CourseCompletion).where(CourseCompletion.course_id == course_id))


def check_completion(settings: CourseCompletion) -> None:
    """A minimum grade from 0 to 100 (or none); one row of settings per course (409)."""
    errors: Errors = {}
    message = _("The minimum grade is a percentage from 0 to 100, or empty.")
    in_range(errors, settings, "min_grade_percent", 0, 100, message)
    raise_errors(errors, _("The completion criteria are not valid."))
    message = _("This course already has completion criteria: edit them instead.")
    refuse_duplicate(settings, "course_id", message, course_id=related_id(settings, "course"))


def required_quizzes_passed(user_id: int, course: Course) -> list[str]:
    """Required, published quizzes not passed yet (unless the course's settings say otherwise)."""
    settings = completion_settings(course.id)
    if settings is not None and not settings.require_quizzes_passed:
        return []
    return [
        _("Pass the quiz: %(title)s", title=quiz.title)
        for quiz in published_quizzes(course.id)
        if quiz.is_required and not quiz_passed(quiz, user_id)
    ]


def required_assignments_graded(user_id: int, course: Course) -> list[str]:
    """Required, published assignments not graded yet, when the course's settings ask for it."""
    settings = completion_settings(course.id)
    if settings is None or not settings.require_assignments_graded:
        return []
    assignments = db.session.scalars(
        select(Assignment).where(
            Assignment.course_id == course.id,
            Assignment.is_published.is_(True),
            Assignment.is_required.is_(True),
        )
    )
    left = []
    for assignment in assignments:
        submission = db.session.scalar(
            select(Submission).where(Submission.assignment_id == assignment.id, Submission.user_id == user_id)
        )
        if percent_of(submission) is not None:
            continue
        if submission is not None and submission.status.code == "submitted":
            left.append(_("Waiting for your instructor to grade: %(title)s", title=assignment.title))
        else:
            left.append(_("Hand in the assignment: %(title)s", title=assignment.title))
    return left


def minimum_grade_reached(user_id: int, course: Course) -> list[str]:
    """The weighted course grade still below the course's minimum, when it sets one."""
    settings = completion_settings(course.id)
    if settings is None or settings.min_grade_percent is None:
        return []
    grade = course_grade(user_id, course)
    if grade is not None and grade >= settings.min_grade_percent:
        return []
    return [
        _(
            "Reach a course grade of %(minimum)s%% (now %(grade)s%%)",
            minimum=format_decimal(settings.min_grade_percent),
            grade=format_decimal(grade or 0),
        )
    ]


COMPLETION_RULES = (required_quizzes_passed, required_assignments_graded, minimum_grade_reached)
