"""Views: once per user or visitor and target in the window, bots and invisible targets not counted,
nothing written per page view but a signed-in user's `viewed` audit row, counts applied in bulk by
the flush exactly once (also after an interrupted run and under concurrent requests), the audit
list without the view records and the "Page views" screen with them."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, current_app
from redis import Redis
from sqlalchemy import delete, event, func, select

from app.audit.models import AuditLog
from app.audit.services import deferred_row, history, record, view_total
from app.core.transactions import transaction
from app.courses.models import Course
from app.engagement.models import ViewCount, ViewFlush
from app.engagement.services import views
from app.extensions import db
from app.lookups.services import lookup_id
from app.security.models import LmsUser
from tests.conftest import login
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.portal_helpers import course_with_lessons

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
VISITOR = "AbCdEfGhIjKlMnOpQrStUv"  # a valid visitor cookie value (22 url-safe characters)


@pytest.fixture(autouse=True)
def _clean_view_keys(app: Flask) -> Iterator[None]:
    """This run's view keys go after each test too (conftest removes them before each)."""
    yield
    redis = Redis.from_url(app.config["REDIS_URL"])
    for key in redis.scan_iter(f"{app.config['VIEW_KEY_PREFIX']}:*"):
        redis.delete(key)


def _flush() -> int:
    with transaction():
        return views.flush_view_counts()


def _viewed_rows(entity_type: str, entity_id: int) -> list[AuditLog]:
    return list(
        db.session.scalars(
            select(AuditLog).where(
                AuditLog.action_id == lookup_id("audit_actions", "viewed"),
                AuditLog.entity_type == entity_type,
                AuditLog.entity_id == entity_id,
            )
        )
    )


def _stored(target_type: str, target_id: int) -> int:
    return views.view_count(target_type, target_id)


def _course_counter(course_id: int) -> int:
    return int(db.session.scalar(select(Course.view_count).where(Course.id == course_id)) or 0)


def _as_visitor(app: Flask, course: Course, visitor: str, agent: dict[str, str] = BROWSER) -> bool:
    with app.test_request_context("/", headers=agent):
        return views.record_view("course", course.id, target=course, visitor=visitor)


def _pass_window(course_id: int, viewer: str) -> None:
    """The dedupe window of one viewer is over (its Redis key expired)."""
    Redis.from_url(current_app.config["REDIS_URL"]).delete(views.seen_key("course", course_id, viewer))


# ---- dedupe, visitors, bots ---------------------------------------------------------------------
def test_one_view_per_user_in_the_window_and_again_after_it(app: Flask, ctx: None) -> None:
    user, course = make_user("Student"), make_course()
    with app.test_request_context("/", headers=BROWSER):
        assert views.record_view("course", course.id, user, target=course) is True
        assert views.record_view("course", course.id, user, target=course) is False
        assert views.record_view("course", course.id, user) is False  # loaded here: the same
        _pass_window(course.id, f"u{user.id}")
        assert views.record_view("course", course.id, user, target=course) is True
    assert _flush() == 2
    assert _stored("course", course.id) == 2 and _course_counter(course.id) == 2


def test_the_window_is_the_setting(app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "VIEW_DEDUPE_MINUTES", 5)
    course = make_course()
    assert _as_visitor(app, course, VISITOR)
    ttl = Redis.from_url(app.config["REDIS_URL"]).ttl(views.seen_key("course", course.id, f"v{VISITOR}"))
    assert 290 <= ttl <= 300


def test_visitors_count_separately_and_bots_not_at_all(app: Flask, ctx: None) -> None:
    course = make_course()
    assert _as_visitor(app, course, "a" * 22) and _as_visitor(app, course, "b" * 22)
    assert not _as_visitor(app, course, "a" * 22)
    for agent in (
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "curl/8.0",
        "facebookexternalhit/1.1",
        "",
    ):
        assert not _as_visitor(app, course, "c" * 22, {"User-Agent": agent})
    assert _flush() == 2 and _stored("course", course.id) == 2


