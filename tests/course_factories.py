"""Factories of the courses module for tests and benchmarks (call inside an app context; all commit)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.core.models import utcnow
from app.courses.models import (
    Course,
    CoursePurchase,
    CourseSection,
    Enrollment,
    Lesson,
    LessonProgress,
    Note,
)
from app.courses.services.catalog import next_position, unique_slug
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser

_counter = itertools.count(1)


def _user(user: LmsUser | int) -> LmsUser:
    return user if isinstance(user, LmsUser) else db.session.get(LmsUser, user)


def make_course(
    *,
    instructors: Any = (),
    title: str = "Course",
    title_ar: str = "دورة",
    price: Any = 0,
    status: str = "published",
    visibility: str = "public",
    included_in_subscription: bool = True,
    sequential: bool = False,
    **fields: Any,
) -> Course:
    """A committed course, published and public by default, with English and Arabic titles.

    `instructors` takes users or user ids; lookups may be given by code (`category="programming"`,
    `level="beginner"`, `review_status="pending"`).
    """
    n = next(_counter)
    translations = fields.pop("translations", None) or {"en": {"title": title}, "ar": {"title": title_ar}}
    lookups = {
        "category": "course_categories",
        "level": "course_levels",
        "language": "languages",
        "review_status": "course_review_status",
    }
    for key, type_code in lookups.items():
        code = fields.pop(key, None)
        if code is not None:
            fields[f"{key}_id"] = require_lookup_id(type_code, code)
    course = Course(
        slug=fields.pop("slug", None) or unique_slug(f"{title}-{n}"),
        translations=translations,
        price=Decimal(str(price)),
        currency=fields.pop("currency", "USD"),
        status_id=require_lookup_id("course_status", status),
        visibility_id=require_lookup_id("course_visibility", visibility),
        included_in_subscription=included_in_subscription,
        sequential=sequential,
        tags=fields.pop("tags", []),
        **fields,
    )
    if status == "published":
        course.published_at = utcnow()
    course.instructors = [_user(u) for u in instructors]
    db.session.add(course)
    db.session.commit()
    return course


def make_section(course: Course, title: str = "Section", position: int | None = None) -> CourseSection:
    """A committed section at the end of the course (or at `position`)."""
    section = CourseSection(
        course_id=course.id,
        translations={"en": {"title": title}, "ar": {"title": f"{title} (ع)"}},
        position=position if position is not None else next_position(CourseSection, course_id=course.id),
    )
    db.session.add(section)
    db.session.commit()
    return section


def make_lesson(
    section: CourseSection,
    title: str = "Lesson",
    content_type: str = "text",
    is_free_preview: bool = False,
    is_required: bool = True,
    duration_minutes: int | None = None,
    position: int | None = None,
) -> Lesson:
    """A committed lesson at the end of the section (or at `position`)."""
    lesson = Lesson(
        section_id=section.id,
        course_id=section.course_id,
        translations={"en": {"title": title}, "ar": {"title": f"{title} (ع)"}},
        content_type_id=require_lookup_id("content_types", content_type),
        is_free_preview=is_free_preview,
        is_required=is_required,
        duration_minutes=duration_minutes,
        position=position if position is not None else next_position(Lesson, section_id=section.id),
    )
    db.session.add(lesson)
    db.session.commit()
    return lesson


def make_enrollment(
    user: LmsUser | int,
    course: Course,
    *,
    type: str = "purchase",
    status: str = "active",
    source: str = "instructor",
    progress_percent: int = 0,
    time_spent_seconds: int = 0,
    **fields: Any,
) -> Enrollment:
    """A committed enrolment written directly (no entitlement checks); see services for the real path."""
    user = _user(user)
    enrollment = Enrollment(
        user_id=user.id,
        course_id=course.id,
        enrollment_type_id=require_lookup_id("enrollment_type", type),
        status_id=require_lookup_id("enrollment_status", status),
        source=source,
        enrolled_at=fields.pop("enrolled_at", utcnow()),
        progress_percent=progress_percent,
        time_spent_seconds=time_spent_seconds,
        **fields,
    )
    if status == "completed" and enrollment.completed_at is None:
        enrollment.completed_at = utcnow()
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


def course_plan() -> Any:
    """A committed monthly plan whose subscribers open subscription courses (made once)."""
    from app.billing.models import Plan, PlanFeature

    plan = db.session.scalar(select(Plan).where(Plan.code == "test-courses"))
    if plan is None:
        plan = Plan(
            code="test-courses",
            translations={"en": {"name": "Courses"}, "ar": {"name": "الدورات"}},
            price=Decimal("10"),
            billing_cycle_id=require_lookup_id("billing_cycles", "monthly"),
        )
        db.session.add(plan)
        db.session.flush()
        db.session.add(
            PlanFeature(plan_id=plan.id, feature_id=require_lookup_id("plan_features", "course_access"))
        )
        db.session.commit()
    return plan


def grant_subscription(user: LmsUser | int, days: int = 30, starts_days_ago: int = 1) -> Any:
    """A committed, active subscription whose period started `starts_days_ago` days ago and lasts
    `days` days, on a plan that opens subscription courses."""
    from app.billing.models import Subscription

    user = _user(user)
    starts = utcnow() - timedelta(days=starts_days_ago)
    ends = starts + timedelta(days=days)
    subscription = Subscription(
        user_id=user.id,
        plan_id=course_plan().id,
        status_id=require_lookup_id("subscription_status", "active"),
        is_current=True,
        started_at=starts,
        current_period_start=starts,
        current_period_end=ends,
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription


def end_subscription(subscription: Any, ago: timedelta = timedelta(seconds=1)) -> None:
    """Move a subscription's period end into the past, beyond the grace period (committed)."""
    from app.billing.services.entitlements import grace_period

    subscription.current_period_end = utcnow() - grace_period() - ago
    db.session.commit()


def buy(user: LmsUser | int, course: Course) -> CoursePurchase:
    """A committed purchase record only (no enrolment)."""
    user = _user(user)
    purchase = CoursePurchase(
        user_id=user.id,
        course_id=course.id,
        amount=course.price,
        currency=course.currency,
        purchased_at=utcnow(),
    )
    db.session.add(purchase)
    db.session.commit()
    return purchase


def make_progress(
    user: LmsUser | int, lesson: Lesson, *, completed: bool = False, time_spent_seconds: int = 0
) -> LessonProgress:
    """A committed lesson progress row written directly."""
    user = _user(user)
    progress = LessonProgress(
        user_id=user.id,
        lesson_id=lesson.id,
        course_id=lesson.course_id,
        completed_at=utcnow() if completed else None,
        time_spent_seconds=time_spent_seconds,
    )
    db.session.add(progress)
    db.session.commit()
    return progress


def make_note(
    user: LmsUser | int,
    course: Course,
    *,
    body: str = "A note",
    visibility: str = "private",
    target_type: str = "course",
    target_id: int | None = None,
    **fields: Any,
) -> Note:
    """A committed note written directly (no access checks); see services.notes for the real path."""
    user = _user(user)
    note = Note(
        user_id=user.id,
        course_id=course.id,
        target_type=target_type,
        target_id=target_id if target_id is not None else course.id,
        visibility_id=require_lookup_id("note_visibility", visibility),
        body=body,
        **fields,
    )
    db.session.add(note)
    db.session.commit()
    return note
