"""Derived course data kept by the session, whatever writes the row (screens, API, services).

- `search_text` of a course: its titles, subtitles and tags in every language, lower-cased.
- A changed slug leaves the old one behind as a `course_slug` (the portal 301-redirects it).
- Rich text (course descriptions, lesson content, notes) is sanitized with nh3 before it is stored.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.core.html import sanitize_html
from app.core.models import utcnow
from app.core.search_text import normalize_search
from app.courses.models import (
    Course,
    CourseInstructor,
    CoursePurchase,
    CourseSlug,
    Enrollment,
    LessonContent,
    LessonProgress,
    Note,
)
from app.courses.services.access import ACCESS_MEMO, REQUEST_CACHE

RICH_TEXT_FIELDS: dict[type, tuple[str, ...]] = {Course: ("description",), LessonContent: ("body",)}


def course_search_text(course: Course) -> str:
    """What the catalog search matches: titles, subtitles and tags in every language, normalised."""
    parts: list[str] = []
    for fields in (course.translations or {}).values():
        parts += [str(fields.get("title") or ""), str(fields.get("subtitle") or "")]
    parts += [str(tag) for tag in course.tags or []]
    parts.append(course.slug or "")
    return normalize_search(" ".join(p for p in parts if p))


def _sanitize_translations(obj: Any, fields: tuple[str, ...]) -> None:
    data = obj.translations or {}
    cleaned = {
        lang: {k: (sanitize_html(v) if k in fields else v) for k, v in (values or {}).items()}
        for lang, values in data.items()
    }
    if cleaned != data:
        obj.translations = cleaned


def _keep_old_slug(session: Session, course: Course) -> None:
    history = inspect(course).attrs.slug.history
    if not history.deleted or not history.deleted[0] or history.deleted[0] == course.slug:
        return
    old = history.deleted[0]
    reused = session.scalar(
        select(CourseSlug).where(CourseSlug.slug == course.slug).execution_options(include_deleted=True)
    )
    if reused is not None and reused.course_id == course.id:
        # Back to an earlier slug: it is current again, no longer a redirect.
        reused.slug = f"{reused.slug}~{reused.id}"
        reused.is_deleted, reused.deleted_at = True, utcnow()
    existing = session.scalar(
        select(CourseSlug).where(CourseSlug.slug == old).execution_options(include_deleted=True)
    )
    if existing is None:
        session.add(CourseSlug(course_id=course.id, slug=old))


@event.listens_for(Session, "before_flush")
def _derive_course_data(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        fields = RICH_TEXT_FIELDS.get(type(obj))
        if fields:
            _sanitize_translations(obj, fields)
        if isinstance(obj, Note):
            clean = sanitize_html(obj.body)
            if clean != obj.body:
                obj.body = clean
        if isinstance(obj, Course):
            text = course_search_text(obj)
            if obj.search_text != text:
                obj.search_text = text
            if obj in session.dirty:
                _keep_old_slug(session, obj)


ACCESS_FACTS = (Enrollment, CoursePurchase, Course, CourseInstructor)
# Columns whose change leaves every access answer and cached row as it was (time and progress kept).
BOOKKEEPING = frozenset(
    {"updated_at", "last_accessed_at", "progress_percent", "time_spent_seconds", "completed_at", "view_count"}
)


def _changes_answers(session: Session, obj: Any) -> bool:
    """Added, removed, or changed in a column other than bookkeeping (a status, a type, a link...)."""
    if obj in session.new or obj in session.deleted:
        return True
    return bool(set(inspect(obj).committed_state) - BOOKKEEPING)


@event.listens_for(Session, "after_flush")
def _forget_access_answers(session: Session, _context: Any) -> None:
    """Written enrolments, purchases, subscriptions, courses or progress: the request reads them again."""
    if not has_request_context() or not (ACCESS_MEMO in g or REQUEST_CACHE in g):
        return
    written = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, ACCESS_FACTS) and _changes_answers(session, obj) for obj in written):
        g.pop(ACCESS_MEMO, None)
        g.pop(REQUEST_CACHE, None)
    elif any(isinstance(obj, LessonProgress) for obj in written):
        cache = g.get(REQUEST_CACHE) or {}
        for key in [key for key in cache if key[0] == "completed"]:
            del cache[key]


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(_session: Session, _previous: Any) -> None:
    """Rolled-back rows must not be answered from the request's memory."""
    if has_request_context():
        g.pop(ACCESS_MEMO, None)
        g.pop(REQUEST_CACHE, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_after_bulk_writes(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE statements change rows behind the cached objects' back."""
    if (state.is_update or state.is_delete) and has_request_context():
        g.pop(ACCESS_MEMO, None)
        g.pop(REQUEST_CACHE, None)