def test_invisible_targets_are_not_counted(app: Flask, ctx: None, client: Any) -> None:
    draft = make_course(status="draft")
    private = make_course(visibility="private")
    student = make_user("Student")
    with app.test_request_context("/", headers=BROWSER):
        for course in (draft, private):
            assert views.record_view("course", course.id, target=course, visitor=VISITOR) is False
            assert views.record_view("course", course.id, student) is False
        assert views.record_view("course", 10**12, student) is False  # no such course
        assert views.record_view("no_such_type", 1, student) is False
    db.session.commit()
    assert client.get(f"/courses/{draft.slug}").status_code == 404
    assert _flush() == 0
    assert _stored("course", draft.id) == 0 and _viewed_rows("course", draft.id) == []


def test_switched_off_counts_nothing(app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "VIEW_COUNTING", False)
    course = make_course()
    assert not _as_visitor(app, course, VISITOR)
    assert _flush() == 0


# ---- nothing written per view -------------------------------------------------------------------
def test_a_page_view_writes_nothing_the_flush_writes_counts_and_audit_rows(app: Flask, ctx: None) -> None:
    course, user = make_course(), make_user("Student")
    writes: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", listen)
    try:
        with app.test_request_context("/", headers=BROWSER, environ_base={"REMOTE_ADDR": "203.0.113.9"}):
            for n in range(5):
                views.record_view("course", course.id, target=course, visitor=f"{n:022d}")
            views.record_view("course", course.id, user, target=course)
            views.record_view("course", course.id, user, target=course)  # deduped: no second row
    finally:
        event.remove(bind, "before_cursor_execute", listen)
    assert writes == []
    assert _stored("course", course.id) == 0 and _course_counter(course.id) == 0  # until the flush
    assert db.session.scalar(select(func.count()).select_from(ViewCount)) == 0
    assert _viewed_rows("course", course.id) == []
    assert _flush() == 6 and _course_counter(course.id) == 6
    [row] = _viewed_rows("course", course.id)  # the member's, as seen from the request
    assert row.actor_id == user.id and row.actor_label == user.username
    assert row.ip == "203.0.113.9" and "Firefox" in (row.user_agent or "")
    assert _flush() == 0 and len(_viewed_rows("course", course.id)) == 1


# ---- the flush ----------------------------------------------------------------------------------
def test_the_flush_applies_bulk_counts_exactly_once(app: Flask, ctx: None) -> None:
    courses = [make_course() for _ in range(3)]
    lesson = make_lesson(make_section(courses[0]), is_free_preview=True)
    before = {c.id: _course_counter(c.id) for c in courses}
    expected = {courses[0].id: 4, courses[1].id: 1, courses[2].id: 7}
    with app.test_request_context("/", headers=BROWSER):
        for course in courses:
            for n in range(expected[course.id]):
                views.record_view("course", course.id, target=course, visitor=f"{n:022d}")
        for n in range(3):
            views.record_view("lesson", lesson.id, target=lesson, visitor=f"{n:022d}")
    statements: list[str] = []
    bind = db.session.get_bind()

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", listen)
    try:
        assert _flush() == 15
    finally:
        event.remove(bind, "before_cursor_execute", listen)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    # the ledger, one upsert of every counter, one UPDATE of the course table (no member: no audit)
    assert len(writes) == 3, writes
    for course in courses:
        assert _stored("course", course.id) == expected[course.id]
        assert _course_counter(course.id) == before[course.id] + expected[course.id]
    assert _stored("lesson", lesson.id) == 3
    assert _flush() == 0  # nothing new: nothing added
    assert [_stored("course", c.id) for c in courses] == [expected[c.id] for c in courses]
    assert views.view_counts("course", [c.id for c in courses]) == expected


