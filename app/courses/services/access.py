"""The one entitlement service: who may open a course, and the two billing-backed facts it uses.

Purchases are `course_purchase` rows (recorded by billing when a payment completes; a refund ends
them). Whether a user's subscription opens subscription courses is billing's answer: the billing
module plugs it in with `use_subscriptions`; without billing, nobody is subscribed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, and_, exists, false, or_, select

from app.core.targets import is_admin, signed_in_user_id
from app.courses.models import Course, CoursePurchase, Enrollment, course_instructor
from app.extensions import db
from app.lookups.services import lookup_id

OPEN_STATUSES = ("active", "completed")


def _no_check(_user_id: int) -> None:
    return None


@dataclass(frozen=True)
class SubscriptionSource:
    """Billing's answers: does this user's subscription open subscription courses now, who does, does
    their plan include a feature (certificates...), and may they join one more course through it
    (raises an AppError saying why not)."""

    is_active: Callable[[int], bool]
    active_user_ids: Callable[[], Select[Any]]
    allows: Callable[[int, str], bool] = lambda _user_id, _code: False
    check_new_enrolment: Callable[[int], None] = _no_check


NO_SUBSCRIPTIONS = SubscriptionSource(
    is_active=lambda _user_id: False, active_user_ids=lambda: select(Enrollment.user_id).where(false())
)
_subscriptions: list[SubscriptionSource] = [NO_SUBSCRIPTIONS]


def use_subscriptions(source: SubscriptionSource) -> None:
    """Billing's registration (once, at start-up)."""
    _subscriptions[0] = source


def live_purchase() -> Any:
    """Purchases that still grant access (not refunded)."""
    return CoursePurchase.refunded_at.is_(None)


def has_purchased(user_id: int, course_id: int) -> bool:
    """True when the user bought the course (lifetime access, unless refunded)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CoursePurchase.user_id == user_id, CoursePurchase.course_id == course_id, live_purchase()
                )
            )
        )
    )


def has_active_subscription(user_id: int) -> bool:
    """True while the user's subscription (grace period included) opens subscription courses."""
    return _subscriptions[0].is_active(user_id)


def subscription_allows(user_id: int, code: str) -> bool:
    """The user's live subscription's plan includes a feature (`plan_features` code)."""
    return _subscriptions[0].allows(user_id, code)


PREMIUM_FEATURE = "premium_content"


def subscription_opens(user_id: int, course: Course) -> bool:
    """The user's live subscription opens this course: it is included in subscriptions and, when
    premium, the plan has `premium_content`."""
    if not course.included_in_subscription or not has_active_subscription(user_id):
        return False
    return not course.is_premium or subscription_allows(user_id, PREMIUM_FEATURE)


def opens_premium_lesson(user: Any, lesson: Any) -> bool:
    """A premium lesson opens to the course's staff, its buyers and plans with `premium_content`;
    any other lesson is not held back by this rule."""
    if not lesson.is_premium:
        return True
    user_id = signed_in_user_id(user)
    if user_id is None:
        return False
    course = lesson.course
    return (
        can_manage(user, course)
        or has_purchased(user_id, course.id)
        or subscription_allows(user_id, PREMIUM_FEATURE)
    )


def check_subscription_enrolment(user_id: int) -> None:
    """Raise when the user's plan cannot open one more course (its course limit is reached)."""
    _subscriptions[0].check_new_enrolment(user_id)


def access_via_subscription(user: Any, course: Course) -> bool:
    """The user opens this course only through a subscription: not staff, not bought, not free
    (what plan limits such as downloads and certificates apply to)."""
    user_id = signed_in_user_id(user)
    if user_id is None or course.is_free or can_manage(user, course) or has_purchased(user_id, course.id):
        return False
    enrollment = enrollment_of(user_id, course.id)
    return (
        enrollment is not None
        and enrollment.enrollment_type_id == lookup_id("enrollment_type", "subscription")
        and enrollment_grants_access(enrollment, course)
    )


def active_subscriber_ids() -> Select[Any]:
    """Ids of the users whose subscription opens subscription courses now (for filters and tasks)."""
    return _subscriptions[0].active_user_ids()


