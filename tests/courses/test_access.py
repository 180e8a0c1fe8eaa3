"""The entitlement truth table of `can_access`, subscription expiry (grandfathering) and purchases."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from flask_login import AnonymousUserMixin

from app.core.models import utcnow
from app.courses.models import Enrollment, LessonProgress
from app.courses.services import (
    can_access,
    can_see_course,
    enrollment_of,
    expire_subscription_enrollments,
    has_active_subscription,
    record_purchase,
)
from app.extensions import db
from tests.course_factories import (
    buy,
    end_subscription,
    grant_subscription,
    make_course,
    make_enrollment,
    make_lesson,
    make_progress,
    make_section,
)
from tests.factories import make_user

ROLES = ("admin", "own_instructor", "other_instructor", "student", "anonymous")
ENROLMENTS = [("none", None)] + [
    (etype, status)
    for etype in ("purchase", "subscription")
    for status in ("active", "completed", "expired", "dropped")
]
SUBSCRIPTIONS = ("none", "active", "ended")


def expected_access(
    role: str, etype: str, status: str | None, subscription: str, purchased: bool, included: bool
) -> bool:
    """The issue's rules, written independently of the service."""
    if role in ("admin", "own_instructor"):
        return True  # admins and the course's instructors always
    if role == "anonymous" or etype == "none":
        return False  # a purchase record alone is not an enrolment: the learner enrols first
    if status in ("expired", "dropped"):
        return False
    if etype == "purchase" or purchased:
        return True  # bought: access for life (also when the enrolment came from a subscription)
    return included and subscription == "active"


def _cases() -> list[Any]:
    cases = []
    for role, (etype, status), subscription, purchased, included in itertools.product(
        ROLES, ENROLMENTS, SUBSCRIPTIONS, (False, True), (True, False)
    ):
        # Admins, the course's instructors and anonymous visitors do not depend on enrolment state:
        # their rows keep one enrolment status per type, to keep the table fast.
        if role in ("admin", "own_instructor", "anonymous") and status not in (None, "active", "expired"):
            continue
        label = f"{role}-{etype}-{status}-sub_{subscription}-{'bought' if purchased else 'not_bought'}-" + (
            "included" if included else "not_included"
        )
        cases.append(pytest.param(role, etype, status, subscription, purchased, included, id=label))
    return cases


def _subscription(user: Any, state: str) -> None:
    if state == "active":
        grant_subscription(user)
    elif state == "ended":
        grant_subscription(user, days=30, starts_days_ago=40)


@pytest.mark.parametrize(("role", "etype", "status", "subscription", "purchased", "included"), _cases())
def test_entitlement_truth_table(
    ctx: None, role: str, etype: str, status: str | None, subscription: str, purchased: bool, included: bool
) -> None:
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher], price=20, included_in_subscription=included)
    user: Any
    if role == "anonymous":
        user = None
    else:
        user = {
            "admin": lambda: make_user("Admin"),
            "own_instructor": lambda: teacher,
            "other_instructor": lambda: make_user("Instructor"),
            "student": lambda: make_user("Student"),
        }[role]()
        if etype != "none":
            make_enrollment(user, course, type=etype, status=status)
        _subscription(user, subscription)
        if purchased:
            buy(user, course)
    want = expected_access(role, etype, status, subscription, purchased, included)
    assert can_access(user, course) is want
    if role == "anonymous":
        assert can_access(AnonymousUserMixin(), course) is False


def test_truth_table_covers_every_combination() -> None:
    assert len(_cases()) == 2 * 9 * 12 + 3 * 5 * 12


def test_deleted_course_is_closed_even_to_enrolled(ctx: None) -> None:
    student = make_user("Student")
    course = make_course()
    make_enrollment(student, course)
    assert can_access(student, course)
    course.is_deleted, course.deleted_at = True, utcnow()
    db.session.commit()
    assert not can_access(student, course)


def test_can_see_course_lists_public_and_hides_private(ctx: None) -> None:
    student, teacher = make_user("Student"), make_user("Instructor")
    public = make_course()
    private = make_course(visibility="private", instructors=[teacher])
    draft = make_course(status="draft", visibility="draft")
    assert can_see_course(None, public) and can_see_course(student, public)
    assert not can_see_course(None, private) and not can_see_course(student, private)
    assert can_see_course(teacher, private)
    assert not can_see_course(student, draft)
    make_enrollment(student, private)
    assert can_see_course(student, private)


def test_subscription_window_bounds(ctx: None) -> None:
    student = make_user("Student")
    future = grant_subscription(student, days=30, starts_days_ago=-2)  # starts in two days
    assert not has_active_subscription(student.id)
    future.current_period_start = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert has_active_subscription(student.id)
    end_subscription(future)
    assert not has_active_subscription(student.id)


