"""The course outline editor's rules: the course as one tree, and adding, renaming, moving, publishing
and removing its items.

Sections, lessons and lesson contents belong to this module. Other modules hang their own items
under lessons (or under the course itself) with `register_outline_kind`: the assessments module adds
quizzes and assignments, so the editor shows them without this module importing theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import Conflict, Invalid, NotFound
from app.core.softdelete import soft_delete
from app.core.targets import is_admin
from app.core.translations import LANGUAGES, set_translation, translated
from app.courses.models import Course, CourseSection, Lesson, LessonContent
from app.courses.services.catalog import (
    apply_order,
    approve_course,
    awaiting_review,
    next_position,
    outline,
    require_manager,
    submit_for_review,
    swapped,
)
from app.extensions import db
from app.lookups.services import lookup_id, require_lookup_id

TITLE_MAX_LENGTH = 200
# What a new lesson or content item may be (the `content_types` lookup); quizzes and assignments are
# items of their own, added under a lesson.
LESSON_TYPES = ("text", "video", "document", "embed")


@dataclass
class OutlineNode:
    """One item of the tree as the editor shows it."""

    kind: str
    id: int
    title: str
    titles: dict[str, str]
    detail: str = ""
    published: bool | None = None
    children: list[OutlineNode] = field(default_factory=list)


@dataclass(frozen=True)
class OutlineKind:
    """An item kind another module hangs under lessons: how to list, create and find its rows.

    `load(course)` returns the course's items by lesson id (None: items of the whole course);
    `create(user, course, lesson, translations)` adds one (checked by its module's rules, flushed).
    Rows need `translations` with a `title`, a `course_id` and, when `publishable`, `is_published`.
    """

    kind: str
    label: Any
    model: type
    load: Callable[[Course], dict[int | None, list[OutlineNode]]]
    create: Callable[[Any, Course, Lesson | None, dict[str, Any]], Any]
    publishable: bool = False
    edit_endpoint: str | None = None  # the back-office form with all the item's settings
    links: Callable[[OutlineNode], list[tuple[Any, str]]] = lambda _node: []  # more (label, url) links


_KINDS: dict[str, OutlineKind] = {}


def register_outline_kind(kind: OutlineKind) -> None:
    """Show `kind.kind` items in every course outline (registered once, at start-up)."""
    _KINDS[kind.kind] = kind


def outline_kinds() -> list[OutlineKind]:
    """The item kinds other modules registered, in registration order."""
    return list(_KINDS.values())


@dataclass
class CourseTree:
    """The course's sections (lessons and their items inside) and the items of the whole course."""

    sections: list[OutlineNode]
    course_items: list[OutlineNode]


# ---- reading ---------------------------------------------------------------------------------
def titles_of(translations: dict[str, Any] | None) -> dict[str, str]:
    """The stored title in each language (empty when that language has none)."""
    data = translations or {}
    return {language: (data.get(language) or {}).get("title", "") for language in LANGUAGES}


def node_of(kind: str, row: Any, detail: str = "", published: bool | None = None) -> OutlineNode:
    """A tree node for a row with `translations` (its title in the viewer's language)."""
    title = translated(row.translations, "title") or f"#{row.id}"
    return OutlineNode(kind, row.id, title, titles_of(row.translations), detail, published)


def course_tree(course: Course) -> CourseTree:
    """The whole outline in a fixed number of queries, whatever the course's size."""
    parts = outline(course)
    lesson_ids = [lesson.id for _section, lessons in parts for lesson in lessons]
    contents: dict[int, list[LessonContent]] = {}
    if lesson_ids:
        query = (
            select(LessonContent)
            .where(LessonContent.lesson_id.in_(lesson_ids))
            .order_by(LessonContent.position, LessonContent.id)
        )
        for content in db.session.scalars(query):
            contents.setdefault(content.lesson_id, []).append(content)
    extra: dict[int | None, list[OutlineNode]] = {}
    for kind in _KINDS.values():
        for lesson_id, nodes in kind.load(course).items():
            extra.setdefault(lesson_id, []).extend(nodes)
    sections = []
    for section, lessons in parts:
        section_node = node_of("section", section)
        for lesson in lessons:
            lesson_node = node_of("lesson", lesson, str(lesson.content_type))
            lesson_node.children = [
                node_of("content", content, str(content.kind)) for content in contents.get(lesson.id, [])
            ]
            lesson_node.children += extra.get(lesson.id, [])
            section_node.children.append(lesson_node)
        sections.append(section_node)
    return CourseTree(sections, extra.get(None, []))


# ---- checks ----------------------------------------------------------------------------------
def checked_titles(titles: dict[str, Any]) -> dict[str, str]:
    """Titles stripped, at most 200 characters, in English or Arabic at least (Invalid otherwise)."""
    clean: dict[str, str] = {}
    for language in LANGUAGES:
        value = titles.get(language)
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if len(text) > TITLE_MAX_LENGTH:
            message = _("A title has at most %(n)d characters.", n=TITLE_MAX_LENGTH)
            raise Invalid(message, {f"title_{language}": [message]})
        clean[language] = text
    if not any(clean.values()):
        message = _("Give a title in English or Arabic.")
        raise Invalid(message, {"title_en": [message]})
    return clean


def _with_titles(translations: dict[str, Any] | None, titles: dict[str, str]) -> dict[str, Any]:
    data = translations or {}
    for language, text in titles.items():
        data = set_translation(data, "title", language, text)
    return data


def _model_of(kind: str) -> type:
    models: dict[str, type] = {"section": CourseSection, "lesson": Lesson, "content": LessonContent}
    model = models.get(kind) or (_KINDS[kind].model if kind in _KINDS else None)
    if model is None:
        raise Invalid(_("Unknown kind of item."), {"kind": [kind]})
    return model


def course_item(course: Course, kind: str, item_id: Any) -> Any:
    """The item of this course (NotFound when it is missing, removed or another course's)."""
    model = _model_of(kind)
    try:
        row = db.session.get(model, int(item_id))
    except (TypeError, ValueError):
        row = None
    owner = None
    if row is not None and not row.is_deleted:
        owner = row.lesson.course_id if isinstance(row, LessonContent) else row.course_id
    if owner != course.id:
        raise NotFound(_("This item is not part of the course."))
    return row


def _type_id(code: str) -> int:
    if code not in LESSON_TYPES:
        message = _("Choose a type of lesson.")
        raise Invalid(message, {"type": [message]})
    return require_lookup_id("content_types", code)


# ---- changes ---------------------------------------------------------------------------------
def add_item(
    user: Any, course: Course, kind: str, parent_id: Any, titles: dict[str, Any], **extra: Any
) -> Any:
    """Add a section, a lesson (in a section), a content item or another module's item (in a lesson)."""
    require_manager(user, course)
    translations = _with_titles({}, checked_titles(titles))
    if kind == "section":
        position = next_position(CourseSection, course_id=course.id)
        row: Any = CourseSection(course_id=course.id, translations=translations, position=position)
    elif kind == "lesson":
        section = course_item(course, "section", parent_id)
        type_id = _type_id(extra.get("type") or "text")
        position = next_position(Lesson, section_id=section.id)
        row = Lesson(
            section_id=section.id,
            course_id=course.id,
            translations=translations,
            content_type_id=type_id,
            position=position,
        )
    elif kind == "content":
        lesson = course_item(course, "lesson", parent_id)
        position = next_position(LessonContent, lesson_id=lesson.id)
        type_id = _type_id(extra.get("type") or "text")
        row = LessonContent(
            lesson_id=lesson.id, kind_id=type_id, translations=translations, position=position
        )
    elif kind in _KINDS:
        lesson = course_item(course, "lesson", parent_id) if parent_id not in (None, "") else None
        return _KINDS[kind].create(user, course, lesson, translations)
    else:
        raise Invalid(_("Unknown kind of item."), {"kind": [kind]})
    db.session.add(row)
    db.session.flush()
    return row


def rename_item(user: Any, course: Course, kind: str, item_id: Any, titles: dict[str, Any]) -> Any:
    """Give an item new titles (a language left empty loses its title)."""
    require_manager(user, course)
    row = course_item(course, kind, item_id)
    row.translations = _with_titles(row.translations, checked_titles(titles))
    db.session.flush()
    return row


def remove_item(user: Any, course: Course, kind: str, item_id: Any) -> Any:
    """Move an item to the trash; a section or lesson must be emptied first (nothing vanishes unseen)."""
    require_manager(user, course)
    row = course_item(course, kind, item_id)
    if kind == "section" and db.session.scalar(select(Lesson.id).where(Lesson.section_id == row.id).limit(1)):
        raise Conflict(_("Move or remove the section's lessons first."))
    if kind == "lesson":
        children = [LessonContent, *(kind_.model for kind_ in _KINDS.values())]
        if any(db.session.scalar(select(m.id).where(m.lesson_id == row.id).limit(1)) for m in children):
            raise Conflict(_("Move or remove the lesson's contents first."))
    soft_delete(row)
    db.session.flush()
    return row


def move_item(user: Any, course: Course, kind: str, item_id: Any, parent_id: Any, order: list[Any]) -> Any:
    """Put an item in its parent's list in the given order; a lesson may move to another section."""
    require_manager(user, course)
    row = course_item(course, kind, item_id)
    if kind == "lesson":
        row.section_id = course_item(course, "section", parent_id).id
    elif kind == "content" and row.lesson_id != course_item(course, "lesson", parent_id).id:
        raise Invalid(_("Contents stay in their lesson."), {"parent_id": [str(parent_id)]})
    apply_order(_siblings(course, kind, row), order, "order")
    db.session.flush()
    return row


def _siblings(course: Course, kind: str, row: Any) -> list[Any]:
    if kind == "section":
        query = select(CourseSection).where(CourseSection.course_id == course.id)
        order = (CourseSection.position, CourseSection.id)
    elif kind == "lesson":
        query = select(Lesson).where(Lesson.section_id == row.section_id)
        order = (Lesson.position, Lesson.id)
    elif kind == "content":
        query = select(LessonContent).where(LessonContent.lesson_id == row.lesson_id)
        order = (LessonContent.position, LessonContent.id)
    else:
        raise Invalid(_("This item cannot be moved."), {"kind": [kind]})
    return list(db.session.scalars(query.order_by(*order)))


def shift_item(user: Any, course: Course, kind: str, item_id: Any, direction: str) -> Any:
    """Swap an item with the one before ("up") or after ("down") it in the same parent."""
    require_manager(user, course)
    if direction not in ("up", "down"):
        raise Invalid(_("Choose up or down."), {"direction": [str(direction)]})
    row = course_item(course, kind, item_id)
    rows = _siblings(course, kind, row)
    apply_order(rows, swapped([sibling.id for sibling in rows], row.id, direction), "order")
    db.session.flush()
    return row


def toggle_published(user: Any, course: Course, kind: str, item_id: Any) -> bool:
    """Publish or hide a quiz, assignment or other publishable item; returns whether it is published."""
    require_manager(user, course)
    if kind not in _KINDS or not _KINDS[kind].publishable:
        raise Invalid(_("This item cannot be published on its own."), {"kind": [kind]})
    row = course_item(course, kind, item_id)
    row.is_published = not row.is_published
    db.session.flush()
    return bool(row.is_published)


def publish_course(user: Any, course: Course) -> str:
    """Admins publish the course at once; instructors send it for review. Returns what happened."""
    require_manager(user, course)
    if course.status_id == lookup_id("course_status", "published"):
        raise Conflict(_("This course is already published."))
    if not is_admin(user):
        submit_for_review(course, user)
        return "submitted"
    if not awaiting_review(course):
        submit_for_review(course, user)
    approve_course(course, user)
    return "published"
