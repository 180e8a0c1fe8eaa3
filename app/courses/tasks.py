"""Course background tasks."""

from __future__ import annotations

from app.courses.services.enrollment import expire_subscription_enrollments as _expire


def expire_subscription_enrollments() -> int:
    """Scheduled: expire the subscription enrolments of users whose subscription has ended."""
    return _expire()
