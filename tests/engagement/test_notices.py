"""Comments tell people: a new comment on a lesson to the course's instructors, a reply to the author
of the comment it answers (an instructor's answer in its own words); in both languages, never to
the one who wrote it, each linking to the comment on its lesson."""

from __future__ import annotations

from typing import Any

import pytest

from app.engagement.services import add_comment
from app.extensions import db
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import link_of, only_row, rows_of, texts

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # delivery runs inline


@pytest.fixture
def lesson_with_people() -> tuple[Any, Any, Any, Any]:
    teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher", name_ar="طارق")
    student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة")
    other = make_user("Student", first_name="Lina", last_name="Learner", name_ar="لينا")
    course = make_course(instructors=[teacher])
    section = make_section(course)
    lesson = make_lesson(section, title="Loops")
    lesson.translations = {"en": {"title": "Loops"}, "ar": {"title": "الحلقات"}}
    db.session.commit()
    for user in (student, other):
        make_enrollment(user, course)
    return lesson, teacher, student, other


def test_a_new_comment_tells_the_instructors(lesson_with_people: Any) -> None:
    lesson, teacher, student, other = lesson_with_people
    comment = add_comment(student, "lesson", lesson.id, "<p>How do loops end?</p>")
    db.session.commit()
    row = only_row(teacher, "comment")
    english, arabic = texts(row)
    assert english == "Sara Student commented on Loops"
    assert "سارة" in arabic and "الحلقات" in arabic and "commented" not in arabic
    expected = f"/courses/{lesson.course.slug}/lessons/{lesson.id}#comment-{comment.id}"
    assert link_of(teacher, row) == expected
    assert rows_of(student) == [] and rows_of(other) == []  # not the author, not other learners


def test_a_reply_tells_the_author_of_the_comment(lesson_with_people: Any) -> None:
    lesson, teacher, student, other = lesson_with_people
    question = add_comment(student, "lesson", lesson.id, "<p>How do loops end?</p>")
    reply = add_comment(other, "lesson", lesson.id, "<p>With break.</p>", parent_id=question.id)
    db.session.commit()
    row = only_row(student, "reply")
    english, arabic = texts(row)
    assert english == "Lina Learner replied to your comment on Loops"
    assert "لينا" in arabic and "الحلقات" in arabic and "replied" not in arabic
    assert link_of(student, row) == f"/courses/{lesson.course.slug}/lessons/{lesson.id}#comment-{reply.id}"
    assert rows_of(other) == []
    assert len(rows_of(teacher, "comment")) == 1  # the question; a reply is not a new comment


def test_an_instructors_answer_has_its_own_words(lesson_with_people: Any) -> None:
    lesson, teacher, student, _other = lesson_with_people
    question = add_comment(student, "lesson", lesson.id, "<p>How do loops end?</p>")
    add_comment(teacher, "lesson", lesson.id, "<p>When the condition is false.</p>", parent_id=question.id)
    db.session.commit()
    row = only_row(student, "reply")
    english, arabic = texts(row)
    assert english == "Tariq Teacher answered your comment on Loops as its instructor"
    assert "طارق" in arabic and "الحلقات" in arabic and "answered" not in arabic
    assert rows_of(teacher, "reply") == []


def test_replying_to_ones_own_comment_tells_nobody(lesson_with_people: Any) -> None:
    lesson, teacher, student, _other = lesson_with_people
    question = add_comment(student, "lesson", lesson.id, "<p>How do loops end?</p>")
    add_comment(student, "lesson", lesson.id, "<p>Found it.</p>", parent_id=question.id)
    db.session.commit()
    assert rows_of(student) == []
    assert len(rows_of(teacher)) == 1
