"""Progress: lesson completion, course completion, sequencing, previews and bounded time tracking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask_login import AnonymousUserMixin

from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.transactions import transaction
from app.courses.models import Course, Enrollment, Lesson, LessonProgress
from app.courses.services import (
    can_open_lesson,
    complete_lesson,
    enrollment_of,
    expire_subscription_enrollments,
    heartbeat,
    open_lesson,
)
from app.courses.services import progress as progress_service
from app.extensions import db
from tests.course_factories import (
    end_subscription,
    grant_subscription,
    make_course,
    make_enrollment,
    make_lesson,
    make_section,
)
from tests.factories import make_user


class Clock:
    """A controllable `utcnow` for the progress service."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_service, "utcnow", fake)
    return fake


def _course(**fields: Any) -> tuple[Course, list[Lesson]]:
    """A course with two sections: [text, video (optional)] and [document, video]."""
    course = make_course(**fields)
    first, second = make_section(course, "One"), make_section(course, "Two")
    lessons = [
        make_lesson(first, "Read", "text"),
        make_lesson(first, "Watch (optional)", "video", is_required=False),
        make_lesson(second, "Handout", "document"),
        make_lesson(second, "Lecture", "video"),
    ]
    return course, lessons


def _rows(user: Any) -> list[LessonProgress]:
    return list(db.session.query(LessonProgress).filter_by(user_id=user.id))


