"""Nested comment threads: depth up to COMMENT_MAX_DEPTH (deeper replies join the deepest allowed
parent, the answered author is still told), one-statement thread loading, counters equal to a
recount after concurrent replies and after deleting, hiding and restoring a reply mid-thread."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from app.core.errors import Invalid, NotFound
from app.core.softdelete import restore_ids
from app.engagement import services
from app.engagement.models import Comment
from app.extensions import db
from app.security.models import LmsUser
from tests.concurrency import run_in_parallel
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import rows_of

API = "/api/v1/comment"


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline


def _people_and_lesson() -> tuple[Any, list[Any], Any]:
    teacher = make_user("Instructor")
    students = [make_user("Student") for _ in range(3)]
    course = make_course(instructors=[teacher])
    lesson = make_lesson(make_section(course))
    for student in students:
        make_enrollment(student, course)
    return teacher, students, lesson


def _chain(author_of: list[Any], lesson: Any, length: int) -> list[Comment]:
    """A comment, a reply to it, a reply to that reply... (each answering the previous one)."""
    made: list[Comment] = []
    for i in range(length):
        made.append(
            services.add_comment(
                author_of[i % len(author_of)],
                "lesson",
                lesson.id,
                f"Level {i + 1}",
                made[-1].id if made else None,
            )
        )
    return made


def _stored(lesson_id: int) -> int:
    return services.comment_count("lesson", lesson_id)


def _recount_matches(lesson_id: int) -> None:
    """The stored counters (per target, per comment) equal a recount from the rows."""
    stored_total = _stored(lesson_id)
    stored_replies = dict(db.session.execute(select(Comment.id, Comment.reply_count)).all())
    assert services.recount_comments("lesson", lesson_id) == stored_total
    db.session.expire_all()
    assert dict(db.session.execute(select(Comment.id, Comment.reply_count)).all()) == stored_replies


# ---- depth ----------------------------------------------------------------------------------------
def test_three_levels_then_replies_attach_to_the_deepest_allowed_parent(ctx: None) -> None:
    _teacher, (sara, lina, omar), lesson = _people_and_lesson()
    top, reply, deep = _chain([sara, lina, omar], lesson, 3)
    assert [c.depth for c in (top, reply, deep)] == [1, 2, 3]
    assert (reply.parent_id, deep.parent_id) == (top.id, reply.id)
    assert {reply.root_id, deep.root_id} == {top.id} and top.root_id is None
    # Answering the depth-3 comment adds a sibling under its depth-2 parent.
    answer = services.add_comment(sara, "lesson", lesson.id, "Answer to Omar", deep.id)
    assert (answer.parent_id, answer.depth, answer.root_id) == (reply.id, 3, top.id)
    db.session.commit()
    # ... and Omar, whose comment was answered, is told (not Lina, the parent's author).
    assert len(rows_of(omar, "reply")) == 1
    assert [r.target_id for r in rows_of(lina, "reply")] == [deep.id]  # Omar's reply to her only
    db.session.refresh(reply)
    assert reply.reply_count == 2 and _stored(lesson.id) == 4
    _recount_matches(lesson.id)


def test_the_depth_is_a_setting(app: Any, ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _teacher, (sara, lina, omar), lesson = _people_and_lesson()
    monkeypatch.setitem(app.config, "COMMENT_MAX_DEPTH", 5)
    chain = _chain([sara, lina, omar], lesson, 7)
    assert [c.depth for c in chain] == [1, 2, 3, 4, 5, 5, 5]
    assert chain[5].parent_id == chain[3].id and chain[6].parent_id == chain[3].id
    monkeypatch.setitem(app.config, "COMMENT_MAX_DEPTH", 2)  # lowered later: old deep comments stay
    flat = services.add_comment(sara, "lesson", lesson.id, "Flat again", chain[4].id)
    assert (flat.parent_id, flat.depth) == (chain[0].id, 2)
    assert services.max_depth() == 2
    monkeypatch.setitem(app.config, "COMMENT_MAX_DEPTH", 1)  # never below a comment and its replies
    assert services.max_depth() == 2
    _recount_matches(lesson.id)


def test_hidden_comments_cannot_be_replied_to_nor_their_replies(ctx: None) -> None:
    teacher, (sara, lina, omar), lesson = _people_and_lesson()
    _top, reply, deep = _chain([sara, lina, omar], lesson, 3)
    services.hide_comment(teacher, reply, "Off topic")
    assert _stored(lesson.id) == 1  # the hidden reply takes its own reply with it
    for parent in (reply, deep):
        with pytest.raises(Invalid):
            services.add_comment(sara, "lesson", lesson.id, "Still there?", parent.id)
    # Nor can readers other than moderators and the author reach it (nor react to it).
    with pytest.raises(NotFound):
        services.get_comment(sara, deep.id)
    with pytest.raises(NotFound):
        services.get_comment(sara, reply.id)
    with pytest.raises(Exception) as refused:
        services.react(sara, "comment", reply.id, "like")
    assert getattr(refused.value, "status_code", None) in (403, 404)
    assert services.get_comment(teacher, deep.id) == deep
    [thread] = services.list_comments(sara, "lesson", lesson.id)
    assert thread.replies == []
    [thread] = services.list_comments(teacher, "lesson", lesson.id)
    assert thread.replies == [reply, deep] and thread.replies_to(reply) == [deep]
    services.unhide_comment(teacher, reply)
    assert _stored(lesson.id) == 3
    _recount_matches(lesson.id)


def test_deleting_and_restoring_a_reply_mid_thread_keeps_counters(ctx: None) -> None:
    _teacher, (sara, lina, omar), lesson = _people_and_lesson()
    top, reply, deep = _chain([sara, lina, omar], lesson, 3)
    sibling = services.add_comment(omar, "lesson", lesson.id, "Another answer", top.id)
    db.session.commit()
    assert _stored(lesson.id) == 4
    services.delete_comment(lina, reply)  # takes `deep` with it
    db.session.commit()
    assert _stored(lesson.id) == 2 and deep.is_deleted
    db.session.refresh(top)
    assert top.reply_count == 1
    _recount_matches(lesson.id)
    [thread] = services.list_comments(sara, "lesson", lesson.id)
    assert thread.replies == [sibling]
    # The Trash brings the reply (and then its reply) back; the counters follow.
    restore_ids(Comment, [reply.id])
    db.session.commit()
    assert _stored(lesson.id) == 3
    restore_ids(Comment, [deep.id])
    db.session.commit()
    assert _stored(lesson.id) == 4
    db.session.refresh(top)
    assert top.reply_count == 2
    _recount_matches(lesson.id)
    # A restored reply whose parent is still deleted counts nowhere.
    services.delete_comment(lina, reply)
    restore_ids(Comment, [deep.id])
    db.session.commit()
    assert _stored(lesson.id) == 2
    _recount_matches(lesson.id)


# ---- statements ---------------------------------------------------------------------------------
def _statements(work: Any) -> int:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


def test_a_deep_thread_loads_in_as_many_statements_as_a_flat_one(
    app: Any, ctx: None, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "COMMENT_MAX_DEPTH", 8)
    _teacher, students, lesson = _people_and_lesson()
    flat_lesson = make_lesson(make_section(lesson.course))
    _chain(students, lesson, 8)
    for _ in range(3):
        _chain(students, lesson, 5)
    services.add_comment(students[0], "lesson", flat_lesson.id, "Alone")
    db.session.commit()
    user_id = students[1].id

    def read(lesson_id: int) -> Any:
        def work() -> None:
            db.session.expire_all()
            reader = db.session.get(LmsUser, user_id)
            threads = services.list_comments(reader, "lesson", lesson_id)
            for thread in threads:  # touch what a page shows: authors of every reply
                for reply in thread.replies:
                    assert reply.author.username

        return work

    deep = _statements(read(lesson.id))
    flat = _statements(read(flat_lesson.id))
    assert deep <= flat + 2, (deep, flat)  # the replies and their authors: one statement each
    assert deep <= 12


# ---- concurrency ----------------------------------------------------------------------------------
def test_concurrent_replies_deletes_and_hides_keep_exact_counters(app: Any, committed: Any) -> None:
    with app.app_context():
        teacher, students, lesson = _people_and_lesson()
        top, reply, deep = _chain(students, lesson, 3)
        other_top = services.add_comment(students[1], "lesson", lesson.id, "Second thread")
        db.session.commit()
        ids = {
            "teacher": teacher.id,
            "students": [s.id for s in students],
            "lesson": lesson.id,
            "top": top.id,
            "reply": reply.id,
            "deep": deep.id,
            "other": other_top.id,
        }
        db.session.remove()
    parents = [ids["top"], ids["reply"], ids["deep"], ids["other"]]

    def work(i: int) -> Any:
        def act() -> None:
            if i == 10:
                teacher = db.session.get(LmsUser, ids["teacher"])
                services.delete_comment(teacher, db.session.get(Comment, ids["deep"]))
                return
            if i == 11:
                teacher = db.session.get(LmsUser, ids["teacher"])
                services.hide_comment(teacher, db.session.get(Comment, ids["other"]))
                return
            user = db.session.get(LmsUser, ids["students"][i % 3])
            with contextlib.suppress(Invalid):  # its parent was deleted or hidden first: refused cleanly
                services.add_comment(user, "lesson", ids["lesson"], f"Reply {i}", parents[i % len(parents)])

        return act

    assert run_in_parallel(app, [work(i) for i in range(12)]) == []
    with app.app_context():
        stored = _stored(ids["lesson"])
        live = db.session.scalars(select(Comment).where(Comment.target_id == ids["lesson"])).all()
        by_id = {c.id: c for c in live}

        def shown(c: Comment) -> bool:
            while c is not None:
                if c.is_hidden:
                    return False
                if c.parent_id is None:
                    return True
                c = by_id.get(c.parent_id)  # type: ignore[assignment]
            return False

        assert stored == sum(1 for c in live if shown(c))
        for c in live:
            assert c.reply_count == sum(1 for d in live if d.parent_id == c.id and not d.is_hidden)
            assert c.depth <= 3
        assert stored == services.recount_comments("lesson", ids["lesson"])
        db.session.remove()


def test_concurrent_api_replies_make_no_500_and_exact_counts(app: Any, committed: Any) -> None:
    with app.app_context():
        _teacher, students, lesson = _people_and_lesson()
        top = services.add_comment(students[0], "lesson", lesson.id, "Question")
        db.session.commit()
        names, lesson_id, top_id = [s.username for s in students], lesson.id, top.id
        db.session.remove()
    headers = [jwt_headers(app.test_client(), name) for name in names]
    statuses: list[int] = []
    barrier = threading.Barrier(8, timeout=30)

    def post(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"{API}/",
            json={
                "target_type": "lesson",
                "target_id": lesson_id,
                "body": f"Answer {i}",
                "parent_id": top_id,
            },
            headers=headers[i % 3],
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 8
    with app.app_context():
        assert db.session.get(Comment, top_id).reply_count == 8
        assert services.comment_count("lesson", lesson_id) == 9
        db.session.remove()


# ---- API ----------------------------------------------------------------------------------------------
def test_api_nests_replies_and_clamps_depth(app: Any, client: Any) -> None:
    with app.app_context():
        _teacher, students, lesson = _people_and_lesson()
        names, lesson_id = [s.username for s in students], lesson.id
        db.session.remove()
    sara, lina = (jwt_headers(client, n) for n in names[:2])

    def post(headers: Any, body: str, parent: int | None = None) -> Any:
        payload = {"target_type": "lesson", "target_id": lesson_id, "body": body}
        if parent is not None:
            payload["parent_id"] = parent
        return client.post(f"{API}/", json=payload, headers=headers)

    top = post(sara, "Top").json["id"]
    two = post(lina, "Two", top).json["id"]
    three = post(sara, "Three", two).json["id"]
    clamped = post(lina, "Four?", three)
    assert clamped.status_code == 201
    assert (clamped.json["result"]["parent_id"], clamped.json["result"]["depth"]) == (two, 3)
    listing = client.get(f"{API}/for/lesson/{lesson_id}", headers=sara).json
    assert listing["max_depth"] == 3 and listing["count"] == 4
    [thread] = listing["result"]
    [second] = thread["replies"]
    assert [(r["body"], r["depth"], r["root_id"]) for r in second["replies"]] == [
        ("Three", 3, top),
        ("Four?", 3, top),
    ]
    for bad, field in ((999_999_999, "parent_id"), ("x", "parent_id"), (True, "parent_id")):
        refused = post(sara, "Reply", bad)  # type: ignore[arg-type]
        assert refused.status_code == 422 and field in refused.json["errors"] and refused.json["message"]
