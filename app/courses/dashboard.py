"""Dashboard panels of courses: reviews waiting (admins), the instructor's courses, new enrolments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from flask_babel import format_number, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core.dashboard import DashboardRow, Panel, person_name
from app.core.models import utcnow
from app.core.targets import is_admin
from app.courses.models import Course, Enrollment
from app.courses.services.catalog import courses_taught_by
from app.extensions import db
from app.lookups.services import lookup_id

ROWS = 5
RECENT = timedelta(days=7)


def _course_url(course_id: int) -> str:
    return url_for("CourseModelView.show", pk=course_id)


def courses_waiting_for_review(user: Any) -> Panel | None:
    """Admins: courses submitted for review, oldest first."""
    if not is_admin(user):
        return None
    waiting = Course.review_status_id == lookup_id("course_review_status", "pending")
    count = db.session.scalar(select(func.count(Course.id)).where(waiting)) or 0
    courses = db.session.scalars(select(Course).where(waiting).order_by(Course.updated_at).limit(ROWS))
    return Panel(
        gettext("Courses waiting for review"),
        format_number(count),
        [DashboardRow(course.title, _course_url(course.id)) for course in courses],
        url_for("CourseModelView.list"),
        gettext("No course is waiting for review."),
    )


def courses_you_teach(user: Any) -> Panel | None:
    """Instructors (not admins, who see every course): their courses and where each stands."""
    if is_admin(user):
        return None
    taught = Course.id.in_(courses_taught_by(user.id))
    count = db.session.scalar(select(func.count(Course.id)).where(taught)) or 0
    if not count:
        return None
    courses = db.session.scalars(
        select(Course)
        .where(taught)
        .options(joinedload(Course.status))
        .order_by(Course.updated_at.desc())
        .limit(ROWS)
    )
    return Panel(
        gettext("Your courses"),
        format_number(count),
        [DashboardRow(course.title, _course_url(course.id), course.status.name) for course in courses],
        url_for("CourseModelView.list"),
    )


def new_enrolments(user: Any) -> Panel | None:
    """Enrolments of the last seven days: in every course for admins, in their courses for instructors."""
    recent = Enrollment.enrolled_at >= utcnow() - RECENT
    if not is_admin(user):
        if not db.session.scalar(select(courses_taught_by(user.id).exists())):
            return None
        recent = recent & Enrollment.course_id.in_(courses_taught_by(user.id))
    count = db.session.scalar(select(func.count(Enrollment.id)).where(recent)) or 0
    enrolments = db.session.scalars(
        select(Enrollment)
        .where(recent)
        .options(joinedload(Enrollment.user), joinedload(Enrollment.course))
        .order_by(Enrollment.enrolled_at.desc())
        .limit(ROWS)
    )
    return Panel(
        gettext("New enrolments this week"),
        format_number(count),
        [
            DashboardRow(
                person_name(enrolment.user), _course_url(enrolment.course_id), enrolment.course.title
            )
            for enrolment in enrolments
        ],
        url_for("EnrollmentModelView.list"),
        gettext("No new enrolment this week."),
    )
