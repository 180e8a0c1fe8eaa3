"""Delivery channels: e-mails in the reader's language with working unsubscribe links, the daily
digest, the real-time count on the user's own Socket.IO room, retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.core.models import utcnow
from app.core.transactions import transaction
from app.extensions import db, socketio
from app.notifications import services
from app.notifications.models import EMAIL_SENT, Notification
from app.notifications.services.delivery import unsubscribe_token
from app.notifications.tasks import purge_read_notifications, send_notification_digests
from tests.notifications.conftest import browser_of

COURSE = {"en": "Python", "ar": "بايثون"}


def _link(message: Any, label_pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(label_pattern + r": (\S+)", text)
    assert match, text
    return match.group(1)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_emails_speak_the_readers_language(
    people: Any, worded: None, inline: None, smtp_server: list
) -> None:
    with transaction():
        services.notify(
            [people.student, people.arabic], "grade", people.course, actor=people.teacher, course=COURSE
        )
    by_address = {m["To"]: m for m in smtp_server}
    english, arabic = by_address[people.student.email], by_address[people.arabic.email]
    assert english["Subject"] == "Tariq Teacher graded your work in Python"
    assert "Tariq Teacher graded your work in Python" in english.get_body(("plain",)).get_content()
    html = arabic.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "طارق المعلم" in arabic["Subject"] and "بايثون" in arabic["Subject"]
    assert "إيقاف" in arabic.get_body(("plain",)).get_content()  # the unsubscribe line, in Arabic
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert english["List-Unsubscribe"].startswith("<http")


def test_the_unsubscribe_link_works_without_signing_in(
    app: Any, people: Any, worded: None, inline: None, smtp_server: list
) -> None:
    with transaction():
        services.notify(people.student, "grade", people.course, course=COURSE)
    url = _path(_link(smtp_server[0], "Stop e-mails like this one"))
    visitor = browser_of(app)
    page = visitor.get(url)
    assert page.status_code == 200
    assert "Stop e-mails about “Grade”" in page.get_data(as_text=True)
    assert services.user_preferences(people.student.id)["grade"]["email"] is True  # a GET changes nothing
    done = visitor.post(url)
    assert done.status_code == 200
    assert "You will no longer receive e-mails about “Grade”" in done.get_data(as_text=True)
    choices = services.user_preferences(people.student.id)["grade"]
    assert (choices["email"], choices["digest"], choices["in_app"]) == (False, False, True)
    with transaction():
        services.notify(people.student, "grade", people.course, course=COURSE, n=2)
    assert len(smtp_server) == 1  # no more e-mails of that type
    assert services.unread_count(people.student.id) == 2  # still in the app


def test_forged_or_altered_unsubscribe_links_are_refused(app: Any, people: Any) -> None:
    visitor = browser_of(app)
    token = unsubscribe_token(people.student.id, "grade")
    for bad in (token[:-2] + "xx", token.replace(token[5], "A" if token[5] != "A" else "B"), "nothing"):
        response = visitor.post(f"/notifications/unsubscribe/{bad}")
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True)
    assert services.user_preferences(people.student.id)["grade"]["email"] is True


def test_a_token_names_one_user_and_one_type(app: Any, people: Any) -> None:
    visitor = browser_of(app)
    assert (
        visitor.post(f"/notifications/unsubscribe/{unsubscribe_token(people.arabic.id, 'like')}").status_code
        == 200
    )
    assert services.user_preferences(people.arabic.id)["like"]["digest"] is False
    assert services.user_preferences(people.arabic.id)["grade"]["email"] is True
    assert services.user_preferences(people.student.id)["like"]["digest"] is True


def test_the_daily_digest_sends_one_email_instead_of_many(
    people: Any, worded: None, inline: None, smtp_server: list
) -> None:
    with transaction():
        services.save_preferences(
            people.student.id, {"grade": {"in_app": True, "email": True, "digest": True}}
        )
        for n in range(3):
            services.notify(people.student, "grade", people.course, actor=people.teacher, course=COURSE, n=n)
    assert smtp_server == []  # nothing at once
    with transaction():
        assert send_notification_digests() == 1
    (digest,) = smtp_server
    body = digest.get_body(("plain",)).get_content()
    assert body.count("Tariq Teacher graded your work in Python") == 3
    states = set(db.session.scalars(select(Notification.email_state)))
    assert states == {EMAIL_SENT}
    with transaction():
        assert send_notification_digests() == 0  # the next run has nothing new
    assert len(smtp_server) == 1


def test_the_digest_leaves_out_what_was_read(
    people: Any, worded: None, inline: None, smtp_server: list
) -> None:
    with transaction():
        services.save_preferences(people.student.id, {"grade": {"in_app": True, "digest": True}})
        services.notify(people.student, "grade", people.course, course=COURSE, n=1)
        services.mark_all_read(people.student)
    with transaction():
        assert send_notification_digests() == 0
    assert smtp_server == []


@pytest.fixture
def sockets(app: Any, people: Any) -> dict[str, Any]:
    clients = {}
    for name in ("student", "arabic"):
        browser = browser_of(app, getattr(people, name))
        clients[name] = socketio.test_client(app, namespace="/notifications", flask_test_client=browser)
        assert clients[name].is_connected("/notifications")
    yield clients
    for client in clients.values():
        client.disconnect("/notifications")


def test_the_count_and_item_reach_only_the_recipients_pages(
    people: Any, worded: None, inline: None, sockets: dict[str, Any], smtp_server: list
) -> None:
    with transaction():
        services.notify(people.student, "grade", people.course, actor=people.teacher, course=COURSE)
        services.notify(people.student, "like", people.course, actor=people.teacher)
    events = sockets["student"].get_received("/notifications")
    assert [e["name"] for e in events] == ["notification", "notification"]
    last = events[-1]["args"][0]
    assert last["unread"] == 2
    assert last["item"]["text"] == "Tariq Teacher liked your note"
    assert last["item"]["url"].endswith(f"/notifications/{last['item']['id']}/open")
    assert sockets["arabic"].get_received("/notifications") == []


def test_anonymous_sockets_are_refused(app: Any) -> None:
    client = socketio.test_client(app, namespace="/notifications")
    assert not client.is_connected("/notifications")


def test_read_notifications_past_retention_go_to_the_trash(
    app: Any, people: Any, worded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "NOTIFICATION_RETENTION_DAYS", 30)
    with transaction():
        old, recent, unread = (
            services.notify(people.student, "grade", people.course, course=COURSE, n=n)[0] for n in range(3)
        )
        db.session.get(Notification, old).read_at = utcnow() - timedelta(days=31)
        db.session.get(Notification, recent).read_at = utcnow() - timedelta(days=29)
    with transaction():
        assert purge_read_notifications() == 1
    kept = set(db.session.scalars(select(Notification.id)))
    assert kept == {recent, unread}
    gone = db.session.scalars(
        select(Notification).where(Notification.id == old).execution_options(include_deleted=True)
    ).one()
    assert gone.is_deleted  # moved to the trash, never erased
