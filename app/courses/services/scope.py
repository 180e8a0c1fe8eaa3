"""Row scopes as SQL: which rows of the course tables a user manages or may read (for base filters).

Each function mirrors a per-object rule of `access.py` so that lists and single-object checks agree.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, union

from app.courses.models import (
    Course,
    CourseResource,
    CourseSection,
    Enrollment,
    Lesson,
    LessonContent,
    course_instructor,
)
from app.courses.services.access import accessible_course_ids as enrolled_access
from app.courses.services.catalog import courses_taught_by
from app.lookups.services import lookup_id
from app.security.models import LmsUser
from app.security.roles import ADMIN, INSTRUCTOR


def _course_column(model: type) -> Any:
    """The column holding the course id of a row of `model` (a sub-select for lesson content)."""
    if model is Course:
        return Course.id
    if model is LessonContent:
        return None
    return model.course_id


def in_courses(model: type, course_ids: Any) -> ColumnElement[bool]:
    """Rows of `model` that belong to one of `course_ids` (a select of ids)."""
    if model is LessonContent:
        return LessonContent.lesson_id.in_(select(Lesson.id).where(Lesson.course_id.in_(course_ids)))
    return _course_column(model).in_(course_ids)


def taught_clause(model: type, user_id: int | None) -> ColumnElement[bool]:
    """Rows of courses the user teaches."""
    if user_id is None:
        return false()
    return in_courses(model, courses_taught_by(user_id))


def accessible_course_ids(user_id: int | None) -> Any:
    """Ids of the courses the user may open: taught, or an enrolment that grants access."""
    if user_id is None:
        return select(Course.id).where(false())
    return courses_taught_by(user_id).union(enrolled_access(user_id))


def listed_clause() -> ColumnElement[bool]:
    """Published, public courses."""
    return and_(
        Course.status_id == lookup_id("course_status", "published"),
        Course.visibility_id == lookup_id("course_visibility", "public"),
    )


def visible_courses_clause(user_id: int | None) -> ColumnElement[bool]:
    """Courses in the API list, as `access.can_see_course`: listed ones, plus those the user teaches
    or holds an enrolment that grants access to (a dropped or expired one does not)."""
    return or_(listed_clause(), Course.id.in_(accessible_course_ids(user_id)))


def instructor_choice_clause() -> ColumnElement[bool]:
    """Users who may be named a course's instructors: active accounts with the Instructor (or Admin)
    role (soft-deleted users are hidden by the global filter)."""
    return and_(
        LmsUser.active.is_(True),
        or_(LmsUser.status_id.is_(None), LmsUser.status_id == lookup_id("user_status", "active")),
        LmsUser.roles.any(Role.name.in_((INSTRUCTOR, ADMIN))),
    )


def prerequisite_choice_clause(user_id: int | None) -> ColumnElement[bool]:
    """Courses a (non-admin) user may name as prerequisites: listed ones and those they teach."""
    return or_(listed_clause(), taught_clause(Course, user_id))


def course_user_ids(user: Any) -> Select[Any]:
    """Ids of the users related to the courses `user` teaches: their learners (any enrolment), their
    co-instructors, and the authors of comments the user moderates (for filter dropdowns)."""
    from app.engagement.models import Comment
    from app.engagement.services import moderated_clause

    user_id = getattr(user, "id", None) or 0
    taught = courses_taught_by(user_id)
    return union(
        select(Enrollment.user_id).where(Enrollment.course_id.in_(taught)),
        select(course_instructor.c.user_id).where(course_instructor.c.course_id.in_(taught)),
        select(Comment.author_id).where(moderated_clause(user)),
    )


def readable_clause(model: type, user_id: int | None) -> ColumnElement[bool]:
    """Structure rows the user may read: those of accessible courses, plus free-preview lessons
    (and their content) of listed courses."""
    clause = in_courses(model, accessible_course_ids(user_id))
    listed_ids = select(Course.id).where(listed_clause())
    if model is Lesson:
        clause = or_(clause, and_(Lesson.is_free_preview.is_(True), Lesson.course_id.in_(listed_ids)))
    elif model is LessonContent:
        previews = select(Lesson.id).where(Lesson.is_free_preview.is_(True), Lesson.course_id.in_(listed_ids))
        clause = or_(clause, LessonContent.lesson_id.in_(previews))
    return clause


STRUCTURE_MODELS = (CourseSection, Lesson, LessonContent, CourseResource)
