"""Figures for a course's instructors: enrolments by type and status, completion, progress, time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.courses.models import Course, CoursePurchase, Enrollment
from app.courses.services.access import live_purchase
from app.courses.services.catalog import require_manager
from app.extensions import db
from app.lookups.models import Lookup


@dataclass
class CourseFigures:
    """One course's enrolment figures (counts keyed by lookup code)."""

    total: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    purchased: int = 0  # enrolments backed by a live purchase of the course
    granted: int = 0  # lifetime enrolments without a purchase: free courses, staff or CSV grants
    completed: int = 0
    completion_rate: float = 0.0  # percent of enrolments completed
    average_progress: float = 0.0  # mean progress_percent
    total_seconds: int = 0
    average_seconds: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return dict(self.__dict__)


def _counts(course_id: int, column: Any) -> dict[str, int]:
    rows = db.session.execute(
        select(Lookup.code, func.count(Enrollment.id))
        .join(Lookup, Lookup.id == column)
        .where(Enrollment.course_id == course_id)
        .group_by(Lookup.code)
    )
    return {code: int(n) for code, n in rows}


def _purchased(course_id: int) -> int:
    """Enrolments whose learner holds a (not refunded) purchase of the course: the enrolment type
    alone also says "purchase" for free self-enrolments and staff grants."""
    bought = (
        select(CoursePurchase.id)
        .where(
            CoursePurchase.user_id == Enrollment.user_id,
            CoursePurchase.course_id == Enrollment.course_id,
            live_purchase(),
        )
        .exists()
    )
    query = select(func.count(Enrollment.id)).where(Enrollment.course_id == course_id, bought)
    return int(db.session.scalar(query) or 0)


def course_figures(course: Course, user: Any) -> CourseFigures:
    """The figures of one course, for its instructors and admins (Forbidden otherwise)."""
    require_manager(user, course)
    total, average, seconds = db.session.execute(
        select(
            func.count(Enrollment.id),
            func.coalesce(func.avg(Enrollment.progress_percent), 0),
            func.coalesce(func.sum(Enrollment.time_spent_seconds), 0),
        ).where(Enrollment.course_id == course.id)
    ).one()
    figures = CourseFigures(
        total=int(total),
        by_type=_counts(course.id, Enrollment.enrollment_type_id),
        by_status=_counts(course.id, Enrollment.status_id),
        average_progress=round(float(average), 1),
        total_seconds=int(seconds),
        purchased=_purchased(course.id),
    )
    figures.granted = figures.total - figures.purchased - figures.by_type.get("subscription", 0)
    figures.completed = figures.by_status.get("completed", 0)
    if figures.total:
        figures.completion_rate = round(100.0 * figures.completed / figures.total, 1)
        figures.average_seconds = figures.total_seconds // figures.total
    return figures
