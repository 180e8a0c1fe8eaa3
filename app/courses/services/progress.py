"""Progress: lesson completion (by hand, by reading to the end, by watching), bounded time tracking,
course completion."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import as_utc, utcnow
from app.core.targets import signed_in_user_id
from app.core.transactions import on_commit, unique_insert
from app.courses.models import Course, Enrollment, Lesson, LessonProgress
from app.courses.services.access import (
    can_access,
    can_manage,
    can_see_course,
    enrollment_of,
    opens_premium_lesson,
    request_cached,
)
from app.courses.services.catalog import ordered_lessons
from app.courses.services.enrollment import flush_enrollment
from app.courses.signals import course_completed
from app.extensions import db
from app.lookups.services import lookup_id, require_lookup_id

log = logging.getLogger(__name__)

# Extra completion rules, asked of every completion (the assessments module registers "quizzes
# passed", "minimum grade"...): each says, in words, what the learner still has to do (nothing: met).
# What happens after a completion listens to `signals.course_completed`.
CompletionRule = Callable[[int, Course], list[str]]
COMPLETION_RULES: list[CompletionRule] = []
# Opening a lesson completes nothing: it records that the learner started it. Every lesson can be
# completed with the player's button; these are also completed when the learner reaches the end of
# their text (the player watches a mark after the content); videos complete when watched (heartbeat).
COMPLETE_ON_READING = ("text",)
MAX_REPORTED_SECONDS = 10 * 24 * 3600  # the longest video position or duration a player may report


def _heartbeat_interval() -> int:
    return int(current_app.config.get("HEARTBEAT_INTERVAL_SECONDS", 30))


def can_open_lesson(user: Any, lesson: Lesson) -> bool:
    """Entitled users open every lesson; anyone who sees the course opens its free previews."""
    course = lesson.course
    if can_access(user, course):
        return opens_premium_lesson(user, lesson)
    return lesson.is_free_preview and can_see_course(user, course)


def _progress_of(user_id: int, course_id: int) -> dict[int, bool]:
    """{lesson id: completed?} of every lesson of a course the user has opened (once per request)."""
    return request_cached(
        ("completed", user_id, course_id),  # the key `listeners` forgets when progress is written
        lambda: {
            lesson_id: completed_at is not None
            for lesson_id, completed_at in db.session.execute(
                select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
                    LessonProgress.user_id == user_id, LessonProgress.course_id == course_id
                )
            )
        },
    )


def completed_lesson_ids(user_id: int, course_id: int) -> set[int]:
    """Ids of the lessons of a course the user has completed (read once per request)."""
    return {lesson_id for lesson_id, done in _progress_of(user_id, course_id).items() if done}


def started_lesson_ids(user_id: int, course_id: int) -> set[int]:
    """Ids of the lessons of a course the user has opened, completed or not (read once per request)."""
    return set(_progress_of(user_id, course_id))


def completes_on_reading(lesson: Lesson) -> bool:
    """True when reaching the end of the lesson's text completes it (the player reports it)."""
    return lesson.content_type is not None and lesson.content_type.code in COMPLETE_ON_READING


def locked_lesson_ids(user: Any, course: Course, lessons: list[Lesson] | None = None) -> set[int]:
    """Lessons a sequential course keeps closed until the required lessons before them are done."""
    if not course.sequential or can_manage(user, course):
        return set()
    user_id = signed_in_user_id(user)
    if user_id is None:
        return set()  # visitors open free previews only, which are never tracked nor locked
    lessons = lessons if lessons is not None else ordered_lessons(course.id)
    done = completed_lesson_ids(user_id, course.id)
    locked, blocked = set(), False
    for lesson in lessons:
        if blocked:
            locked.add(lesson.id)
        elif lesson.is_required and lesson.id not in done:
            blocked = True  # this one is open; everything after it waits
    return locked


def require_open_lesson(user: Any, lesson: Lesson) -> None:
    """Forbidden unless the user may open the lesson now (entitlement and sequencing)."""
    if can_access(user, lesson.course):
        if not opens_premium_lesson(user, lesson):
            raise Forbidden(
                _("This lesson is premium: buy the course or choose a plan with premium content.")
            )
        if lesson.id in locked_lesson_ids(user, lesson.course):
            raise Forbidden(_("Complete the previous lessons first."))
        return
    # A free preview: open to anyone who sees the course, untracked, so never held back by sequencing.
    if not (lesson.is_free_preview and can_see_course(user, lesson.course)):
        raise Forbidden(_("Enrol in this course to open this lesson."))


