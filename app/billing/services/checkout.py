"""Where a buyer lands after a checkout: on what they bought, and never on another site.

A course bought: its page (enrolled, with "Continue learning"). A subscription: the page it was started
from when that is a page of this site (a course the plan opens, say), else My subscription, which
shows it active. Renewals and upgrades: My subscription. A return page comes from a form anyone can
craft, so only same-site paths are kept (`security.services.safe_next`), when stored and when used.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from app.courses.models import Course
from app.extensions import db
from app.security.services import safe_next

RETURN_KEY = "return_to"
MAX_RETURN_LENGTH = 500


def return_path(value: Any) -> str | None:
    """A same-site path (`/courses/x?y=1`) to come back to, else None (other hosts, schemes, junk)."""
    if not isinstance(value, str) or len(value) > MAX_RETURN_LENGTH:
        return None
    return safe_next(value.strip())


def after_payment_url(payment: Any) -> str:
    """Where the buyer goes once the payment is settled: what it bought (see the module's doc)."""
    if payment.purpose == "course" and payment.course_id:
        course = db.session.scalar(select(Course).where(Course.id == payment.course_id))
        if course is not None:  # its current slug: an old one would answer with a redirect
            return url_for("portal.course_page", slug=course.slug)
        return url_for("portal.my_learning")
    if payment.purpose == "subscription":
        back = return_path((payment.details or {}).get(RETURN_KEY))
        if back:
            return back
    return url_for("portal.my_subscription")
