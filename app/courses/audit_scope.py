"""Instructors read the audit trail of their courses and of every row inside them (PRD 5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, select

from app.audit.scopes import VisibleIds, register_audit_scope
from app.courses.services.catalog import courses_taught_by


def in_taught_courses(table: Table) -> VisibleIds:
    """Ids of a table's rows whose `course_id` is a course the user teaches.

    Core table columns, not the model: the trail of a row in the trash stays readable.
    """

    def visible(user_id: int) -> Select[Any]:
        return select(table.c.id).where(table.c.course_id.in_(courses_taught_by(user_id)))

    return visible


def under(table: Table, column: str, parent_ids: VisibleIds) -> VisibleIds:
    """Ids of a table's rows whose `column` points at a visible parent row."""

    def visible(user_id: int) -> Select[Any]:
        return select(table.c.id).where(table.c[column].in_(parent_ids(user_id)))

    return visible


def register_course_audit_scopes() -> None:
    """Courses, sections, lessons, their contents, resources, enrolments and progress."""
    from app.courses.models import (
        CourseResource,
        CourseSection,
        Enrollment,
        Lesson,
        LessonContent,
        LessonProgress,
    )

    register_audit_scope("course", courses_taught_by)
    lessons = in_taught_courses(Lesson.__table__)
    register_audit_scope("lesson", lessons)
    register_audit_scope("lesson_content", under(LessonContent.__table__, "lesson_id", lessons))
    for model in (CourseSection, CourseResource, Enrollment, LessonProgress):
        register_audit_scope(model.__tablename__, in_taught_courses(model.__table__))
