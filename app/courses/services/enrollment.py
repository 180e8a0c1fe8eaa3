"""Enrolment: self-enrolment, instructor and CSV enrolment, drops, and subscription expiry."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.audit.context import system_actor
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import utcnow
from app.core.targets import is_admin
from app.core.transactions import unique_insert
from app.courses import notices
from app.courses.models import Course, CoursePurchase, Enrollment
from app.courses.services.access import (
    OPEN_STATUSES,
    accessible_course_ids,
    active_subscriber_ids,
    check_subscription_enrolment,
    enrollment_grants_access,
    enrollment_of,
    has_purchased,
    is_listed,
    live_purchase,
    subscription_opens,
)
from app.courses.services.catalog import require_manager
from app.courses.signals import enrollment_created
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from app.security.roles import can_learn

CSV_MAX_ROWS = 5000


class EnrollmentClosedError(Forbidden):
    """The course cannot be joined this way."""


def _status(code: str) -> int:
    return require_lookup_id("enrollment_status", code)


def _type(code: str) -> int:
    return require_lookup_id("enrollment_type", code)


def missing_prerequisites(user_id: int, course: Course) -> list[Course]:
    """Required courses the user has not completed."""
    completed = _status("completed")
    # Finished once is enough: a completed course whose subscription enrolment expired still counts.
    done = set(
        db.session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user_id,
                or_(Enrollment.status_id == completed, Enrollment.completed_at.is_not(None)),
            )
        )
    )
    return [c for c in course.prerequisites if c.id not in done]


def access_type_for(user_id: int, course: Course) -> str | None:
    """How the user may join now: 'purchase' (free or bought), 'subscription', or None."""
    if course.is_free or has_purchased(user_id, course.id):
        return "purchase"
    if subscription_opens(user_id, course):
        return "subscription"
    return None


def _upsert(user: LmsUser, course: Course, type_code: str, source: str, by: Any) -> Enrollment:
    enrollment = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
        .execution_options(include_deleted=True)
        .with_for_update(of=Enrollment)
    )
    now = utcnow()
    if enrollment is not None and enrollment_grants_access(enrollment, course) and not enrollment.is_deleted:
        raise Conflict(_("%(user)s is already enrolled in this course.", user=user.username))
    type_id, active_id, completed_id = _type(type_code), _status("active"), _status("completed")
    if enrollment is None:
        # Every NOT NULL column is set before the row joins the session: the counter UPDATE below
        # autoflushes it.
        enrollment = Enrollment(
            user_id=user.id,
            course_id=course.id,
            enrolled_at=now,
            enrollment_type_id=type_id,
            status_id=active_id,
        )
        with unique_insert(_("%(user)s is already enrolled in this course.", user=user.username)):
            db.session.add(enrollment)
        db.session.execute(
            update(Course).where(Course.id == course.id).values(enrollment_count=Course.enrollment_count + 1)
        )
    else:  # back after a drop, an expiry or a deletion: the progress made before is still there
        enrollment.is_deleted, enrollment.deleted_at = False, None
        enrollment.enrolled_at, enrollment.ended_at = now, None
    enrollment.enrollment_type_id = type_id
    enrollment.status_id = completed_id if enrollment.completed_at else active_id
    enrollment.source = source
    enrollment.enrolled_by_id = getattr(by, "id", None)
    enrollment_created.send(enrollment, source=source)
    db.session.flush()  # the notifications name the row
    notices.enrolled(enrollment, course, user, by)
    return enrollment


def flush_enrollment(enrollment: Enrollment) -> None:
    """Flush, and let the lookups whose ids changed load again (a commit used to expire them)."""
    db.session.flush()
    db.session.expire(enrollment, ["status", "enrollment_type"])


def enroll_student(user: LmsUser, course: Course) -> Enrollment:
    """A student joins a listed course: free or bought for life, or through an active subscription."""
    if not is_listed(course):
        raise EnrollmentClosedError(_("This course is not open for enrolment."))
    missing = missing_prerequisites(user.id, course)
    if missing:
        names = ", ".join(c.title for c in missing)
        raise EnrollmentClosedError(_("Complete these courses first: %(names)s", names=names))
    type_code = access_type_for(user.id, course)
    if type_code is None:
        raise EnrollmentClosedError(_("Buy this course or subscribe to a plan that includes it."))
    if type_code == "subscription":
        check_subscription_enrolment(user.id)  # the plan may open only so many courses at a time
    enrollment = _upsert(user, course, type_code, "self" if type_code == "purchase" else "subscription", user)
    flush_enrollment(enrollment)
    return enrollment


def enroll_by_instructor(course: Course, student: LmsUser, by: Any, source: str = "instructor") -> Enrollment:
    """An instructor or admin grants a student lifetime access to the course."""
    require_manager(by, course)
    if not student.is_active:
        raise Invalid(_("%(user)s cannot sign in, so cannot be enrolled.", user=student.username))
    if not can_learn(student):
        raise Invalid(_("%(user)s is not a learner account.", user=student.username))
    enrollment = _upsert(student, course, "purchase", source, by)
    flush_enrollment(enrollment)
    return enrollment


def drop_enrollment(enrollment: Enrollment, user: Any) -> Enrollment:
    """The student (or the course's staff) ends an enrolment; progress is kept."""
    if enrollment.user_id != getattr(user, "id", None):
        require_manager(user, enrollment.course)
    if enrollment.status_id not in {_status(code) for code in OPEN_STATUSES}:
        raise Conflict(_("This enrolment is not active."))
    enrollment.status_id = _status("dropped")
    enrollment.ended_at = utcnow()
    flush_enrollment(enrollment)
    return enrollment


@dataclass
class CsvReport:
    """The outcome of a CSV enrolment: accepted rows, rejected rows with reasons."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {"accepted": self.accepted, "rejected": self.rejected}


def _find_user(identifier: str) -> LmsUser | None:
    value = identifier.strip().lower()
    return db.session.scalar(
        select(LmsUser).where(or_(func.lower(LmsUser.username) == value, func.lower(LmsUser.email) == value))
    )


def enroll_from_csv(course: Course, data: bytes, by: Any) -> CsvReport:
    """Enrol the users listed in a CSV (column `email` or `username`); all or nothing: the caller
    commits once (`transaction()`).

    Rows naming an unknown user, an inactive user or someone already enrolled are rejected with a
    reason; the accepted rows are enrolled only if the file as a whole is readable.
    """
    require_manager(by, course)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("The file must be UTF-8 text."), {"file": [_("Not UTF-8.")]}) from None
    if "\x00" in text:  # PostgreSQL refuses NUL in text, and no e-mail contains one
        raise Invalid(_("The file is not a CSV text file."), {"file": [_("Binary content.")]})
    reader = csv.DictReader(io.StringIO(text))
    try:
        headers = [h.strip().lower() for h in (reader.fieldnames or [])]
        column = "email" if "email" in headers else "username" if "username" in headers else None
        if column is None:
            raise Invalid(_("The file needs an 'email' or 'username' column."), {"file": [",".join(headers)]})
        reader.fieldnames = headers
        # Each row with its line in the file (the reader skips blank lines), for the report.
        rows: list[tuple[int, dict[str, Any]]] = []
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > CSV_MAX_ROWS:
                raise Invalid(_("At most %(n)d rows per file.", n=CSV_MAX_ROWS), {"file": [str(len(rows))]})
    except csv.Error as error:
        raise Invalid(_("The file is not a valid CSV file."), {"file": [str(error)]}) from None
    if not rows:
        raise Invalid(_("The file has no rows."), {"file": [_("Empty.")]})
    report, seen = CsvReport(), set()
    accepted_users: list[LmsUser] = []
    for line, row in rows:
        identifier = (row.get(column) or "").strip()
        entry = {"line": line, column: identifier}
        user = _find_user(identifier) if identifier else None
        reason = None
        if not identifier:
            reason = _("Empty value.")
        elif identifier.lower() in seen:
            reason = _("Listed twice.")
        elif user is None:
            reason = _("No such user.")
        elif not user.is_active:
            reason = _("The account is not active.")
        elif not can_learn(user):
            reason = _("Not a learner account.")
        elif enrollment_grants_access(enrollment_of(user.id, course.id), course):
            reason = _("Already enrolled.")
        seen.add(identifier.lower())
        if reason:
            report.rejected.append({**entry, "reason": reason})
        else:
            report.accepted.append(entry)
            accepted_users.append(user)
    for user in accepted_users:  # flushed only: the request around it commits all rows, or none
        _upsert(user, course, "purchase", "csv", by)
    db.session.flush()
    return report


def expire_subscription_enrollments(user_id: int | None = None) -> int:
    """Expire open subscription enrolments of users without an active subscription; progress stays."""
    now = utcnow()
    active_subscribers = active_subscriber_ids()
    query = select(Enrollment).where(
        Enrollment.enrollment_type_id == _type("subscription"),
        Enrollment.status_id.in_([_status(code) for code in OPEN_STATUSES]),
        Enrollment.user_id.not_in(active_subscribers),
    )
    if user_id is not None:
        query = query.where(Enrollment.user_id == user_id)
    expired = 0
    with system_actor("expire_subscription_enrollments"):
        for enrollment in db.session.scalars(query.with_for_update(of=Enrollment, skip_locked=True)):
            if has_purchased(enrollment.user_id, enrollment.course_id):
                enrollment.enrollment_type_id = _type("purchase")  # bought meanwhile: kept for life
                continue
            enrollment.status_id = _status("expired")
            enrollment.ended_at = now
            expired += 1
        db.session.flush()
    return expired


def record_purchase(
    user: LmsUser,
    course: Course,
    amount: Any = None,
    currency: str | None = None,
    payment_id: int | None = None,
) -> Enrollment:
    """A completed one-time payment: the purchase record (lifetime access) and a purchase enrolment.

    Flushes only: billing calls it inside the payment's transaction, which commits."""
    purchase = db.session.scalar(
        select(CoursePurchase).where(CoursePurchase.user_id == user.id, CoursePurchase.course_id == course.id)
    )
    if purchase is None:
        purchase = CoursePurchase(user_id=user.id, course_id=course.id)
        db.session.add(purchase)
    if purchase.purchased_at is None or purchase.refunded_at is not None:  # new, or bought again
        purchase.amount = course.price if amount is None else amount
        purchase.currency = currency or course.currency
        purchase.purchased_at, purchase.refunded_at = utcnow(), None
        purchase.payment_id = payment_id
    enrollment = enrollment_of(user.id, course.id)
    if enrollment is not None and enrollment_grants_access(enrollment, course):
        enrollment.enrollment_type_id = _type("purchase")  # a subscriber who buys keeps it for life
        db.session.flush()
        return enrollment
    enrollment = _upsert(user, course, "purchase", "purchase", user)
    db.session.flush()
    return enrollment


def open_subscription_enrollments(user_id: int) -> int:
    """How many courses the user has joined through a subscription and still has open."""
    return int(
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.user_id == user_id,
                Enrollment.enrollment_type_id == _type("subscription"),
                Enrollment.status_id.in_([_status(code) for code in OPEN_STATUSES]),
            )
        )
        or 0
    )


