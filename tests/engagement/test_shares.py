"""Shares: every share is a row and the counter equals a recount (also under concurrent shares on
PostgreSQL), invisible targets cannot be shared or listed, channels are checked, the owner is told
once per sharer, the REST API, and the read-only back-office screens."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden, Invalid, NotFound
from app.core.transactions import transaction
from app.engagement import services
from app.engagement.models import Comment, Share
from app.extensions import db
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import only_row, rows_of, texts

API = "/api/v1/share"


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline


def _rows(target_type: str, target_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Share.id)).where(Share.target_type == target_type, Share.target_id == target_id)
        )
        or 0
    )


# ---- recording and counting ---------------------------------------------------------------------
def test_a_share_counts_once_per_channel_in_the_window_and_the_counter_equals_a_recount(app, ctx):
    student = make_user("Student")
    course = make_course()
    made = [
        services.record_share(student, "course", course.id, c) for c in ("copy", "whatsapp", "x", "timeline")
    ]
    assert all(new for _row, new in made)
    again, new = services.record_share(student, "course", course.id, "copy")  # a second click
    assert not new and again.id == made[0][0].id
    assert services.share(student, "course", course.id, "x").id == made[2][0].id
    db.session.commit()
    assert _rows("course", course.id) == 4 == services.share_count("course", course.id)
    assert services.share_summary("course", [course.id, course.id + 999]) == {
        course.id: (4, 0),
        course.id + 999: (0, 0),
    }
    # Past the window (SHARE_DEDUPE_HOURS) the same channel counts again.
    made[0][0].created_at = made[0][0].created_at - timedelta(hours=25)
    db.session.flush()
    assert services.record_share(student, "course", course.id, "copy")[1]
    assert _rows("course", course.id) == 5 == services.share_count("course", course.id)
    assert services.recount_shares("course", course.id) == 5 == services.share_count("course", course.id)


def test_the_dedupe_window_is_a_setting(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_DEDUPE_HOURS", 0)
    student, course = make_user("Student"), make_course()
    services.share(student, "course", course.id, "copy")
    services.share(student, "course", course.id, "copy")
    assert _rows("course", course.id) == 2 == services.share_count("course", course.id)


def test_unknown_channel_and_signed_out_sharer_are_refused(app, ctx):
    student = make_user("Student")
    course = make_course()
    with pytest.raises(Invalid):
        services.share(student, "course", course.id, "carrier-pigeon")
    with pytest.raises(Forbidden):
        services.share(None, "course", course.id, "copy")
    assert _rows("course", course.id) == 0


def test_ten_concurrent_shares_are_all_counted(app, committed):
    with app.app_context():
        users = [make_user("Student").id for _ in range(10)]
        course_id = make_course().id
        db.session.remove()
    barrier = threading.Barrier(10, timeout=30)
    errors: list[BaseException] = []

    def worker(user_id: int) -> None:
        try:
            barrier.wait()
            with app.app_context():
                user = db.session.get(LmsUser, user_id)
                with transaction():
                    services.share(user, "course", course_id, "copy")
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        assert _rows("course", course_id) == 10 == services.share_count("course", course_id)
        db.session.remove()


def test_concurrent_identical_shares_of_one_user_make_one_row_and_other_channels_count(app, committed):
    with app.app_context():
        user_id = make_user("Student").id
        course_id = make_course().id
        db.session.remove()
    channels = ["copy"] * 10 + ["x", "whatsapp", "email", "telegram", "linkedin"]
    barrier = threading.Barrier(len(channels), timeout=30)
    errors: list[BaseException] = []
    new: list[bool] = []

    def worker(channel: str) -> None:
        try:
            barrier.wait()
            with app.app_context():
                user = db.session.get(LmsUser, user_id)
                with transaction():
                    new.append(services.record_share(user, "course", course_id, channel)[1])
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(new) == [False] * 9 + [True] * 6
    with app.app_context():
        assert _rows("course", course_id) == 6 == services.share_count("course", course_id)
        db.session.remove()


def test_ten_concurrent_share_requests_through_the_api_make_no_500(app, committed):
    with app.app_context():
        names = [make_user("Student").username for _ in range(10)]
        course_id = make_course().id
        db.session.remove()
    headers = [jwt_headers(app.test_client(), name) for name in names]
    barrier = threading.Barrier(10, timeout=30)
    codes: list[int] = []

    def worker(auth: dict[str, str]) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            API + "/", json={"target_type": "course", "target_id": course_id, "channel": "x"}, headers=auth
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [201] * 10
    with app.app_context():
        assert _rows("course", course_id) == 10 == services.share_count("course", course_id)
        db.session.remove()


# ---- invisible targets ----------------------------------------------------------------------------
def test_private_unpublished_course_and_hidden_comment_cannot_be_shared_nor_listed(app, ctx):
    teacher = make_user("Instructor")
    student = make_user("Student")
    private = make_course(visibility="private", instructors=[teacher])
    draft = make_course(status="draft", instructors=[teacher])
    for course in (private, draft):
        with pytest.raises(NotFound):
            services.share(student, "course", course.id, "copy")
    with pytest.raises(NotFound):
        services.share(student, "course", 10**9, "copy")
    public = make_course(instructors=[teacher])
    lesson = make_lesson(make_section(public), "Intro", is_free_preview=True)
    make_enrollment(student, public)
    comment = services.add_comment(student, "lesson", lesson.id, "<p>Nice</p>")
    other = make_user("Student")
    make_enrollment(other, public)
    services.share(other, "comment", comment.id, "copy")
    assert [s.target_type for s in services.my_shares(other)] == ["comment"]
    services.hide_comment(teacher, db.session.get(Comment, comment.id), "off topic")
    db.session.commit()
    with pytest.raises(NotFound):
        services.share(other, "comment", comment.id, "copy")
    assert services.my_shares(other) == []  # a share of what one no longer sees is not listed
    assert _rows("course", private.id) == _rows("course", draft.id) == 0


def test_api_refuses_invisible_targets_with_404_and_lists_own_shares(app, client):
    with app.app_context():
        student = make_user("Student")
        public = make_course()
        private = make_course(visibility="private")
        other = make_user("Student")
        ids = (public.id, private.id)
        names = (student.username, other.username)
        db.session.remove()
    auth = jwt_headers(client, names[0])
    hidden = client.post(
        API + "/", json={"target_type": "course", "target_id": ids[1], "channel": "copy"}, headers=auth
    )
    assert hidden.status_code == 404
    bad = client.post(
        API + "/", json={"target_type": "course", "target_id": ids[0], "channel": "fax"}, headers=auth
    )
    assert bad.status_code == 422 and "channel" in bad.get_json()["errors"]
    made = client.post(
        API + "/", json={"target_type": "course", "target_id": ids[0], "channel": "copy"}, headers=auth
    )
    assert made.status_code == 201 and made.get_json()["share_count"] == 1
    repeat = client.post(
        API + "/", json={"target_type": "course", "target_id": ids[0], "channel": "copy"}, headers=auth
    )
    assert repeat.status_code == 200 and repeat.get_json()["share_count"] == 1
    assert repeat.get_json()["id"] == made.get_json()["id"]
    mine = client.get(API + "/", headers=auth).get_json()["result"]
    assert [(r["target_id"], r["channel"]) for r in mine] == [(ids[0], "copy")]
    theirs = client.get(API + "/", headers=jwt_headers(client, names[1])).get_json()["result"]
    assert theirs == []
    code = client.get(API + f"/my_code?target_type=course&target_id={ids[0]}", headers=auth).get_json()
    assert len(code["referral_code"]) == 32 and code["link"].endswith("?ref=" + code["referral_code"])
    assert "/courses/" in code["link"]
    hidden_link = client.get(API + f"/my_code?target_type=course&target_id={ids[1]}", headers=auth)
    assert hidden_link.status_code == 404


# ---- the owner is told once --------------------------------------------------------------------
def test_course_instructors_are_told_once_per_sharer(app, ctx):
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher], title="Python", title_ar="بايثون")
    sara = make_user("Student", first_name="Sara", last_name="Ali")
    for channel in ("copy", "x", "whatsapp"):
        services.share(sara, "course", course.id, channel)
    db.session.commit()
    english, arabic = texts(only_row(teacher, "share"))
    assert english == "Sara Ali shared Python"
    assert "بايثون" in arabic and "Sara Ali" in arabic
    services.share(make_user("Student"), "course", course.id, "copy")
    db.session.commit()
    assert len(rows_of(teacher, "share")) == 2
    services.share(teacher, "course", course.id, "copy")  # never told of one's own share
    db.session.commit()
    assert len(rows_of(teacher, "share")) == 2


# ---- back office --------------------------------------------------------------------------------
def test_share_screen_is_read_only_and_scoped_to_own_courses(app, client):
    with app.app_context():
        teacher = make_user("Instructor")
        mine = make_course(instructors=[teacher], title="Mine")
        theirs = make_course(title="Theirs")
        student = make_user("Student")
        services.share(student, "course", mine.id, "linkedin")
        services.share(student, "course", theirs.id, "telegram")
        db.session.commit()
        name = teacher.username
        student_name = student.username
        db.session.remove()
    login(client, name)
    page = client.get("/sharemodelview/list/").get_data(as_text=True)
    assert "LinkedIn" in page and "Telegram" not in page
    assert client.get("/sharemodelview/add").status_code in (302, 403, 404, 405)
    learner = client.application.test_client()
    login(learner, student_name)
    assert learner.get("/sharemodelview/list/").status_code in (302, 403)


# ---- the list: full pages, bounded statements -------------------------------------------------------
def test_my_shares_pages_are_full_and_cost_the_same_statements_whatever_their_length(app, ctx):
    from app.lookups.services import require_lookup_id
    from tests.portal.test_player_queries import captured

    student = make_user("Student")
    courses = [make_course(title=f"C{n}") for n in range(9)]
    for course in courses:
        services.share(student, "course", course.id, "copy")
    private = require_lookup_id("course_visibility", "private")
    for course in courses[::2]:  # five of nine become invisible (the newest among them)
        course.visibility_id = private
    db.session.flush()
    visible = [c.id for c in reversed(courses) if c.visibility_id != private]
    pages = [[s.target_id for s in services.my_shares(student, page, 2)] for page in (1, 2, 3)]
    assert pages == [visible[0:2], visible[2:4], []]  # full pages, nothing skipped
    user_id = student.id
    db.session.expunge_all()

    def cost(page_size: int) -> tuple[int, int, int]:
        user = db.session.get(LmsUser, user_id)
        _ = [role.name for role in user.roles]
        with captured(app) as statements:
            services.my_shares(user, 1, page_size)
        db.session.expunge_all()
        shares = [x for x in statements if "FROM share" in x]
        courses = [x for x in statements if x.startswith("SELECT course.")]
        return len(shares), len(courses), len(statements)

    # The pairs and the page; the courses in one statement (plus the course rule's own statements
    # for the hidden ones), whatever the page size: not one load per share.
    assert cost(1) == cost(20) and cost(20)[:2] == (2, 1)