# ---- subscription end: expiry, grandfathering, progress kept --------------------------------------
def test_subscription_end_expires_only_subscription_enrollments(ctx: None) -> None:
    student, other = make_user("Student"), make_user("Student")
    by_subscription = make_course(price=30)
    bought = make_course(price=30)
    free = make_course()
    section = make_section(by_subscription)
    lesson_a, lesson_b = make_lesson(section), make_lesson(section)
    subscription = grant_subscription(student)
    grant_subscription(other)
    sub_enrolment = make_enrollment(student, by_subscription, type="subscription", time_spent_seconds=300)
    other_enrolment = make_enrollment(other, by_subscription, type="subscription")
    purchase_enrolment = make_enrollment(student, bought, type="purchase")
    free_enrolment = make_enrollment(student, free, type="purchase", status="completed")
    make_progress(student, lesson_a, completed=True, time_spent_seconds=200)
    make_progress(student, lesson_b, time_spent_seconds=100)

    assert expire_subscription_enrollments() == 0  # everyone is still subscribed
    end_subscription(subscription)
    assert not can_access(student, by_subscription)  # already closed before the task runs

    assert expire_subscription_enrollments() == 1
    db.session.expire_all()
    assert sub_enrolment.status.code == "expired" and sub_enrolment.ended_at is not None
    assert sub_enrolment.time_spent_seconds == 300
    assert other_enrolment.status.code == "active"  # still subscribed
    assert purchase_enrolment.status.code == "active" and free_enrolment.status.code == "completed"
    assert can_access(student, bought) and can_access(student, free)
    rows = db.session.query(LessonProgress).filter_by(user_id=student.id).all()
    assert sorted(r.time_spent_seconds for r in rows) == [100, 200]
    assert sum(1 for r in rows if r.completed_at) == 1
    assert expire_subscription_enrollments() == 0  # idempotent


def test_expire_for_one_user_only(ctx: None) -> None:
    first, second = make_user("Student"), make_user("Student")
    course = make_course(price=10)
    for user in (first, second):
        make_enrollment(user, course, type="subscription")
        grant_subscription(user, days=10, starts_days_ago=20)
    assert expire_subscription_enrollments(user_id=first.id) == 1
    assert enrollment_of(second.id, course.id).status.code == "active"


def test_bought_course_survives_subscription_end(ctx: None) -> None:
    """A subscriber with a purchase record keeps the course: expiry turns the enrolment into a purchase."""
    student = make_user("Student")
    course = make_course(price=10)
    subscription = grant_subscription(student)
    enrolment = make_enrollment(student, course, type="subscription")
    buy(student, course)  # a purchase recorded by billing without going through record_purchase
    end_subscription(subscription)
    assert can_access(student, course)
    expire_subscription_enrollments()
    db.session.expire_all()
    assert enrolment.status.code == "active" and enrolment.enrollment_type.code == "purchase"
    assert can_access(student, course)


def test_buying_while_subscribed_makes_enrolment_lifetime(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=25)
    subscription = grant_subscription(student)
    enrolment = make_enrollment(student, course, type="subscription", progress_percent=40)
    result = record_purchase(student, course)
    db.session.commit()  # the caller's boundary: record_purchase only flushes
    assert result.id == enrolment.id
    assert result.enrollment_type.code == "purchase" and result.status.code == "active"
    assert result.progress_percent == 40
    end_subscription(subscription)
    assert expire_subscription_enrollments() == 0
    assert can_access(student, course)
    assert record_purchase(student, course).id == enrolment.id  # idempotent: one purchase, one row
    assert db.session.query(Enrollment).filter_by(user_id=student.id).count() == 1


def test_buying_after_expiry_reopens_the_same_enrolment(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=25)
    enrolment = make_enrollment(student, course, type="subscription", status="expired", progress_percent=50)
    assert not can_access(student, course)
    result = record_purchase(student, course)
    db.session.commit()  # the caller's boundary: record_purchase only flushes
    assert result.id == enrolment.id
    assert result.status.code == "active" and result.enrollment_type.code == "purchase"
    assert result.progress_percent == 50 and result.ended_at is None
    assert can_access(student, course)


def test_completed_subscription_enrolment_needs_the_subscription(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=5)
    make_enrollment(student, course, type="subscription", status="completed")
    assert not can_access(student, course)
    grant_subscription(student)
    assert can_access(student, course)
    course.included_in_subscription = False
    db.session.commit()
    assert not can_access(student, course)


def test_answers_kept_for_a_request_follow_writes_in_that_request(app):
    """`can_access` is asked many times per page and answered once, until access changes."""
    from app.courses.services import drop_enrollment, enroll_student, enrollment_of

    with app.test_request_context("/"):
        student, teacher = make_user("Student"), make_user("Instructor")
        course = make_course(instructors=[teacher])
        assert not can_access(student, course)
        enroll_student(student, course)
        assert can_access(student, course)
        drop_enrollment(enrollment_of(student.id, course.id), student)
        assert not can_access(student, course)
        db.session.remove()