def is_instructor(user: Any, course: Course | int) -> bool:
    """True when the user teaches the course."""
    user_id = signed_in_user_id(user)
    if user_id is None:
        return False
    course_id = course if isinstance(course, int) else course.id
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    course_instructor.c.course_id == course_id, course_instructor.c.user_id == user_id
                )
            )
        )
    )


ACCESS_MEMO = "course_access_memo"


def _memo(key: tuple[Any, ...], compute: Callable[[], bool]) -> bool:
    """One answer per request: a page asks the same question for its lesson, notes, comments and
    resources. Cleared by `app.courses.listeners` whenever an enrolment, purchase, subscription or
    course is written; outside a request (tasks, shell) nothing is kept."""
    if not has_request_context():
        return compute()
    memo = g.setdefault(ACCESS_MEMO, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def can_manage(user: Any, course: Course) -> bool:
    """Admins and the course's instructors change a course and everything in it."""
    key = ("manage", signed_in_user_id(user), course.id)
    return _memo(key, lambda: is_admin(user) or is_instructor(user, course))


REQUEST_CACHE = "course_request_cache"


def request_cached(key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    """Rows a page reads again and again (the enrolment, the completed lessons), once per request.

    Cleared by `app.courses.listeners` when such a row is added, removed or changed in a way that
    changes the answer, and on rollback; outside a request (tasks, shell) nothing is kept.
    """
    if not has_request_context():
        return load()
    cache = g.setdefault(REQUEST_CACHE, {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def enrollment_of(user_id: int, course_id: int) -> Enrollment | None:
    """The user's enrolment in the course (any status), or None; the same object all request long."""
    return request_cached(
        ("enrollment", user_id, course_id),
        lambda: db.session.scalar(
            select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
        ),
    )


def enrollment_grants_access(enrollment: Enrollment | None, course: Course) -> bool:
    """An open enrolment grants access: purchases forever, subscriptions while one is active."""
    if enrollment is None:
        return False
    open_ids = {lookup_id("enrollment_status", code) for code in OPEN_STATUSES}
    if enrollment.status_id not in open_ids:
        return False
    if enrollment.enrollment_type_id == lookup_id("enrollment_type", "purchase"):
        return True
    if subscription_opens(enrollment.user_id, course):
        return True
    # A subscriber who bought the course (billing records the purchase) keeps it for life.
    return has_purchased(enrollment.user_id, enrollment.course_id)


def accessible_course_ids(user_id: int | None) -> Select[Any]:
    """Ids of the courses the user's enrolments open (`enrollment_grants_access` as SQL, for filters).

    Staff rights (admin, the course's instructors) are not included: callers add them.
    """
    open_ids = [lookup_id("enrollment_status", code) for code in OPEN_STATUSES]
    grants = [
        Enrollment.enrollment_type_id == lookup_id("enrollment_type", "purchase"),
        exists().where(
            CoursePurchase.user_id == Enrollment.user_id,
            CoursePurchase.course_id == Enrollment.course_id,
            live_purchase(),
        ),
    ]
    if user_id is not None and has_active_subscription(user_id):
        opened = Course.included_in_subscription.is_(True)
        if not subscription_allows(user_id, PREMIUM_FEATURE):
            opened = and_(opened, Course.is_premium.is_(False))
        grants.append(opened)
    return (
        select(Enrollment.course_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user_id, Enrollment.status_id.in_(open_ids), or_(*grants))
    )


def can_access(user: Any, course: Course) -> bool:
    """The entitlement rule, used everywhere a course's content, resources or notes are served."""
    user_id = signed_in_user_id(user)
    if user_id is None or course is None or course.is_deleted:
        return False
    return _memo(
        ("access", user_id, course.id),
        lambda: (
            can_manage(user, course) or enrollment_grants_access(enrollment_of(user_id, course.id), course)
        ),
    )


def is_listed(course: Course) -> bool:
    """True for a course anyone may find: published and public."""
    return course.status_id == lookup_id("course_status", "published") and course.visibility_id == lookup_id(
        "course_visibility", "public"
    )


def can_see_course(user: Any, course: Course) -> bool:
    """Its public page: listed courses for everyone, others for those with access."""
    return is_listed(course) or can_access(user, course)
