"""Courses and their structure: creation, slugs, review workflow, ordering, the public catalog."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, false, func, select
from sqlalchemy.orm import selectinload

from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.listing import capped_count
from app.core.models import utcnow
from app.core.search_text import normalize_search
from app.core.slugs import is_valid_slug, slugify
from app.core.targets import is_admin
from app.courses import notices
from app.courses.models import (
    Course,
    CourseSection,
    CourseSlug,
    Lesson,
    course_instructor,
    course_prerequisite,
)
from app.courses.services.access import can_manage, can_see_course, has_active_subscription
from app.extensions import db
from app.lookups.services import lookup_id, require_lookup_id

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000  # deeper pages are empty anyway; an absurd page number must not overflow OFFSET


def get_course(course_id: int) -> Course:
    """The course, or NotFound."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("No such course."))
    return course


def require_manager(user: Any, course: Course) -> None:
    """Forbidden unless the user is an admin or one of the course's instructors."""
    if not can_manage(user, course):
        raise Forbidden(_("Only the course's instructors and admins may change it."))


# ---- slugs -----------------------------------------------------------------------------------
def check_slug(slug: str, course_id: int | None = None) -> str:
    """The slug if it is well formed and not used by another course (now or before)."""
    if not is_valid_slug(slug):
        raise Invalid(_("Use lower-case letters, digits and hyphens in the address."), {"slug": [slug]})
    # Deleted courses too: their slugs still hold the unique index (and come back on restore).
    other = db.session.scalar(
        select(Course.id)
        .where(Course.slug == slug, Course.id != (course_id or 0))
        .execution_options(include_deleted=True)
    )
    old = db.session.scalar(
        select(CourseSlug.course_id).where(CourseSlug.slug == slug).execution_options(include_deleted=True)
    )
    if other is not None or (old is not None and old != course_id):
        raise Conflict(_("Another course already uses this address."), {"slug": [slug]})
    return slug


def unique_slug(text: str, course_id: int | None = None) -> str:
    """A free slug made from some text, with -2, -3... appended when taken."""
    base = slugify(text) or "course"
    candidate, n = base, 1
    while True:
        try:
            return check_slug(candidate, course_id)
        except Conflict:
            n += 1
            candidate = f"{base}-{n}"


def prepare_course(course: Course, user: Any) -> None:
    """Defaults and checks for a course about to be saved from a screen or the API."""
    title = ((course.translations or {}).get("en") or {}).get("title") or (
        (course.translations or {}).get("ar") or {}
    ).get("title")
    if not title:
        raise Invalid(_("A course needs a title."), {"title_en": [_("A course needs a title.")]})
    course.slug = check_slug(course.slug, course.id) if course.slug else unique_slug(title, course.id)
    if course.price is None:
        course.price = Decimal("0")  # no price given: a free course
    if Decimal(course.price) < 0:
        raise Invalid(_("The price cannot be negative."), {"price": [str(course.price)]})
    course.currency = (course.currency or "USD").upper()
    course.status_id = course.status_id or require_lookup_id("course_status", "draft")
    course.visibility_id = course.visibility_id or require_lookup_id("course_visibility", "draft")
    course.tags = [str(t).strip() for t in (course.tags or []) if str(t).strip()]
    if course.id is None and not is_admin(user) and user is not None and user not in course.instructors:
        course.instructors.append(user)  # an instructor's new course is theirs
    check_instructors(course)
    check_prerequisites(course, user)
    published = lookup_id("course_status", "published")
    status_changed = course.id is None or db.inspect(course).attrs.status_id.history.has_changes()
    if course.status_id == published and status_changed and not is_admin(user):
        raise Forbidden(_("An admin publishes a course after reviewing it."))
    if course.status_id == published and course.published_at is None:
        course.published_at = utcnow()


TEACHING_ROLES = ("Instructor", "Admin")


def check_instructors(course: Course) -> None:
    """Only active users holding the Instructor (or Admin) role teach a course."""
    wrong = [
        u.username
        for u in course.instructors
        if not u.is_active or not any(role.name in TEACHING_ROLES for role in u.roles)
    ]
    if wrong:
        raise Invalid(_("Only instructors can teach a course."), {"instructors": wrong})


def _requires(course_id: int, target_id: int) -> bool:
    """True when the course requires `target_id`, directly or through its own prerequisites."""
    seen, todo = set(), [course_id]
    while todo:
        current = todo.pop()
        if current == target_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo += db.session.scalars(
            select(course_prerequisite.c.required_course_id).where(course_prerequisite.c.course_id == current)
        )
    return False


