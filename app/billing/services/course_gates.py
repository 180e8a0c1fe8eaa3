"""Plan limits where learners use courses: how many courses a plan opens at a time, downloads of
course files per period, and certificates. The courses and media modules ask through their hooks."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.billing.services import features
from app.billing.services.periods import require_locked
from app.core import targets
from app.core.errors import NotFound
from app.courses import services as courses
from app.extensions import db
from app.security.models import LmsUser

# Files whose downloads count against the plan's `downloads` allowance (course materials).
COUNTED_FILES = ("course_resource",)


def check_course_slot(user_id: int) -> None:
    """Raise when the plan does not open courses, or its number of open courses is reached."""
    subscription, value = features.feature_value(user_id, "course_access")
    if value is None:
        raise features.not_in_plan("course_access", subscription)
    # Two enrolments at once must not both see a free place: they queue on the subscription row
    # (held until the enrolment commits), and the second counts the first.
    require_locked(subscription)
    if value.limit_value is not None and courses.open_subscription_enrollments(user_id) >= value.limit_value:
        raise features.FeatureLimitReached(
            _(
                "Your plan opens %(limit)d courses at a time: leave one or change your plan.",
                limit=value.limit_value,
            ),
            {"feature": ["course_access"]},
        )


def charge_download(media: Any, user_id: int | None) -> None:
    """A course file downloaded by a learner who opens the course through a subscription uses one
    of the plan's downloads for the period (staff, buyers and free courses are not counted)."""
    if user_id is None or media.mediable_type not in COUNTED_FILES:
        return
    try:
        owner = targets.load_target(media.mediable_type, media.mediable_id or 0)
    except NotFound:
        return
    user = db.session.get(LmsUser, user_id)
    if user is not None and courses.access_via_subscription(user, owner.course):
        features.consume(user_id, "downloads")