def may_open_lesson(user: Any, lesson: Lesson) -> bool:
    """`require_open_lesson` as a yes/no: what the lesson target's "can view" rule uses."""
    try:
        require_open_lesson(user, lesson)
    except Forbidden:
        return False
    return True


def _tracked_enrollment(user: Any, lesson: Lesson) -> Enrollment | None:
    """The enrolment progress is recorded on: an entitled learner's, never a visitor's or staff's."""
    user_id = signed_in_user_id(user)
    if user_id is None or not can_access(user, lesson.course):
        return None
    return enrollment_of(user_id, lesson.course_id)


def _progress_row(user_id: int, lesson: Lesson) -> LessonProgress:
    row = db.session.scalar(
        select(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id)
        .with_for_update()
    )
    if row is None:
        row = LessonProgress(user_id=user_id, lesson_id=lesson.id, course_id=lesson.course_id)
        try:
            with unique_insert(""):
                db.session.add(row)
        except Conflict:  # another request of the same learner created it a moment ago
            return _progress_row(user_id, lesson)
    return row


def _refresh_course_progress(enrollment: Enrollment, course: Course) -> bool:
    """Progress % and completion of an enrolment; True when this call completed the course."""
    required = set(
        db.session.scalars(
            select(Lesson.id).where(Lesson.course_id == course.id, Lesson.is_required.is_(True))
        )
    )
    done = completed_lesson_ids(enrollment.user_id, course.id) & required
    enrollment.progress_percent = int(100 * len(done) / len(required)) if required else 0
    finished = bool(required) and done == required
    newly = False
    if finished and not any(rule(enrollment.user_id, course) for rule in COMPLETION_RULES):
        if enrollment.completed_at is None:
            enrollment.completed_at = utcnow()
        if enrollment.status_id == lookup_id("enrollment_status", "active"):
            enrollment.status_id = require_lookup_id("enrollment_status", "completed")
            newly = True
    return newly


def what_is_left(user_id: int, course: Course) -> list[str]:
    """What the learner still has to do to complete the course, in words (empty: nothing)."""
    required = select(Lesson.id).where(Lesson.course_id == course.id, Lesson.is_required.is_(True))
    lessons_left = len(set(db.session.scalars(required)) - completed_lesson_ids(user_id, course.id))
    left = []
    if lessons_left:
        left.append(ngettext("Complete %(num)d lesson", "Complete %(num)d lessons", lessons_left))
    for rule in COMPLETION_RULES:
        left.extend(rule(user_id, course))
    return left


def register_completion_rule(rule: CompletionRule) -> None:
    """Ask `rule(user_id, course)` too before a course counts as completed (from a module's register())."""
    if rule not in COMPLETION_RULES:
        COMPLETION_RULES.append(rule)


def _after_completion(user_id: int, course_id: int) -> None:
    """Send `course_completed` to each receiver on its own, so that one failing does not stop the rest."""
    for receiver in course_completed.receivers_for(None):
        try:
            receiver(None, user_id=user_id, course_id=course_id)
        except Exception:  # the completion is committed; a failing receiver (a PDF) must not undo it
            db.session.rollback()
            log.exception(
                "Completion receiver %s failed for user %s in course %s", receiver, user_id, course_id
            )


def refresh_completion(user_id: int, course: Course) -> bool:
    """Check a learner's completion again (a quiz passed, a grade changed); True when now completed."""
    enrollment = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id == course.id)
        .with_for_update(of=Enrollment)
        .execution_options(populate_existing=True)
    )
    if enrollment is None or not can_access(enrollment.user, course):
        return False
    newly = _refresh_course_progress(enrollment, course)
    flush_enrollment(enrollment)  # the caller's transaction commits it (a quiz handed in, a grade saved)
    if newly:
        on_commit(lambda: _after_completion(user_id, course.id))
    return newly


def complete_lesson(user: Any, lesson: Lesson) -> LessonProgress:
    """Mark a lesson done for an enrolled learner and update the course's progress."""
    require_open_lesson(user, lesson)
    enrollment = _tracked_enrollment(user, lesson)
    if enrollment is None:
        raise Forbidden(_("Enrol in this course to track your progress."))
    row = _progress_row(user.id, lesson)
    if row.completed_at is None:
        row.completed_at = utcnow()
    newly = _refresh_course_progress(enrollment, lesson.course)
    flush_enrollment(enrollment)
    if newly:
        on_commit(lambda: _after_completion(user.id, lesson.course_id))
    return row


