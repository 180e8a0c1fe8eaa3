"""notify(): recipients, actor, visibility, preferences per channel, idempotence, bulk writes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.core.transactions import transaction
from app.extensions import db
from app.notifications import services
from app.notifications.models import EMAIL_DIGEST, EMAIL_DUE, EMAIL_NONE, Notification
from app.notifications.services.inbox import text_of
from app.notifications.tasks import deliver_notifications
from app.security.services import suspend_user
from tests.factories import make_user

COURSE = {"en": "Python", "ar": "بايثون"}


def rows(user_id: int | None = None) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id)
    if user_id is not None:
        stmt = stmt.where(Notification.recipient_id == user_id)
    return list(db.session.scalars(stmt))


def test_the_actor_is_never_told_and_others_are(people: Any, worded: None) -> None:
    with transaction():
        ids = services.notify(
            [people.student, people.teacher], "grade", people.course, actor=people.teacher, course=COURSE
        )
    assert len(ids) == 1
    (row,) = rows()
    assert row.recipient_id == people.student.id
    assert row.actor_id == people.teacher.id
    assert (row.target_type, row.target_id) == ("course", people.course.id)
    assert text_of(row, "en") == "Tariq Teacher graded your work in Python"
    # In Arabic: the actor's Arabic name and the course's Arabic title.
    assert "طارق المعلم" in text_of(row, "ar")
    assert "بايثون" in text_of(row, "ar")


def test_a_type_nobody_worded_reads_as_its_name(people: Any) -> None:
    with transaction():
        services.notify(people.student, "ticket", people.course)
    (row,) = rows()
    assert (text_of(row, "en"), text_of(row, "ar")) == ("Support Ticket", "تذكرة دعم")


def test_recipients_who_cannot_see_the_target_are_not_told(people: Any, worded: None) -> None:
    with transaction():
        services.notify([people.student, people.admin], "grade", people.draft, course=COURSE)
    assert [row.recipient_id for row in rows()] == [people.admin.id]


def test_blocked_accounts_are_not_told(people: Any, worded: None) -> None:
    with transaction():
        suspend_user(people.arabic)
        services.notify([people.student, people.arabic], "grade", people.course, course=COURSE)
    assert [row.recipient_id for row in rows()] == [people.student.id]


def test_the_same_event_told_twice_makes_one_row(people: Any, worded: None) -> None:
    for _ in range(2):  # a retried task calls notify again
        with transaction():
            services.notify(people.student, "grade", people.course, actor=people.teacher, course=COURSE)
    assert len(rows()) == 1
    with transaction():  # another event of the same type is a new row
        services.notify(people.student, "grade", people.course, actor=people.teacher, course=COURSE, n=2)
    assert len(rows()) == 2


def test_rolled_back_causes_leave_no_notification(people: Any, worded: None) -> None:
    with pytest.raises(RuntimeError), transaction():
        services.notify(people.student, "grade", people.course, course=COURSE)
        raise RuntimeError("the cause failed")
    assert rows() == []


def test_each_channel_follows_the_recipients_choice(people: Any, worded: None) -> None:
    with transaction():
        services.save_preferences(
            people.student.id, {"grade": {"in_app": False, "email": True, "push": True, "digest": False}}
        )
        services.save_preferences(people.arabic.id, {"grade": {"in_app": True, "digest": True}})
        services.save_preferences(people.teacher.id, {"grade": {}})  # everything off
        services.notify(
            [people.student, people.arabic, people.teacher], "grade", people.course, course=COURSE
        )
    by_user = {row.recipient_id: row for row in rows()}
    assert set(by_user) == {people.student.id, people.arabic.id}
    student, arabic = by_user[people.student.id], by_user[people.arabic.id]
    assert (student.in_app, student.email_state, student.push_due) == (False, EMAIL_DUE, True)
    assert (arabic.in_app, arabic.email_state, arabic.push_due) == (True, EMAIL_DIGEST, False)
    # Out of the app: not in the student's list or count.
    assert services.unread_count(people.student.id) == 0
    assert services.list_notifications(people.student) == ([], 0)


def test_site_defaults_apply_until_a_user_chooses(people: Any, worded: None) -> None:
    # Built in: grades go by e-mail and push.
    assert services.user_preferences(people.student.id)["grade"] == {
        "in_app": True,
        "email": True,
        "push": True,
        "digest": False,
    }
    with transaction():
        services.save_preferences(None, {"grade": {"in_app": True}})
        services.save_preferences(people.arabic.id, {"grade": {"in_app": True, "email": True}})
        services.notify([people.student, people.arabic], "grade", people.course, course=COURSE)
    states = {row.recipient_id: row.email_state for row in rows()}
    assert states == {people.student.id: EMAIL_NONE, people.arabic.id: EMAIL_DUE}


def test_unknown_types_and_channels_are_refused(people: Any) -> None:
    from app.core.errors import Invalid

    with pytest.raises(Invalid):
        services.notify(people.student, "no_such_type", people.course)
    with pytest.raises(Invalid):
        services.save_preferences(people.student.id, {"grade": {"carrier_pigeon": True}})
    with pytest.raises(Invalid):
        services.save_preferences(people.student.id, {"nope": {"email": True}})


def test_a_type_without_email_keeps_it_off(people: Any) -> None:
    with transaction():
        services.save_preferences(people.student.id, {"invoice": {"in_app": True, "email": True}})
    assert services.user_preferences(people.student.id)["invoice"]["email"] is False


def _statements(action: Any) -> int:
    count = 0

    def counter(*_args: Any) -> None:
        nonlocal count
        count += 1

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_statements_do_not_grow_with_recipients(people: Any, worded: None) -> None:
    few = [make_user("Student") for _ in range(3)]
    many = [make_user("Student") for _ in range(60)]
    services.notify(few, "grade", people.course, course=COURSE, n=0)  # caches the type's id, loads the course
    small = _statements(lambda: services.notify(few, "grade", people.course, course=COURSE, n=1))
    large = _statements(lambda: services.notify(many, "grade", people.course, course=COURSE, n=2))
    assert large == small
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 66


def test_a_retried_delivery_emails_once(people: Any, worded: None, inline: None, smtp_server: list) -> None:
    with transaction():
        ids = services.notify(people.student, "grade", people.course, actor=people.teacher, course=COURSE)
    assert len(smtp_server) == 1
    with transaction():
        deliver_notifications(ids)  # the task runs again (a worker retried it)
    assert len(smtp_server) == 1
