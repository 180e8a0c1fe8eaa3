"""Courses tell people: enrolments, liked notes, a course's review (to the right people, in both
languages, never the actor, each linking to the page where its reader sees the subject)."""

from __future__ import annotations

from typing import Any

import pytest

from app.courses.services.catalog import approve_course, reject_course, submit_for_review
from app.courses.services.enrollment import drop_enrollment, enroll_by_instructor, enroll_student
from app.courses.services.notes import like_note
from app.extensions import db
from tests.course_factories import make_course, make_enrollment, make_lesson, make_note, make_section
from tests.factories import make_user
from tests.notification_helpers import link_of, only_row, rows_of, texts

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # delivery runs inline


def _people() -> tuple[Any, Any, Any]:
    teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher")
    colleague = make_user("Instructor")
    student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة الطالبة")
    return teacher, colleague, student


def test_self_enrolment_tells_the_instructors_not_the_learner() -> None:
    teacher, colleague, student = _people()
    course = make_course(instructors=[teacher, colleague], title="Python Basics", title_ar="أساسيات بايثون")
    enrollment = enroll_student(student, course)
    db.session.commit()
    for instructor in (teacher, colleague):
        row = only_row(instructor, "enrollment")
        english, arabic = texts(row)
        assert english == "Sara Student enrolled in Python Basics"
        assert "سارة الطالبة" in arabic and "أساسيات بايثون" in arabic and "enrolled" not in arabic
        assert row.actor_id == student.id
        assert link_of(instructor, row) == f"/enrollmentmodelview/show/{enrollment.id}"
    assert rows_of(student) == []


def test_an_instructor_enrolling_a_student_tells_the_student_and_the_other_instructors() -> None:
    teacher, colleague, student = _people()
    course = make_course(instructors=[teacher, colleague], title="Python Basics", title_ar="أساسيات بايثون")
    enroll_by_instructor(course, student, teacher)
    db.session.commit()
    row = only_row(student, "enrollment")
    english, arabic = texts(row)
    assert english == "You are enrolled in Python Basics"
    assert "أساسيات بايثون" in arabic and "Python" not in arabic
    assert link_of(student, row) == f"/courses/{course.slug}"
    assert texts(only_row(colleague, "enrollment"))[0] == "Sara Student enrolled in Python Basics"
    assert rows_of(teacher) == []


def test_coming_back_after_a_drop_is_told_again() -> None:
    teacher, _colleague, student = _people()
    course = make_course(instructors=[teacher])
    enrollment = enroll_student(student, course)
    db.session.commit()
    drop_enrollment(enrollment, student)
    db.session.commit()
    enroll_student(student, course)
    db.session.commit()
    assert len(rows_of(teacher, "enrollment")) == 2


def test_a_liked_note_tells_its_author_and_opens_its_lesson() -> None:
    teacher, _colleague, student = _people()
    liker = make_user("Student", first_name="Lina", last_name="Liker", name_ar="لينا")
    course = make_course(instructors=[teacher], title="Python Basics", title_ar="أساسيات بايثون")
    lesson = make_lesson(make_section(course))
    for user in (student, liker):
        make_enrollment(user, course)
    note = make_note(student, course, visibility="public", target_type="lesson", target_id=lesson.id)
    like_note(liker, note)
    db.session.commit()
    row = only_row(student, "like")
    english, arabic = texts(row)
    assert english == "Lina Liker liked your note in Python Basics"
    assert "لينا" in arabic and "أساسيات بايثون" in arabic and "liked" not in arabic
    assert link_of(student, row) == f"/courses/{course.slug}/lessons/{lesson.id}"
    assert rows_of(liker) == []


def test_the_review_of_a_course_goes_to_the_admins_then_back_to_its_instructors() -> None:
    teacher, colleague, _student = _people()
    admin = make_user("Admin")
    course = make_course(
        instructors=[teacher, colleague],
        title="Python Basics",
        title_ar="أساسيات بايثون",
        status="draft",
        visibility="draft",
    )
    make_lesson(make_section(course))
    submit_for_review(course, teacher)
    db.session.commit()
    row = only_row(admin, "course_review")
    english, arabic = texts(row)
    assert english == "Tariq Teacher submitted Python Basics for review"
    assert "أساسيات بايثون" in arabic and "review" not in arabic
    assert link_of(admin, row) == f"/coursemodelview/show/{course.id}"  # the back office: to approve it
    assert rows_of(teacher) == []
    assert rows_of(colleague, "course_review") == []  # reviews are for admins

    reject_course(course, admin, "Add captions to the videos")
    db.session.commit()
    row = rows_of(teacher, "course_review")[-1]
    english, arabic = texts(row)
    assert english == "Python Basics was not approved: Add captions to the videos"
    assert "Add captions to the videos" in arabic and "أساسيات بايثون" in arabic
    assert link_of(teacher, row) == f"/coursemodelview/show/{course.id}"

    submit_for_review(course, teacher)
    approve_course(course, admin)
    db.session.commit()
    assert len(rows_of(admin, "course_review")) == 2  # submitted again: told again
    row = rows_of(teacher, "course_review")[-1]
    assert texts(row)[0] == "Python Basics was approved and published"
    assert link_of(teacher, row) == f"/courses/{course.slug}"  # published: its public page