def open_lesson(user: Any, lesson: Lesson) -> bool:
    """The player opened a lesson: remember when (the course's last access) and that it is started.

    Opening never completes a lesson: text is completed by reading to its end or with the button,
    video by watching it. True when the opening was recorded (an entitled learner's, not staff's).
    """
    require_open_lesson(user, lesson)
    enrollment = _tracked_enrollment(user, lesson)
    if enrollment is None:
        return False
    # Also the course clock of `heartbeat`: moving it forward can only lower what the next beat credits.
    enrollment.last_accessed_at = utcnow()
    if lesson.id not in started_lesson_ids(enrollment.user_id, lesson.course_id):
        _progress_row(enrollment.user_id, lesson)  # started: a progress row without completed_at
    db.session.flush()
    return True


@dataclass
class HeartbeatResult:
    """What one heartbeat changed."""

    credited_seconds: int
    lesson_seconds: int
    course_seconds: int
    completed: bool


def _elapsed(since: datetime | None, now: datetime, gap: int) -> int:
    if since is None:
        return 0
    since = as_utc(since)
    seconds = int((now - since).total_seconds())
    return seconds if 0 < seconds <= gap else 0


def heartbeat(
    user: Any,
    lesson: Lesson,
    *,
    active: bool = True,
    position: int | None = None,
    duration: int | None = None,
    ended: bool = False,
) -> HeartbeatResult:
    """Credit the time since the previous beat, bounded so that time can never be inflated.

    A beat credits only real time since the learner's previous beat in the same course (so parallel
    tabs and replayed requests add nothing), only while the player reports activity, never more than
    a gap of three intervals (a tab left asleep restarts the clock), and a lesson with a duration
    never collects more than four times it. A video that reaches its end completes the lesson.
    """
    require_open_lesson(user, lesson)
    if _tracked_enrollment(user, lesson) is None:
        return HeartbeatResult(0, 0, 0, False)  # visitors on previews and staff are not tracked
    enrollment = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.course_id == lesson.course_id)
        .with_for_update(of=Enrollment)
        .execution_options(populate_existing=True)  # the locked row's counters, not a stale copy
    )
    if enrollment is None:
        return HeartbeatResult(0, 0, 0, False)
    now = utcnow()
    gap = 3 * _heartbeat_interval()
    row = _progress_row(user.id, lesson)
    credit = min(_elapsed(row.last_heartbeat_at, now, gap), _elapsed(enrollment.last_accessed_at, now, gap))
    if not active:
        credit = 0
    if lesson.duration_minutes:
        credit = max(0, min(credit, 4 * 60 * lesson.duration_minutes - row.time_spent_seconds))
    row.last_heartbeat_at = enrollment.last_accessed_at = now
    row.time_spent_seconds += credit
    enrollment.time_spent_seconds += credit
    if position is not None:
        row.video_position_seconds = min(max(0, int(position)), MAX_REPORTED_SECONDS)
    finished_video = ended or (position is not None and duration and position >= 0.95 * duration)
    completed = row.completed_at is not None
    newly = False
    if finished_video and not completed and lesson.content_type.code == "video":
        row.completed_at = now
        newly = _refresh_course_progress(enrollment, lesson.course)
        completed = True
    flush_enrollment(enrollment)
    if newly:
        on_commit(lambda: _after_completion(user.id, lesson.course_id))
    return HeartbeatResult(credit, row.time_spent_seconds, enrollment.time_spent_seconds, completed)


def _reported_seconds(report: dict[str, Any], key: str) -> int | None:
    value = report.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_REPORTED_SECONDS
    ):
        raise Invalid(_("'%(key)s' must be a number of seconds.", key=key), {key: [_("Not a number.")]})
    return int(value)


def _reported_flag(report: dict[str, Any], key: str, default: bool) -> bool:
    value = report.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Invalid(_("The data is not valid."), {key: [str(value)[:50]]})
    return value


def report_heartbeat(user: Any, lesson: Lesson, report: dict[str, Any]) -> HeartbeatResult:
    """A player's report {"active", "position", "duration", "ended"} (JSON types; 422 otherwise)."""
    return heartbeat(
        user,
        lesson,
        active=_reported_flag(report, "active", True),
        position=_reported_seconds(report, "position"),
        duration=_reported_seconds(report, "duration"),
        ended=_reported_flag(report, "ended", False),
    )


def course_time_spent(course_id: int) -> int:
    """Seconds every learner together spent in a course."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Enrollment.time_spent_seconds), 0)).where(
                Enrollment.course_id == course_id
            )
        )
        or 0
    )
