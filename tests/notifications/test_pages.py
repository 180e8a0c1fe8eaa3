"""The bell, the list, open/read/delete, preferences and the admins' defaults; the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.transactions import transaction
from app.courses.models import Course
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.notifications import services
from app.notifications.models import Notification
from tests.conftest import jwt_headers
from tests.notifications.conftest import browser_of

COURSE = {"en": "Python", "ar": "بايثون"}


def _send(people: Any, n: int = 0, type_code: str = "grade", recipient: Any = None) -> int:
    with transaction():
        (row_id,) = services.notify(
            recipient or people.student, type_code, people.course, actor=people.teacher, course=COURSE, n=n
        )
    return row_id


def _browser(app: Any, user: Any) -> Any:
    return browser_of(app, user)


def test_the_bell_shows_the_unread_count_in_the_portal_and_the_back_office(
    app: Any, people: Any, worded: None
) -> None:
    for n in range(3):
        _send(people, n)
    _send(people, 9, recipient=people.teacher.id and people.admin)
    student = _browser(app, people.student)
    page = student.get("/courses/").get_data(as_text=True)
    assert 'id="lms-bell-count"' in page and ">3</span>" in page
    assert "Notifications, 3 unread" in page
    admin = _browser(app, people.admin)
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="lms-bell"' in page and ">1</span>" in page


def test_the_list_filters_and_marks_read(app: Any, people: Any, worded: None) -> None:
    first, second = _send(people, 1), _send(people, 2)
    like = _send(people, 3, type_code="like")
    student = _browser(app, people.student)
    page = student.get("/notifications/").get_data(as_text=True)
    assert page.count('class="notification is-unread"') == 3
    assert "Tariq Teacher liked your note" in page
    listed = page[page.index('id="notification-list"') :]
    assert listed.count('class="lms-avatar') == 3  # each one shows who did it (initials without a picture)
    only_likes = student.get("/notifications/?type=like").get_data(as_text=True)
    assert "liked your note" in only_likes and "graded your work" not in only_likes
    assert student.post(f"/notifications/{first}/read").status_code == 302
    unread = student.get("/notifications/?unread=1").get_data(as_text=True)
    assert unread.count('class="notification is-unread"') == 2
    assert services.unread_count(people.student.id) == 2
    student.post("/notifications/read-all")
    assert services.unread_count(people.student.id) == 0
    assert {second, like} <= set(db.session.scalars(select(Notification.id)))


def test_opening_goes_to_the_subject_and_marks_it_read(app: Any, people: Any, worded: None) -> None:
    row_id = _send(people)
    student = _browser(app, people.student)
    response = student.get(f"/notifications/{row_id}/open")
    assert response.status_code == 302
    assert db.session.get(Notification, row_id).read_at is not None
    # No page is registered for courses in this module's tests: the list says so.
    assert response.headers["Location"].endswith(("/notifications/", f"/courses/{people.course.slug}"))


def test_someone_elses_notification_is_not_found(app: Any, people: Any, worded: None) -> None:
    row_id = _send(people)
    other = _browser(app, people.arabic)
    assert other.get(f"/notifications/{row_id}/open").status_code == 404
    other.post(f"/notifications/{row_id}/read")
    other.post(f"/notifications/{row_id}/delete")
    row = db.session.get(Notification, row_id)
    assert row.read_at is None and not row.is_deleted
    headers = jwt_headers(browser_of(app), people.arabic.username)
    client = browser_of(app)
    assert client.post(f"/api/v1/notification/{row_id}/read", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/notification/{row_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/notification/{row_id}", headers=headers).status_code == 404


def test_delete_moves_one_to_the_trash(app: Any, people: Any, worded: None) -> None:
    row_id = _send(people)
    student = _browser(app, people.student)
    assert student.post(f"/notifications/{row_id}/delete").status_code == 302
    assert db.session.get(Notification, row_id) is None  # hidden from every query
    assert services.unread_count(people.student.id) == 0


def test_a_subject_no_longer_visible_is_hidden_from_the_list(app: Any, people: Any, worded: None) -> None:
    row_id = _send(people)
    assert services.unread_count(people.student.id) == 1
    with transaction():  # the course goes back to draft: learners without access can no longer see it
        course = db.session.get(Course, people.course.id)
        course.status_id = require_lookup_id("course_status", "draft")
    student = _browser(app, people.student)
    page = student.get("/notifications/").get_data(as_text=True)
    assert "graded your work" not in page
    assert services.unread_count(people.student.id) == 0
    response = student.get(f"/notifications/{row_id}/open")
    assert response.headers["Location"].endswith("/notifications/")


def test_the_api_lists_words_and_marks(app: Any, people: Any, worded: None) -> None:
    first = _send(people, 1)
    _send(people, 2)
    client = browser_of(app)
    headers = jwt_headers(client, people.student.username)
    inbox = client.get("/api/v1/notification/inbox", headers=headers).json
    assert inbox["count"] == 2 and inbox["unread"] == 2
    assert inbox["result"][0]["text"] == "Tariq Teacher graded your work in Python"
    arabic = client.get("/api/v1/notification/inbox?_l_=ar", headers=headers).json
    assert "بايثون" in arabic["result"][0]["text"]
    listed = client.get("/api/v1/notification/", headers=headers).json
    assert listed["count"] == 2
    assert client.post(f"/api/v1/notification/{first}/read", headers=headers).json["unread"] == 1
    assert client.get("/api/v1/notification/unread_count", headers=headers).json == {"unread": 1}
    assert client.post("/api/v1/notification/read_all", headers=headers).json["marked"] == 1
    assert client.delete(f"/api/v1/notification/{first}", headers=headers).status_code == 200
    assert client.get("/api/v1/notification/", headers=headers).json["count"] == 1
    # Everyone reads only their own, admins too.
    admin = jwt_headers(client, people.admin.username)
    assert client.get("/api/v1/notification/", headers=admin).json["count"] == 0


def test_the_api_sets_preferences_and_refuses_nonsense(app: Any, people: Any) -> None:
    client = browser_of(app)
    headers = jwt_headers(client, people.student.username)
    saved = client.put(
        "/api/v1/notification/preferences", json={"grade": {"in_app": True, "push": True}}, headers=headers
    )
    assert saved.status_code == 200
    assert saved.json["result"]["grade"] == {"in_app": True, "email": False, "push": True, "digest": False}
    for bad in ({"grade": {"pigeon": True}}, {"nope": {"email": True}}, {"grade": "on"}):
        response = client.put("/api/v1/notification/preferences", json=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.json["message"]
    response = client.put("/api/v1/notification/preferences", json=["grade"], headers=headers)
    assert response.status_code == 400
    current = client.get("/api/v1/notification/preferences", headers=headers).json["result"]
    assert current["grade"]["push"] is True and current["grade"]["email"] is False


def test_the_preferences_page_saves_each_channel(app: Any, people: Any) -> None:
    student = _browser(app, people.student)
    page = student.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="grade:email" checked' in page
    assert 'name="invoice:email"' not in page  # invoices are e-mailed with their PDF by billing
    form = {"grade:in_app": "on", "grade:digest": "on", "like:in_app": "on"}
    response = student.post("/notifications/preferences", data=form)
    assert response.status_code == 302
    choices = services.user_preferences(people.student.id)
    assert choices["grade"] == {"in_app": True, "email": False, "push": False, "digest": True}
    assert choices["like"]["digest"] is False
    arabic = student.get("/notifications/preferences?_l_=ar").get_data(as_text=True)
    assert "تفضيلات الإشعارات" in arabic and 'dir="rtl"' in arabic


def test_learners_see_their_pages_in_the_portal_and_staff_in_the_back_office(app: Any, people: Any) -> None:
    student = _browser(app, people.student).get("/notifications/").get_data(as_text=True)
    assert 'class="portal-header"' in student
    teacher = _browser(app, people.teacher).get("/notifications/").get_data(as_text=True)
    assert 'class="portal-header"' not in teacher and 'id="main"' in teacher


def test_visitors_are_sent_to_sign_in(app: Any) -> None:
    response = browser_of(app).get("/notifications/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_only_admins_set_the_defaults(app: Any, people: Any) -> None:
    teacher = _browser(app, people.teacher)
    assert teacher.get("/notificationdefaults/").status_code in (302, 403)
    teacher.post("/notificationdefaults/", data={"grade:in_app": "on"})
    assert services.site_defaults()["grade"]["email"] is True
    admin = _browser(app, people.admin)
    assert admin.get("/notificationdefaults/").status_code == 200
    assert admin.post("/notificationdefaults/", data={"grade:in_app": "on"}).status_code == 302
    assert services.site_defaults()["grade"] == {
        "in_app": True,
        "email": False,
        "push": False,
        "digest": False,
    }
    assert services.user_preferences(people.student.id)["grade"]["email"] is False
