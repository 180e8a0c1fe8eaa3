"""Notes: the visibility matrix (query and object rule agree), history, likes, sanitizing, targets."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models import utcnow
from app.courses.models import Note
from app.courses.services import expire_subscription_enrollments
from app.courses.services.notes import (
    can_read_note,
    create_note,
    delete_note,
    get_note,
    like_note,
    note_history,
    unlike_note,
    update_note,
    visible_notes,
)
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.course_factories import (
    end_subscription,
    grant_subscription,
    make_course,
    make_enrollment,
    make_lesson,
    make_note,
    make_section,
)
from tests.factories import make_user

READERS = ("author", "enrolled_student", "other_student", "course_instructor", "other_instructor", "admin")
CAN_READ = {
    "private": {"author"},
    "public": {"author", "enrolled_student", "course_instructor", "admin"},
    "instructors_only": {"author", "course_instructor", "admin"},
}


def _visible_ids(user: Any) -> set[int]:
    return set(db.session.scalars(visible_notes(user).with_only_columns(Note.id)))


def _readable(user: Any, note: Note) -> bool:
    """`can_read_note`, `get_note` and `visible_notes` must give the same answer."""
    by_rule = can_read_note(user, note)
    by_query = note.id in _visible_ids(user)
    try:
        get_note(user, note.id)
        by_get = True
    except NotFound:
        by_get = False
    assert by_rule == by_query == by_get, (by_rule, by_query, by_get)
    return by_rule


@pytest.fixture
def people(ctx: None) -> dict[str, Any]:
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher], price=10)
    author, enrolled = make_user("Student"), make_user("Student")
    make_enrollment(author, course)
    make_enrollment(enrolled, course)
    return {
        "course": course,
        "author": author,
        "enrolled_student": enrolled,
        "other_student": make_user("Student"),
        "course_instructor": teacher,
        "other_instructor": make_user("Instructor"),
        "admin": make_user("Admin"),
    }


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("visibility", sorted(CAN_READ))
def test_visibility_matrix(people: dict[str, Any], visibility: str, reader: str) -> None:
    note = create_note(people["author"], "course", people["course"].id, "My note", visibility=visibility)
    assert _readable(people[reader], note) is (reader in CAN_READ[visibility])


def test_anonymous_reads_nothing(people: dict[str, Any]) -> None:
    note = create_note(people["author"], "course", people["course"].id, "Hello", visibility="public")
    assert _readable(None, note) is False


def test_expired_student_no_longer_sees_public_notes(people: dict[str, Any]) -> None:
    course = make_course(price=10)
    author, reader = make_user("Student"), make_user("Student")
    make_enrollment(author, course)
    subscription = grant_subscription(reader)
    make_enrollment(reader, course, type="subscription")
    note = create_note(author, "course", course.id, "Shared", visibility="public")
    own = create_note(reader, "course", course.id, "Mine")
    assert _readable(reader, note)
    end_subscription(subscription)
    assert not _readable(reader, note)  # subscription over, before the expiry task runs
    expire_subscription_enrollments()
    assert not _readable(reader, note)
    assert _readable(reader, own)  # one's own notes stay


def test_dropped_student_no_longer_sees_public_notes(people: dict[str, Any]) -> None:
    course, author = people["course"], people["author"]
    reader = make_user("Student")
    enrolment = make_enrollment(reader, course)
    note = create_note(author, "course", course.id, "Shared", visibility="public")
    assert _readable(reader, note)
    enrolment.status_id = require_lookup_id("enrollment_status", "dropped")
    db.session.commit()
    assert not _readable(reader, note)


def test_notes_of_a_deleted_course_are_hidden_from_its_learners(people: dict[str, Any]) -> None:
    course = people["course"]
    note = create_note(people["author"], "course", course.id, "Shared", visibility="public")
    course.is_deleted, course.deleted_at = True, utcnow()
    db.session.commit()
    assert not _readable(people["enrolled_student"], note)
    assert _readable(people["author"], note)


# ---- writing -----------------------------------------------------------------------------------
def test_only_entitled_users_write_notes(people: dict[str, Any]) -> None:
    course = people["course"]
    for outsider in (people["other_student"], people["other_instructor"]):
        with pytest.raises(Forbidden):
            create_note(outsider, "course", course.id, "Nope")
    assert create_note(people["course_instructor"], "course", course.id, "Staff note").id
    with pytest.raises(NotFound):
        create_note(people["author"], "post", 1, "Wrong target")
    with pytest.raises(NotFound):
        create_note(people["author"], "lesson", 999_999_999, "No such lesson")


def test_notes_on_sections_and_lessons_resolve_their_course(people: dict[str, Any]) -> None:
    course, author = people["course"], people["author"]
    other = make_course()
    section = make_section(course)
    lesson = make_lesson(section)
    on_section = create_note(author, "course_section", section.id, "On a section", visibility="public")
    on_lesson = create_note(author, "lesson", lesson.id, "On a lesson", visibility="public")
    assert on_section.course_id == on_lesson.course_id == course.id
    assert (on_lesson.target_type, on_lesson.target_id) == ("lesson", lesson.id)
    assert _readable(people["enrolled_student"], on_lesson)
    foreign_lesson = make_lesson(make_section(other))
    with pytest.raises(Forbidden):
        create_note(author, "lesson", foreign_lesson.id, "Not enrolled there")


@pytest.mark.parametrize("body", ["", "   ", "<p> </p>", "<script>alert(1)</script>", None])
def test_empty_notes_are_invalid(people: dict[str, Any], body: Any) -> None:
    with pytest.raises(Invalid):
        create_note(people["author"], "course", people["course"].id, body)
    assert db.session.query(Note).count() == 0


def test_body_is_sanitized(people: dict[str, Any]) -> None:
    note = create_note(
        people["author"],
        "course",
        people["course"].id,
        '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:evil()">link</a></p>',
    )
    db.session.expire_all()
    assert "script" not in note.body and "onclick" not in note.body and "javascript" not in note.body
    assert "Hi" in note.body
    update_note(people["author"], note, body="<b>bold</b><img src=x onerror=alert(1)>")
    db.session.expire_all()
    assert "onerror" not in note.body and "<b>bold</b>" in note.body


def test_invalid_colour_and_visibility(people: dict[str, Any]) -> None:
    args = (people["author"], "course", people["course"].id, "Text")
    with pytest.raises(Invalid):
        create_note(*args, color="neon")
    with pytest.raises(Invalid):
        create_note(*args, visibility="everyone")


# ---- history -----------------------------------------------------------------------------------
def test_edit_history_for_the_author_only(people: dict[str, Any]) -> None:
    author = people["author"]
    note = create_note(author, "course", people["course"].id, "First", visibility="public")
    update_note(author, note, body="Second")
    update_note(author, note, visibility="private", color="blue")
    update_note(author, note, body="Second")  # unchanged: no revision
    update_note(author, note, is_pinned=True)  # a flag: no revision
    history = note_history(author, note)
    assert [rev.body for rev in history] == ["Second", "First"]
    assert history[-1].visibility.code == "public" and history[0].color == "yellow"
    assert note.body == "Second" and note.visibility.code == "private" and note.is_pinned
    for reader in ("enrolled_student", "course_instructor", "admin"):
        with pytest.raises(Forbidden):
            note_history(people[reader], note)
        with pytest.raises(Forbidden):
            update_note(people[reader], note, body="Hijacked")


def test_delete_by_author_and_moderation(people: dict[str, Any]) -> None:
    author, teacher = people["author"], people["course_instructor"]
    private = create_note(author, "course", people["course"].id, "Secret")
    public = create_note(author, "course", people["course"].id, "Open", visibility="public")
    with pytest.raises(Forbidden):
        delete_note(teacher, private)  # staff cannot even see it
    with pytest.raises(Forbidden):
        delete_note(people["enrolled_student"], public)
    delete_note(teacher, public)
    delete_note(author, private)
    assert _visible_ids(author) == set()


# ---- likes -------------------------------------------------------------------------------------
def test_likes(people: dict[str, Any]) -> None:
    author, reader, teacher = people["author"], people["enrolled_student"], people["course_instructor"]
    note = create_note(author, "course", people["course"].id, "Useful", visibility="public")
    assert like_note(reader, note).like_count == 1
    with pytest.raises(Conflict):
        like_note(reader, note)
    assert like_note(teacher, note).like_count == 2
    with pytest.raises(Invalid):
        like_note(author, note)
    with pytest.raises(Forbidden):
        like_note(people["other_student"], note)
    assert unlike_note(reader, note).like_count == 1
    with pytest.raises(Conflict):
        unlike_note(reader, note)
    assert like_note(reader, note).like_count == 2  # liked again after taking it back
    db.session.expire_all()
    assert note.like_count == 2


@pytest.mark.parametrize("visibility", ["private", "instructors_only"])
def test_non_public_notes_cannot_be_liked(people: dict[str, Any], visibility: str) -> None:
    note = create_note(people["author"], "course", people["course"].id, "Not public", visibility=visibility)
    for liker in ("course_instructor", "admin", "author"):
        with pytest.raises(Forbidden):
            like_note(people[liker], note)
    assert note.like_count == 0


def test_factory_notes_follow_the_same_rules(people: dict[str, Any]) -> None:
    note = make_note(people["author"], people["course"], visibility="instructors_only")
    assert _readable(people["course_instructor"], note)
    assert not _readable(people["enrolled_student"], note)
