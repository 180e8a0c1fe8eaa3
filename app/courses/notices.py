"""What courses tell people (enrolments, liked notes, the review of a course), and its wording."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.models import utcnow
from app.courses.models import Course, Enrollment, Note
from app.extensions import db
from app.notifications.services import bilingual, notify, person, register_message
from app.security.models import LmsUser
from app.security.roles import ADMIN


def register_messages() -> None:
    """The sentences of the notifications courses send (placeholders: the params passed below)."""
    register_message("enrollment", _l("%(learner)s enrolled in %(course)s"))
    register_message("enrollment", _l("You are enrolled in %(course)s"), event="enrolled_you")
    register_message("like", _l("%(actor)s liked your note in %(course)s"))
    register_message("course_review", _l("%(actor)s submitted %(course)s for review"), event="submitted")
    register_message("course_review", _l("%(course)s was approved and published"), event="approved")
    register_message("course_review", _l("%(course)s was not approved: %(reason)s"), event="rejected")


def _stamp(moment: Any) -> str:
    """A moment in a notification's key: the same kind of event again later is a new one."""
    return (moment or utcnow()).isoformat()


def enrolled(enrollment: Enrollment, course: Course, learner: Any, by: Any) -> None:
    """Tell the learner (unless they enrolled themselves) and the course's instructors."""
    db_key = f"enrollment:{enrollment.id}:{_stamp(enrollment.enrolled_at)}"
    title = bilingual(course.translations)
    notify(learner, "enrollment", enrollment, by, key=db_key + ":you", event="enrolled_you", course=title)
    notify(
        course.instructors,
        "enrollment",
        enrollment,
        by,
        key=db_key,
        course=title,
        learner=person(learner),
    )


def note_liked(note: Note, by: Any, place: tuple[str, Any]) -> None:
    """Tell a note's author that someone liked it; the link opens where the note is."""
    notify(note.user_id, "like", place, by, course=bilingual(note.course.translations), note=note.id)


def review_submitted(course: Course, by: Any) -> None:
    """Tell the admins that a course waits for their review."""
    admins = select(LmsUser.id).where(LmsUser.roles.any(Role.name == ADMIN))
    notify(
        db.session.scalars(admins).all(),
        "course_review",
        course,
        by,
        key=f"course_review:submitted:{course.id}:{_stamp(course.submitted_at)}",
        event="submitted",
        course=bilingual(course.translations),
    )


def review_decided(course: Course, by: Any, event: str, reason: str | None = None) -> None:
    """Tell the course's instructors that it was approved or rejected (with the reason)."""
    params: dict[str, Any] = {"event": event, "course": bilingual(course.translations)}
    if reason:
        params["reason"] = reason
    notify(
        course.instructors,
        "course_review",
        course,
        by,
        key=f"course_review:{event}:{course.id}:{_stamp(course.reviewed_at)}",
        **params,
    )