def check_prerequisites(course: Course, user: Any) -> None:
    """Prerequisites are courses the user may see or manage, never the course itself or a cycle."""
    for required in course.prerequisites:
        if course.id is not None and (required.id == course.id or _requires(required.id, course.id)):
            raise Invalid(
                _("A course cannot require itself, even through other courses."),
                {"prerequisites": [required.title]},
            )
        if not (can_see_course(user, required) or can_manage(user, required)):
            raise Invalid(
                _("Choose prerequisites among published courses."), {"prerequisites": [str(required.id)]}
            )


def resolve_slug(slug: str) -> tuple[Course | None, str | None]:
    """(course, None) for a current slug, (None, new slug) for an old one, (None, None) otherwise."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is not None:
        return course, None
    old = db.session.scalar(select(CourseSlug).where(CourseSlug.slug == slug))
    if old is not None and old.course is not None:
        return None, old.course.slug
    return None, None


# ---- review workflow -------------------------------------------------------------------------
def _flush(course: Course) -> None:
    """Flush, and let the lookups whose ids changed load again (a commit used to expire them)."""
    db.session.flush()
    db.session.expire(course, ["status", "visibility", "review_status", "reviewed_by"])


def awaiting_review(course: Course) -> bool:
    """True while the course waits for an admin to approve or reject it."""
    return course.review_status_id == lookup_id("course_review_status", "pending")


def submit_for_review(course: Course, user: Any) -> Course:
    """An instructor asks an admin to publish the course."""
    require_manager(user, course)
    if awaiting_review(course):
        raise Conflict(_("This course is already waiting for review."))
    if not db.session.scalar(select(exists().where(Lesson.course_id == course.id))):
        raise Invalid(_("Add at least one lesson before submitting the course."))
    course.review_status_id = require_lookup_id("course_review_status", "pending")
    course.submitted_at = utcnow()
    course.review_reason = None
    _flush(course)
    notices.review_submitted(course, user)
    return course


def approve_course(course: Course, user: Any) -> Course:
    """An admin publishes a course waiting for review."""
    if not is_admin(user):
        raise Forbidden(_("Only admins approve courses."))
    if not awaiting_review(course):
        raise Conflict(_("This course is not waiting for review."))
    now = utcnow()
    course.review_status_id = require_lookup_id("course_review_status", "approved")
    course.status_id = require_lookup_id("course_status", "published")
    if course.visibility_id == lookup_id("course_visibility", "draft"):
        course.visibility_id = require_lookup_id("course_visibility", "public")
    course.reviewed_at, course.reviewed_by_id, course.review_reason = now, user.id, None
    course.published_at = course.published_at or now
    _flush(course)
    notices.review_decided(course, user, "approved")
    return course


def reject_course(course: Course, user: Any, reason: str) -> Course:
    """An admin sends a course back to its instructors with a reason."""
    if not is_admin(user):
        raise Forbidden(_("Only admins reject courses."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give a reason for the rejection."), {"reason": [_("Required.")]})
    if not awaiting_review(course):
        raise Conflict(_("This course is not waiting for review."))
    course.review_status_id = require_lookup_id("course_review_status", "rejected")
    course.reviewed_at, course.reviewed_by_id, course.review_reason = utcnow(), user.id, reason[:2000]
    _flush(course)
    notices.review_decided(course, user, "rejected", course.review_reason)
    return course


# ---- ordering --------------------------------------------------------------------------------
def apply_order(rows: list[Any], ordered_ids: list[int], what: str) -> None:
    """Number the rows 1, 2, ... in the given order (Invalid unless it lists each row exactly once)."""
    by_id = {row.id: row for row in rows}
    try:
        ids = [int(i) for i in ordered_ids]
    except (TypeError, ValueError):
        raise Invalid(_("The order must list ids."), {what: [_("Not a list of ids.")]}) from None
    if sorted(ids) != sorted(by_id):
        raise Invalid(_("The order must list each item exactly once."), {what: [str(sorted(by_id))]})
    for position, row_id in enumerate(ids, start=1):
        by_id[row_id].position = position


def swapped(ids: list[int], item_id: int, direction: str) -> list[int]:
    """The ids with one swapped with its neighbour before ("up") or after ("down") it."""
    ids = list(ids)
    i = ids.index(item_id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def reorder_sections(course: Course, section_ids: list[int], user: Any) -> list[CourseSection]:
    """Put the course's sections in the given order."""
    require_manager(user, course)
    sections = list(db.session.scalars(select(CourseSection).where(CourseSection.course_id == course.id)))
    apply_order(sections, section_ids, "sections")
    db.session.flush()
    return sorted(sections, key=lambda s: s.position)