def test_an_interrupted_flush_loses_nothing_and_counts_nothing_twice(
    app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    course, member = make_course(), make_user("Student")
    store = views.view_store()
    for n in range(3):
        _as_visitor(app, course, f"{n:022d}")
    with app.test_request_context("/", headers=BROWSER):
        views.record_view("course", course.id, member, target=course)
    taken = store.take()  # a run took the pending hash, then died before writing anything
    assert [(b.counts, len(b.audits)) for b in taken] == [({f"course:{course.id}": 4}, 1)]
    for n in range(3, 5):
        _as_visitor(app, course, f"{n:022d}")  # views go on meanwhile, into a new pending hash
    assert _flush() == 6 and _stored("course", course.id) == 6
    assert len(_viewed_rows("course", course.id)) == 1
    # a run that commits, then dies before removing its batch key: the next run must skip it
    _as_visitor(app, course, f"{9:022d}")
    with app.test_request_context("/", headers=BROWSER):
        views.record_view("course", course.id, make_user("Student"), target=course)
    monkeypatch.setattr(views.RedisViewStore, "done", lambda self, tokens: None)
    assert _flush() == 2
    left = store.take()
    assert len(left) == 1  # still there, and in the ledger
    assert db.session.scalar(select(func.count()).where(ViewFlush.token == left[0].token)) == 1
    monkeypatch.undo()
    assert _flush() == 0
    assert _stored("course", course.id) == 8 and _course_counter(course.id) == 8
    assert len(_viewed_rows("course", course.id)) == 2
    assert store.take() == []


def _prefix() -> str:
    return str(current_app.config["VIEW_KEY_PREFIX"])


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def test_a_view_by_a_user_deleted_before_the_flush_still_counts(app: Flask, ctx: None) -> None:
    course, member = make_course(), make_user("Student", first_name="Soongone")
    with app.test_request_context("/", headers=BROWSER):
        views.record_view("course", course.id, member, target=course)
        never = deferred_row("viewed", "course", course.id)  # one more row, by a user who never was
    never.update(actor_id=2_000_000_000, actor_label="ghost")
    member_id, member_name = member.id, member.username
    db.session.expunge(member)
    # the member goes before the flush (a user with no trail of their own yet can be deleted)
    db.session.execute(delete(LmsUser.__table__).where(LmsUser.__table__.c.id == member_id))
    db.session.commit()
    _redis().hset(f"{_prefix()}:pending", "@audit:ghost", json.dumps(never))
    assert _flush() == 1 and _stored("course", course.id) == 1 and _course_counter(course.id) == 1
    rows = sorted(_viewed_rows("course", course.id), key=lambda row: row.actor_label)
    assert [(row.actor_id, row.actor_label) for row in rows] == [(None, "ghost"), (None, member_name)]
    assert views.view_store().take() == []


def test_a_failing_batch_blocks_nothing_and_is_moved_aside_after_three_attempts(
    app: Flask, ctx: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=views.__name__)
    course, other = make_course(), make_course()
    redis, prefix, token = _redis(), _prefix(), "f" * 32
    # a batch a flush cannot apply: an id out of range fails its upsert (and with it its other counts)
    redis.hset(f"{prefix}:batch:{token}", mapping={f"course:{other.id}": 5, "course:99999999999999999999": 1})
    for n in range(2):
        _as_visitor(app, course, f"{n:022d}")
    assert _flush() == 2  # the good batch is applied
    assert _stored("course", course.id) == 2 and _course_counter(course.id) == 2
    assert _stored("course", other.id) == 0 and _course_counter(other.id) == 0
    assert db.session.scalar(select(func.count()).where(ViewFlush.token == token)) == 0  # rolled back
    assert redis.exists(f"{prefix}:batch:{token}")  # kept for the next run
    _as_visitor(app, course, f"{2:022d}")
    assert _flush() == 1 and _stored("course", course.id) == 3  # second attempt
    assert _flush() == 0  # third: moved aside, logged
    assert not redis.exists(f"{prefix}:batch:{token}") and not redis.exists(f"{prefix}:attempts:{token}")
    dead = f"{prefix}:dead:{token}"
    assert redis.hget(dead, f"course:{other.id}") == b"5"
    assert 29 * 86400 < redis.ttl(dead) <= 30 * 86400
    logged = [r.levelno for r in caplog.records if r.name == views.__name__ and token in r.getMessage()]
    assert logged == [logging.WARNING] * 3 + [logging.ERROR]  # each failure, then the move
    assert views.view_store().take() == []
    _as_visitor(app, course, f"{3:022d}")
    assert _flush() == 1 and _stored("course", course.id) == 4 and _stored("course", other.id) == 0


def test_pending_views_and_batches_expire_when_never_flushed(app: Flask, ctx: None) -> None:
    course, redis, prefix = make_course(), _redis(), _prefix()
    week = 7 * 86400
    _as_visitor(app, course, f"{0:022d}")
    assert week - 60 < redis.ttl(f"{prefix}:pending") <= week
    redis.expire(f"{prefix}:pending", 60)  # a hash about to expire becomes a batch: a week of its own
    [batch] = views.view_store().take()
    assert week - 60 < redis.ttl(f"{prefix}:batch:{batch.token}") <= week
    _as_visitor(app, course, f"{1:022d}")  # a new pending hash has its week too
    assert week - 60 < redis.ttl(f"{prefix}:pending") <= week


def test_the_in_process_store_moves_a_failing_batch_aside_too(
    app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    app.extensions.pop("lms_view_memory", None)  # other tests' views (run without Redis) are not ours
    store = views.view_store()
    assert isinstance(store, views.MemoryViewStore)
    course = make_course()
    store.batches["bad"] = views.Batch("bad", {"course:99999999999999999999": 1})
    _as_visitor(app, course, f"{0:022d}")
    assert [_flush() for _ in range(3)] == [1, 0, 0]
    assert list(store.dead) == ["bad"] and store.take() == [] and _stored("course", course.id) == 1


def test_without_redis_an_in_process_store_behaves_the_same(
    app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    app.extensions.pop("lms_view_memory", None)  # other tests' views (run without Redis) are not ours
    store = views.view_store()
    assert isinstance(store, views.MemoryViewStore)
    course, user = make_course(), make_user("Student")
    assert _as_visitor(app, course, VISITOR) and not _as_visitor(app, course, VISITOR)
    with app.test_request_context("/", headers=BROWSER):
        assert views.record_view("course", course.id, user, target=course)
    store.take()  # an interrupted run
    store.expire(views.seen_key("course", course.id, f"v{VISITOR}"))
    assert _as_visitor(app, course, VISITOR)  # after the window
    assert _flush() == 3 and _flush() == 0
    assert _stored("course", course.id) == 3 and _course_counter(course.id) == 3
    assert len(_viewed_rows("course", course.id)) == 1


def test_without_a_scheduler_a_view_flushes_now_and_then(
    app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "VIEW_INLINE_FLUSH_SECONDS", 60)
    app.extensions.pop("lms_view_memory", None)
    course = make_course()
    assert _as_visitor(app, course, "a" * 22)
    assert _course_counter(course.id) == 0  # the minute has not passed
    store = views.view_store()
    assert isinstance(store, views.MemoryViewStore)
    store.last_flush -= 61
    assert _as_visitor(app, course, "b" * 22)
    assert _course_counter(course.id) == 2 and _stored("course", course.id) == 2
    app.extensions.pop("lms_view_memory", None)


def test_concurrent_page_views_count_exactly(app: Flask, committed: Any) -> None:
    with app.app_context():
        course = make_course(title="Busy")
        db.session.commit()
        course_id, slug = course.id, course.slug
        db.session.remove()
    barrier = threading.Barrier(20, timeout=30)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def visit(n: int) -> None:
        try:
            browser = app.test_client()
            if n >= 10:  # ten requests of one visitor, ten of ten new visitors
                browser.set_cookie("lms_vid", VISITOR)
            barrier.wait()
            statuses.append(browser.get(f"/courses/{slug}", headers=BROWSER).status_code)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and statuses == [200] * 20
    with app.app_context():
        assert _course_counter(course_id) == 0
        assert _flush() == 11
        assert _stored("course", course_id) == 11 and _course_counter(course_id) == 11
        db.session.remove()


def test_the_flush_task_is_scheduled() -> None:
    from app.schedule import SCHEDULE

    assert any(path == "app.engagement.tasks.flush_view_counts" for path, _cron, _queue in SCHEDULE)


# ---- pages, audit and the back office -----------------------------------------------------------
def test_course_page_lesson_player_and_profile_record_views(app: Flask, login_as: Any, client: Any) -> None:
    data = course_with_lessons(app, title="Watched")
    student = login_as("Student")
    for _ in range(2):
        assert student.get(f"/courses/{data['slug']}", headers=BROWSER).status_code == 200
        assert client.get(f"/courses/{data['slug']}", headers=BROWSER).status_code == 200
        lesson_url = f"/courses/{data['slug']}/lessons/{data['preview']}"
        assert student.get(lesson_url, headers=BROWSER).status_code == 200
    with app.app_context():
        other = make_user("Student", first_name="Seen")
        other_id, other_name = other.id, other.username
        db.session.commit()
    assert student.get(f"/u/{other_name}", headers=BROWSER).status_code == 200
    assert client.get(f"/u/{other_name}", headers=BROWSER).status_code in (200, 302, 404)
    with app.app_context():
        assert _viewed_rows("course", data["id"]) == []  # written by the flush
        assert _flush() == 4  # course: member + visitor; lesson: member; profile: member
        rows = _viewed_rows("course", data["id"])
        assert [row.actor_id for row in rows] == [student.user_id]  # one, the member's; none for the visitor
        assert [row.actor_id for row in _viewed_rows("lesson", data["preview"])] == [student.user_id]
        assert [row.actor_id for row in _viewed_rows("user", other_id)] == [student.user_id]
        assert _course_counter(data["id"]) == 2 and _stored("lesson", data["preview"]) == 1
        assert _stored("user", other_id) == 1
        db.session.remove()
    # one's own profile is not a view
    with app.app_context():
        me = db.session.get(LmsUser, student.user_id)
        my_name = me.username
        db.session.remove()
    student.get(f"/u/{my_name}", headers=BROWSER)
    with app.app_context():
        _flush()
        assert _viewed_rows("user", student.user_id) == []
        db.session.remove()


def test_the_audit_list_hides_views_and_the_views_screen_shows_them(app: Flask, login_as: Any) -> None:
    with app.app_context():
        viewer = make_user("Student", first_name="Curiousviewer")
        course = make_course(title="Looked at")
        record("viewed", "course", course.id, user=viewer)
        record("downloaded", "course", course.id, user=viewer)
        db.session.commit()
        course_id, viewer_name = course.id, viewer.username
        db.session.remove()
    admin = login_as("Admin")
    query = f"?_flt_0_entity_type=course&_flt_0_entity_id={course_id}"
    main = admin.get(f"/auditlogmodelview/list/{query}").get_data(as_text=True)
    assert "Curiousviewer" in main  # the download
    csv = admin.get(f"/auditlogmodelview/export/csv{query}").get_data(as_text=True)
    assert "Downloaded" in csv and "Viewed" not in csv
    screen = admin.get(f"/admin/audit-views/list/{query}")
    assert screen.status_code == 200 and "Curiousviewer" in screen.get_data(as_text=True)
    csv = admin.get(f"/admin/audit-views/export/csv{query}").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 2  # the header and the one view
    with app.app_context():
        viewed = _viewed_rows("course", course_id)[0].id
        db.session.remove()
    assert admin.get(f"/auditlogmodelview/show/{viewed}").status_code == 404
    assert admin.get(f"/admin/audit-views/show/{viewed}").status_code == 200
    history = admin.get(f"/auditlogmodelview/history/course/{course_id}").get_data(as_text=True)
    assert f"/show/{viewed}" not in history  # the entity's history counts them and links to them
    assert f'?_flt_0_entity_type=course&amp;_flt_0_entity_id={course_id}">Page views</a>: 1' in history
    assert login_as("Student").get("/admin/audit-views/list/").status_code == 403
    own = app.test_client()
    login(own, viewer_name)  # one's own activity leaves the views out too
    mine = own.get("/admin/my-activity/export/csv").get_data(as_text=True)
    assert "Downloaded" in mine and "Viewed" not in mine


def test_an_entitys_history_leaves_the_views_out_and_links_to_them(app: Flask, login_as: Any) -> None:
    with app.app_context():
        course, quiet = make_course(title="Much visited"), make_course(title="Only looked at")
        downloader = make_user("Student", first_name="Fetchedafile")
        lookers = [make_user("Student", first_name=f"Onlylooker{chr(97 + n)}") for n in range(3)]
        for looker in lookers:
            record("viewed", "course", course.id, user=looker)
        record("downloaded", "course", course.id, user=downloader)
        record("viewed", "course", quiet.id, user=lookers[0])
        db.session.commit()
        assert "viewed" not in [row.action.code for row in history("course", course.id)]
        assert len(history("course", course.id, with_views=True)) == len(history("course", course.id)) + 3
        assert view_total("course", course.id) == 3 and view_total("course", quiet.id) == 1
        course_id, quiet_id = course.id, quiet.id
        db.session.remove()
    admin = login_as("Admin")
    page = admin.get(f"/auditlogmodelview/history/course/{course_id}").get_data(as_text=True)
    assert "Fetchedafile" in page and "Onlylooker" not in page
    link = re.search(r'<a href="([^"]+)">Page views</a>: 3', page)
    assert link is not None
    url = html.unescape(link.group(1))
    assert url == f"/admin/audit-views/list/?_flt_0_entity_type=course&_flt_0_entity_id={course_id}"
    screen = admin.get(url).get_data(as_text=True)
    assert all(f"Onlylooker{chr(97 + n)}" in screen for n in range(3)) and "Fetchedafile" not in screen
    # an entity with views only still has a history page: the link, no 404
    quiet_page = admin.get(f"/auditlogmodelview/history/course/{quiet_id}")
    assert quiet_page.status_code == 200 and ">Page views</a>: 1" in quiet_page.get_data(as_text=True)


def test_an_instructor_sees_the_views_of_their_courses_only(app: Flask, user_factory: Any) -> None:
    teacher_id, teacher_name = user_factory("Instructor")
    with app.app_context():
        viewer = make_user("Student", first_name="Fanofyours")
        stranger = make_user("Student", first_name="Elsewhereviewer")
        mine, other = make_course(instructors=[teacher_id]), make_course()
        record("viewed", "course", mine.id, user=viewer)
        record("viewed", "course", other.id, user=stranger)
        db.session.commit()
        db.session.remove()
    browser = app.test_client()
    login(browser, teacher_name)
    page = browser.get("/admin/audit-views/list/").get_data(as_text=True)
    assert "Fanofyours" in page and "Elsewhereviewer" not in page


def test_the_course_api_and_back_office_show_flushed_counts(app: Flask, api_as: Any, login_as: Any) -> None:
    with app.app_context():
        course = make_course(title="Popular")
        student = make_user("Student")
        make_enrollment(student, course)
        course_id = course.id
        for n in range(3):
            _as_visitor(app, course, f"{n:022d}")
        _flush()
        db.session.commit()
        db.session.remove()
    body = app.test_client().get(f"/api/v1/course/{course_id}", headers=api_as("Admin")).json
    assert body["result"]["view_count"] == 3
    admin = login_as("Admin")
    page = admin.get(f"/coursemodelview/show/{course_id}").get_data(as_text=True)
    assert re.search(r">Views</th>\s*<td>\s*<span[^>]*>3</span>", page)


def test_the_view_count_api_answers_for_visible_targets_only(app: Flask, api_as: Any) -> None:
    with app.app_context():
        course, draft = make_course(), make_course(status="draft")
        lesson = make_lesson(make_section(course), is_free_preview=True)
        for n in range(2):
            with app.test_request_context("/", headers=BROWSER):
                views.record_view("lesson", lesson.id, target=lesson, visitor=f"{n:022d}")
        _flush()
        db.session.commit()
        ids = course.id, draft.id, lesson.id
        db.session.remove()
    client, headers = app.test_client(), api_as("Student")
    body = client.get(f"/api/v1/view_count/for/lesson/{ids[2]}", headers=headers).json
    assert body == {"target_type": "lesson", "target_id": ids[2], "count": 2}
    assert client.get(f"/api/v1/view_count/for/course/{ids[0]}", headers=headers).json["count"] == 0
    for url in (f"course/{ids[1]}", "course/999999999", "nothing/1"):
        response = client.get(f"/api/v1/view_count/for/{url}", headers=headers)
        assert response.status_code == 404 and "message" in response.json
    assert client.get(f"/api/v1/view_count/for/lesson/{ids[2]}").status_code == 401
