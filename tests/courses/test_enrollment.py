"""Enrolment rules: self-enrolment, prerequisites, drops and re-enrolment, instructor and CSV enrolment."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, Forbidden, Invalid
from app.courses.models import Course, Enrollment, LessonProgress
from app.courses.services import (
    can_access,
    drop_enrollment,
    enroll_by_instructor,
    enroll_from_csv,
    enroll_student,
    enrollment_of,
)
from app.courses.services.enrollment import EnrollmentClosedError
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.course_factories import (
    buy,
    grant_subscription,
    make_course,
    make_enrollment,
    make_lesson,
    make_progress,
    make_section,
)
from tests.factories import make_user


def _count(course: Course) -> int:
    db.session.refresh(course)
    return course.enrollment_count


# ---- self-enrolment ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "visibility"),
    [("draft", "draft"), ("published", "private"), ("published", "draft"), ("archived", "public")],
)
def test_only_listed_courses_accept_students(ctx: None, status: str, visibility: str) -> None:
    student = make_user("Student")
    course = make_course(status=status, visibility=visibility)
    with pytest.raises(Forbidden) as raised:
        enroll_student(student, course)
    assert raised.value.status_code == 403
    assert enrollment_of(student.id, course.id) is None


def test_free_course_gives_a_lifetime_enrolment(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=0)
    enrolment = enroll_student(student, course)
    assert enrolment.enrollment_type.code == "purchase" and enrolment.status.code == "active"
    assert enrolment.source == "self" and enrolment.enrolled_by_id == student.id
    assert can_access(student, course)
    assert _count(course) == 1


def test_paid_course_without_purchase_or_subscription_is_closed(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=49)
    with pytest.raises(EnrollmentClosedError) as raised:
        enroll_student(student, course)
    assert raised.value.status_code == 403
    assert enrollment_of(student.id, course.id) is None and _count(course) == 0


def test_bought_course_gives_a_purchase_enrolment(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=49)
    buy(student, course)
    assert enroll_student(student, course).enrollment_type.code == "purchase"


def test_subscription_course_with_active_subscription(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=49, included_in_subscription=True)
    grant_subscription(student)
    enrolment = enroll_student(student, course)
    assert enrolment.enrollment_type.code == "subscription" and enrolment.source == "subscription"
    assert can_access(student, course)


def test_course_outside_the_plan_refuses_subscribers(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=49, included_in_subscription=False)
    grant_subscription(student)
    with pytest.raises(EnrollmentClosedError):
        enroll_student(student, course)


def test_ended_subscription_does_not_open_a_paid_course(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(price=49)
    grant_subscription(student, days=10, starts_days_ago=30)
    with pytest.raises(EnrollmentClosedError):
        enroll_student(student, course)


def test_prerequisites_must_be_completed(ctx: None) -> None:
    student = make_user("Student")
    basics, advanced = make_course(title="Basics"), make_course(title="Advanced")
    advanced.prerequisites = [basics]
    db.session.commit()
    with pytest.raises(EnrollmentClosedError) as raised:
        enroll_student(student, advanced)
    assert "Basics" in raised.value.message
    make_enrollment(student, basics, status="active")
    with pytest.raises(EnrollmentClosedError):
        enroll_student(student, advanced)  # enrolled is not completed
    enrolment = enrollment_of(student.id, basics.id)
    enrolment.status_id = require_lookup_id("enrollment_status", "completed")
    db.session.commit()
    assert enroll_student(student, advanced).status.code == "active"


def test_prerequisite_completed_then_expired_still_counts(ctx: None) -> None:
    """Completing a course through a subscription that later ended still satisfies the prerequisite."""
    student = make_user("Student")
    basics, advanced = make_course(title="Basics"), make_course(title="Advanced")
    advanced.prerequisites = [basics]
    db.session.commit()
    make_enrollment(student, basics, type="subscription", status="completed")
    enrolment = enrollment_of(student.id, basics.id)
    completed_at = enrolment.completed_at
    enrolment.status_id = require_lookup_id("enrollment_status", "expired")
    db.session.commit()
    assert completed_at is not None
    assert enroll_student(student, advanced).status.code == "active"


def test_already_enrolled_is_a_conflict_and_counts_once(ctx: None) -> None:
    student = make_user("Student")
    course = make_course()
    enroll_student(student, course)
    with pytest.raises(Conflict) as raised:
        enroll_student(student, course)
    assert raised.value.status_code == 409
    assert _count(course) == 1
    assert db.session.query(Enrollment).filter_by(course_id=course.id).count() == 1


def test_reenrol_after_drop_reactivates_and_keeps_progress(ctx: None) -> None:
    student = make_user("Student")
    course = make_course()
    lesson = make_lesson(make_section(course))
    enrolment = enroll_student(student, course)
    make_progress(student, lesson, completed=True, time_spent_seconds=90)
    enrolment.progress_percent, enrolment.time_spent_seconds = 100, 90
    db.session.commit()
    drop_enrollment(enrolment, student)
    assert enrolment.status.code == "dropped" and enrolment.ended_at is not None
    assert not can_access(student, course)
    with pytest.raises(Conflict):
        drop_enrollment(enrolment, student)  # not active any more
    again = enroll_student(student, course)
    assert again.id == enrolment.id
    assert again.status.code == "active" and again.ended_at is None
    assert again.progress_percent == 100 and again.time_spent_seconds == 90
    assert db.session.query(LessonProgress).filter_by(user_id=student.id).one().completed_at is not None
    assert _count(course) == 1


def test_reenrol_after_completion_keeps_completed_status(ctx: None) -> None:
    student = make_user("Student")
    course = make_course()
    enrolment = make_enrollment(student, course, status="completed", source="self")
    drop_enrollment(enrolment, student)
    assert enroll_student(student, course).status.code == "completed"


def test_drop_by_someone_else(ctx: None) -> None:
    student, other, teacher = make_user("Student"), make_user("Student"), make_user("Instructor")
    course = make_course(instructors=[teacher])
    enrolment = enroll_student(student, course)
    with pytest.raises(Forbidden):
        drop_enrollment(enrolment, other)
    with pytest.raises(Forbidden):
        drop_enrollment(enrolment, make_user("Instructor"))
    assert drop_enrollment(enrolment, teacher).status.code == "dropped"


# ---- instructor enrolment ----------------------------------------------------------------------
def test_instructor_enrols_a_student_in_a_paid_private_course(ctx: None) -> None:
    student, teacher = make_user("Student"), make_user("Instructor")
    course = make_course(price=99, visibility="private", instructors=[teacher])
    enrolment = enroll_by_instructor(course, student, teacher)
    assert enrolment.enrollment_type.code == "purchase" and enrolment.source == "instructor"
    assert enrolment.enrolled_by_id == teacher.id
    assert can_access(student, course)
    with pytest.raises(Conflict):
        enroll_by_instructor(course, student, teacher)


def test_other_instructor_and_students_cannot_enrol_others(ctx: None) -> None:
    student = make_user("Student")
    course = make_course(instructors=[make_user("Instructor")])
    for by in (make_user("Instructor"), make_user("Student")):
        with pytest.raises(Forbidden):
            enroll_by_instructor(course, student, by)
    assert enroll_by_instructor(course, student, make_user("Admin")).status.code == "active"


def test_suspended_student_cannot_be_enrolled(ctx: None) -> None:
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher])
    with pytest.raises(Invalid):
        enroll_by_instructor(course, make_user("Student", status="suspended"), teacher)


# ---- CSV ---------------------------------------------------------------------------------------
def test_csv_mixed_file(ctx: None) -> None:
    teacher = make_user("Instructor")
    course = make_course(price=10, instructors=[teacher])
    good_a, good_b = make_user("Student"), make_user("Student")
    suspended = make_user("Student", status="suspended")
    enrolled = make_user("Student")
    make_enrollment(enrolled, course)
    dropped = make_user("Student")
    make_enrollment(dropped, course, status="dropped")
    lines = [
        "Email",
        good_a.email.upper(),  # case does not matter
        "nobody@example.test",
        suspended.email,
        good_a.email,  # listed twice
        enrolled.email,
        "",  # a blank line: skipped, but the line numbers after it stay right
        "  ",
        f" {good_b.email} ",
        dropped.email,  # came back: accepted, same row reactivated
    ]
    report = enroll_from_csv(course, "\r\n".join(lines).encode(), teacher)
    accepted = {row["email"].lower() for row in report.accepted}
    assert [row["line"] for row in report.accepted] == [2, 9, 10]
    assert accepted == {good_a.email, good_b.email, dropped.email}
    reasons = {row["line"]: row["reason"] for row in report.rejected}
    assert reasons == {
        3: "No such user.",
        4: "The account is not active.",
        5: "Listed twice.",
        6: "Already enrolled.",
        8: "Empty value.",
    }
    for user in (good_a, good_b, dropped):
        enrolment = enrollment_of(user.id, course.id)
        assert enrolment.status.code == "active" and enrolment.enrollment_type.code == "purchase"
        assert enrolment.source == "csv" and enrolment.enrolled_by_id == teacher.id
    assert enrollment_of(suspended.id, course.id) is None
    assert db.session.query(Enrollment).filter_by(course_id=course.id).count() == 4
    assert set(report.as_dict()) == {"accepted", "rejected"}


def test_csv_by_username_with_bom_and_extra_columns(ctx: None) -> None:
    admin = make_user("Admin")
    course = make_course()
    student = make_user("Student")
    data = f"name,Username\nSomeone,{student.username}\n".encode("utf-8-sig")
    report = enroll_from_csv(course, data, admin)
    assert [row["username"] for row in report.accepted] == [student.username]
    assert can_access(student, course)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"name,phone\nAli,123\n", id="no-email-or-username-column"),
        pytest.param("email\nséverine@example.test\n".encode("latin-1"), id="not-utf8"),
        pytest.param(b"", id="empty"),
        pytest.param(b"email\n", id="header-only"),
        pytest.param(b"email\nbad\x00value\n", id="nul-byte"),
    ],
)
def test_csv_unreadable_files_enrol_nobody(ctx: None, data: bytes) -> None:
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher])
    student = make_user("Student")
    payload = data.replace(b"bad", student.email.encode()) if b"\x00" in data else data
    with pytest.raises(Invalid) as raised:
        enroll_from_csv(course, payload, teacher)
    assert raised.value.status_code == 422
    assert db.session.query(Enrollment).filter_by(course_id=course.id).count() == 0


def test_csv_by_another_instructor_is_forbidden(ctx: None) -> None:
    course = make_course(instructors=[make_user("Instructor")])
    student = make_user("Student")
    with pytest.raises(Forbidden):
        enroll_from_csv(course, f"email\n{student.email}\n".encode(), make_user("Instructor"))
    with pytest.raises(Forbidden):
        enroll_from_csv(course, f"email\n{student.email}\n".encode(), student)
    assert enrollment_of(student.id, course.id) is None