def reorder_lessons(section: CourseSection, lesson_ids: list[int], user: Any) -> list[Lesson]:
    """Put the section's lessons in the given order."""
    require_manager(user, section.course)
    lessons = list(db.session.scalars(select(Lesson).where(Lesson.section_id == section.id)))
    apply_order(lessons, lesson_ids, "lessons")
    db.session.flush()
    return sorted(lessons, key=lambda s: s.position)


def next_position(model: type, **parent: int) -> int:
    """The position after the last row under the same parent."""
    query = select(func.coalesce(func.max(model.position), 0))
    for column, value in parent.items():
        query = query.where(getattr(model, column) == value)
    return int(db.session.scalar(query) or 0) + 1


def outline(course: Course) -> list[tuple[CourseSection, list[Lesson]]]:
    """Sections in order, each with its lessons in order (two queries)."""
    sections = list(
        db.session.scalars(
            select(CourseSection)
            .where(CourseSection.course_id == course.id)
            .order_by(CourseSection.position, CourseSection.id)
            .options(selectinload(CourseSection.lessons).joinedload(Lesson.content_type))
        )
    )
    return [(s, sorted(s.lessons, key=lambda lesson: (lesson.position, lesson.id))) for s in sections]


def ordered_lessons(course_id: int) -> list[Lesson]:
    """Every lesson of a course in reading order."""
    return list(
        db.session.scalars(
            select(Lesson)
            .join(CourseSection, Lesson.section_id == CourseSection.id)
            .where(Lesson.course_id == course_id)
            .order_by(CourseSection.position, CourseSection.id, Lesson.position, Lesson.id)
        )
    )


# ---- the public catalog ----------------------------------------------------------------------
@dataclass
class CatalogPage:
    """One page of catalog results."""

    items: list[Course]
    total: int  # a ListCount: `total.capped` when more courses matched than were counted
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def catalog_query(
    *,
    search: str = "",
    category: str | None = None,
    level: str | None = None,
    price: str | None = None,
    in_my_plan: bool = False,
    user: Any = None,
) -> Select[Any]:
    """Published, public courses matching the filters (codes of lookups, 'free' or 'paid')."""
    query = select(Course).where(
        Course.status_id == lookup_id("course_status", "published"),
        Course.visibility_id == lookup_id("course_visibility", "public"),
    )
    for word in normalize_search(search).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Course.search_text.like(f"%{escaped}%", escape="\\"))
    # An unknown code matches nothing (comparing with None would list the courses without one).
    if category:
        category_id = lookup_id("course_categories", category)
        query = query.where(Course.category_id == category_id if category_id is not None else false())
    if level:
        level_id = lookup_id("course_levels", level)
        query = query.where(Course.level_id == level_id if level_id is not None else false())
    if price == "free":
        query = query.where(Course.price == 0)
    elif price == "paid":
        query = query.where(Course.price > 0)
    if in_my_plan:
        user_id = getattr(user, "id", None)
        subscribed = user_id is not None and has_active_subscription(user_id)
        query = query.where(Course.included_in_subscription.is_(True) if subscribed else false())
    return query


def catalog(page: int = 1, page_size: int = 12, **filters: Any) -> CatalogPage:
    """A page of the catalog, newest first, with the total count."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = min(max(1, int(page)), MAX_PAGE)
    query = catalog_query(**filters)
    # Capped: an exact count read every listed course (x1.93 from 1k to 100k courses).
    total = capped_count(query, page * page_size)
    items = list(
        db.session.scalars(
            query.options(selectinload(Course.level), selectinload(Course.category))
            # Plain DESC (published courses always have published_at): ix_course_catalog serves the
            # order, where NULLS LAST made PostgreSQL sort every listed course (100k: 0.1 ms vs 100 ms).
            .order_by(Course.published_at.desc(), Course.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    return CatalogPage(items, total, page, page_size)


def visible_course(user: Any, course_id: int) -> Course:
    """The course if the user may see its page, otherwise NotFound (hides private courses)."""
    course = get_course(course_id)
    if not can_see_course(user, course):
        raise NotFound(_("No such course."))
    return course


def courses_taught_by(user_id: int) -> Select[Any]:
    """Ids of the courses a user teaches (for row filters)."""
    return select(course_instructor.c.course_id).where(course_instructor.c.user_id == user_id)


def managed_courses(user: Any) -> list[Course]:
    """Courses the user teaches (every course for admins, at most 1,000), by title: for pickers."""
    query = select(Course).order_by(Course.id.desc()).limit(1000)
    if not is_admin(user):
        query = query.where(Course.id.in_(courses_taught_by(getattr(user, "id", None) or 0)))
    return sorted(db.session.scalars(query), key=lambda c: c.title.lower())