def refund_purchase(user_id: int, course_id: int) -> bool:
    """A refunded course: the purchase stops granting access, and its purchase enrolment expires
    unless the user's subscription still opens the course. True when a live purchase was ended."""
    purchase = db.session.scalar(
        select(CoursePurchase).where(
            CoursePurchase.user_id == user_id, CoursePurchase.course_id == course_id, live_purchase()
        )
    )
    if purchase is None:
        return False
    now = utcnow()
    purchase.refunded_at = now
    enrollment = enrollment_of(user_id, course_id)
    if enrollment is not None and enrollment.status_id in [_status(code) for code in OPEN_STATUSES]:
        course = enrollment.course
        if subscription_opens(user_id, course):
            enrollment.enrollment_type_id = _type("subscription")
        elif not course.is_free:
            enrollment.status_id, enrollment.ended_at = _status("expired"), now
    db.session.flush()  # in the refund's transaction, which commits
    return True


def visible_enrollments(user: Any) -> Any:
    """Admins: every enrolment; instructors: their courses' enrolments; students: their own."""
    from app.courses.services.catalog import courses_taught_by

    query = select(Enrollment)
    if is_admin(user):
        return query
    user_id = getattr(user, "id", None)
    return query.where(
        or_(Enrollment.user_id == user_id, Enrollment.course_id.in_(courses_taught_by(user_id)))
    )


def last_opened_course(user_id: int) -> Course | None:
    """The unfinished course the learner opened last, if it is still open to them (to resume it)."""
    return db.session.scalar(
        select(Course)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.last_accessed_at.is_not(None),
            Enrollment.completed_at.is_(None),
            Course.id.in_(accessible_course_ids(user_id)),
        )
        .order_by(Enrollment.last_accessed_at.desc())
        .limit(1)
    )