# ---- completion -----------------------------------------------------------------------------------
def test_complete_lessons_updates_progress_and_completes_the_course(ctx: None) -> None:
    student = make_user("Student")
    course, (read, optional, handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    complete_lesson(student, read)
    assert enrolment.progress_percent == 33  # 1 of 3 required lessons
    complete_lesson(student, optional)
    assert enrolment.progress_percent == 33  # optional lessons do not count
    complete_lesson(student, handout)
    assert enrolment.progress_percent == 66 and enrolment.completed_at is None
    assert enrolment.status.code == "active"
    complete_lesson(student, lecture)
    db.session.refresh(enrolment)
    assert enrolment.progress_percent == 100
    assert enrolment.completed_at is not None and enrolment.status.code == "completed"
    first_completed = db.session.query(LessonProgress).filter_by(lesson_id=read.id).one().completed_at
    assert complete_lesson(student, read).completed_at == first_completed  # completing again changes nothing
    assert len(_rows(student)) == 4


def test_course_completes_without_the_optional_lesson(ctx: None) -> None:
    student = make_user("Student")
    course, (read, _optional, handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    for lesson in (read, handout, lecture):
        complete_lesson(student, lesson)
    assert enrolment.status.code == "completed" and enrolment.progress_percent == 100


def test_an_error_half_way_through_completing_lessons_leaves_nothing_written(ctx, monkeypatch) -> None:
    student = make_user("Student")
    course, (read, _optional, handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    with transaction():
        complete_lesson(student, read)
    enrolment_id, student_id, read_id = enrolment.id, student.id, read.id
    before, real, hooks, calls = enrolment.progress_percent, progress_service._refresh_course_progress, [], []
    monkeypatch.setattr(progress_service, "_after_completion", lambda *args: hooks.append(args))

    def refresh_then_fail(enrollment: Enrollment, course: Course) -> bool:
        calls.append(1)
        newly = real(enrollment, course)
        if (
            len(calls) == 2
        ):  # the second lesson: its row is written and the course completed, then a step fails
            raise RuntimeError("half-way")
        return newly

    monkeypatch.setattr(progress_service, "_refresh_course_progress", refresh_then_fail)
    with pytest.raises(RuntimeError), transaction():
        complete_lesson(student, handout)  # done: must not be committed on its own
        complete_lesson(student, lecture)
    db.session.remove()
    enrolment = db.session.get(Enrollment, enrolment_id)
    assert enrolment.status.code == "active" and enrolment.progress_percent == before
    done = db.session.query(LessonProgress.lesson_id).filter_by(user_id=student_id)
    assert {lesson_id for (lesson_id,) in done} == {read_id}
    assert hooks == []


def test_complete_needs_entitlement_and_enrolment(ctx: None) -> None:
    student, teacher = make_user("Student"), make_user("Instructor")
    course, (read, *_rest) = _course(instructors=[teacher])
    with pytest.raises(Forbidden):
        complete_lesson(student, read)
    with pytest.raises(Forbidden):
        complete_lesson(teacher, read)  # staff open everything but have nothing to track
    make_enrollment(student, course, status="dropped")
    with pytest.raises(Forbidden):
        complete_lesson(student, read)
    assert _rows(student) == []


def test_expired_learner_cannot_track_a_free_preview(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=10)
    preview = make_lesson(make_section(course), "Preview", "text", is_free_preview=True)
    make_enrollment(student, course, type="subscription", status="expired")
    assert can_open_lesson(student, preview)
    assert open_lesson(student, preview) is False
    with pytest.raises(Forbidden):
        complete_lesson(student, preview)
    assert _rows(student) == []


# ---- sequencing --------------------------------------------------------------------------------
def test_sequential_course_locks_later_lessons(ctx: None) -> None:
    student, teacher = make_user("Student"), make_user("Instructor")
    course, (read, optional, handout, lecture) = _course(sequential=True, instructors=[teacher])
    make_enrollment(student, course)
    with pytest.raises(Forbidden):
        complete_lesson(student, handout)
    with pytest.raises(Forbidden):
        open_lesson(student, optional)  # even an optional lesson waits for the required one before it
    complete_lesson(student, read)
    complete_lesson(student, handout)  # the optional lesson in between does not block
    with pytest.raises(Forbidden):
        heartbeat(student, make_lesson(make_section(course, "Three"), "After", "video"))
    complete_lesson(student, lecture)
    # Instructors and admins are never locked.
    for staff in (teacher, make_user("Admin")):
        assert open_lesson(staff, lecture) is False
        assert heartbeat(staff, lecture).credited_seconds == 0


def test_sequential_free_preview_is_open_to_visitors(ctx: None) -> None:
    course = make_course(sequential=True, price=10)
    section = make_section(course)
    make_lesson(section, "First", "text")
    preview = make_lesson(section, "Preview", "video", is_free_preview=True)
    for visitor in (None, AnonymousUserMixin(), make_user("Student")):
        assert can_open_lesson(visitor, preview)
        assert open_lesson(visitor, preview) is False
        assert heartbeat(visitor, preview, ended=True).completed is False


# ---- opening -----------------------------------------------------------------------------------
def test_opening_a_lesson_records_it_as_started_and_completes_nothing(ctx: None) -> None:
    student = make_user("Student")
    course, (read, optional, handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    for lesson in (read, handout, lecture, optional, read):  # the text twice: one row still
        assert open_lesson(student, lesson) is True
    rows = {row.lesson_id: row for row in _rows(student)}
    assert set(rows) == {read.id, handout.id, lecture.id, optional.id}, "each opened lesson is started"
    assert all(row.completed_at is None for row in rows.values()), "opening completes nothing"
    assert progress_service.started_lesson_ids(student.id, course.id) == set(rows)
    assert progress_service.completed_lesson_ids(student.id, course.id) == set()
    assert enrolment.last_accessed_at is not None and enrolment.progress_percent == 0
    assert enrolment.status.code == "active"
    complete_lesson(student, read)  # the button, or reading to the end
    assert progress_service.completed_lesson_ids(student.id, course.id) == {read.id}
    assert enrolment.progress_percent == 33
    assert [lesson.id for lesson in (read, handout) if progress_service.completes_on_reading(lesson)] == [
        read.id
    ]


def test_open_lesson_remembers_the_latest_access(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    open_lesson(student, lecture)
    first = enrolment.last_accessed_at
    clock.advance(600)
    open_lesson(student, lecture)
    assert enrolment.last_accessed_at == first + timedelta(seconds=600)


def test_free_preview_open_to_anyone_who_sees_the_course_but_not_tracked(ctx: None) -> None:
    public = make_course(price=10)
    preview = make_lesson(make_section(public), "Preview", "text", is_free_preview=True)
    locked = make_lesson(preview.section, "Paid", "text")
    student = make_user("Student")
    for visitor in (None, student):
        assert can_open_lesson(visitor, preview)
        assert not can_open_lesson(visitor, locked)
        assert open_lesson(visitor, preview) is False
        with pytest.raises(Forbidden):
            open_lesson(visitor, locked)
    assert _rows(student) == []
    private = make_course(visibility="private")
    hidden_preview = make_lesson(make_section(private), "Preview", "text", is_free_preview=True)
    assert not can_open_lesson(student, hidden_preview)
    with pytest.raises(Forbidden):
        open_lesson(None, hidden_preview)


def test_video_completes_when_it_ends(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course()
    make_enrollment(student, course)
    assert heartbeat(student, lecture, position=10, duration=600).completed is False
    clock.advance(20)
    result = heartbeat(student, lecture, position=30, duration=600, ended=True)
    assert result.completed is True
    row = _rows(student)[0]
    assert row.completed_at is not None and row.video_position_seconds == 30


def test_video_completes_near_its_end(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    assert heartbeat(student, lecture, position=570, duration=600).completed is True
    assert enrolment.progress_percent == 33


def test_heartbeat_does_not_complete_a_text_lesson(ctx: None) -> None:
    student = make_user("Student")
    course, (read, *_rest) = _course()
    make_enrollment(student, course)
    assert heartbeat(student, read, ended=True).completed is False


# ---- bounded time -----------------------------------------------------------------------------
def test_time_is_credited_from_real_elapsed_time_only(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    open_lesson(student, lecture)
    assert heartbeat(student, lecture).credited_seconds == 0  # the first beat starts the clock
    clock.advance(20)
    assert heartbeat(student, lecture).credited_seconds == 20
    assert heartbeat(student, lecture).credited_seconds == 0  # the same request replayed
    clock.advance(0.4)
    assert heartbeat(student, lecture).credited_seconds == 0
    clock.advance(91)  # more than three intervals: the tab slept
    assert heartbeat(student, lecture).credited_seconds == 0
    clock.advance(30)
    assert heartbeat(student, lecture).credited_seconds == 30
    clock.advance(30)
    assert heartbeat(student, lecture, active=False).credited_seconds == 0  # paused or hidden
    clock.advance(25)
    result = heartbeat(student, lecture)
    assert result.credited_seconds == 25
    assert result.lesson_seconds == result.course_seconds == 75
    db.session.expire_all()
    assert enrolment.time_spent_seconds == 75
    assert _rows(student)[0].time_spent_seconds == 75


def test_gap_limit_follows_the_configured_interval(
    app: Any, ctx: None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "HEARTBEAT_INTERVAL_SECONDS", 10)
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course()
    make_enrollment(student, course)
    heartbeat(student, lecture)
    clock.advance(30)
    assert heartbeat(student, lecture).credited_seconds == 30
    clock.advance(31)
    assert heartbeat(student, lecture).credited_seconds == 0


def test_two_tabs_never_credit_more_than_real_time(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, optional, _handout, lecture) = _course()
    enrolment = make_enrollment(student, course)
    start = clock.now
    heartbeat(student, lecture)
    heartbeat(student, optional)
    for _ in range(20):
        clock.advance(15)
        heartbeat(student, lecture)
        clock.advance(1)
        heartbeat(student, optional)
        heartbeat(student, lecture)  # a third, replayed beat in the same second
    elapsed = (clock.now - start).total_seconds()
    db.session.expire_all()
    lesson_total = sum(row.time_spent_seconds for row in _rows(student))
    assert enrolment.time_spent_seconds == lesson_total
    assert 0 < enrolment.time_spent_seconds <= elapsed


def test_short_lesson_collects_at_most_four_times_its_duration(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course = make_course()
    short = make_lesson(make_section(course), "Short", "video", duration_minutes=1)
    enrolment = make_enrollment(student, course)
    heartbeat(student, short)
    credited = 0
    for _ in range(20):
        clock.advance(30)
        credited += heartbeat(student, short).credited_seconds
    assert credited == 240
    assert _rows(student)[0].time_spent_seconds == 240
    assert enrolment.time_spent_seconds == 240


def test_time_stays_after_the_subscription_ends(ctx: None, clock: Clock) -> None:
    student = make_user("Student")
    course, (_read, _optional, _handout, lecture) = _course(price=10)
    subscription = grant_subscription(student)
    make_enrollment(student, course, type="subscription")
    heartbeat(student, lecture)
    clock.advance(20)
    heartbeat(student, lecture)
    end_subscription(subscription)
    clock.advance(20)
    with pytest.raises(Forbidden):
        heartbeat(student, lecture)
    expire_subscription_enrollments()
    db.session.expire_all()
    assert enrollment_of(student.id, course.id).time_spent_seconds == 20
    assert _rows(student)[0].time_spent_seconds == 20


def test_elapsed_time_accepts_the_naive_times_sqlite_returns():
    from datetime import UTC, datetime, timedelta

    from app.courses.services.progress import _elapsed

    now = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    stored_by_sqlite = datetime(2026, 1, 1, 12, 0, 0)  # the same UTC instant, without its zone
    assert _elapsed(stored_by_sqlite, now, gap=90) == 30
    assert _elapsed(stored_by_sqlite - timedelta(hours=1), now, gap=90) == 0
