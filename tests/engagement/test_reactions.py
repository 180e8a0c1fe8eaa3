"""Reactions: one per user and target (also under concurrent requests), counters equal to a recount,
nothing about invisible targets, the API's shapes and errors, the owner told, never the reactor."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from app.core.errors import NotFound
from app.core.softdelete import restore_ids
from app.core.transactions import transaction
from app.engagement import services
from app.engagement.models import Comment, Reaction, ReactionCount
from app.extensions import db
from app.notifications.services import mark_all_read, save_preferences
from app.security.models import LmsUser
from tests.concurrency import run_in_parallel
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import rows_of, texts
from tests.portal.test_player_queries import captured

API = "/api/v1/reaction"


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline


def _world() -> SimpleNamespace:
    """A public course taught by `teacher` with a lesson; `student` enrolled; a draft course."""
    w = SimpleNamespace()
    w.teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher", name_ar="طارق")
    w.student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة")
    w.other = make_user("Student", first_name="Lina", last_name="Learner", name_ar="لينا")
    w.course = make_course(instructors=[w.teacher])
    w.lesson = make_lesson(make_section(w.course))
    w.draft = make_course(instructors=[w.teacher], status="draft")
    make_enrollment(w.student, w.course)
    make_enrollment(w.other, w.course)
    with transaction():
        w.comment = services.add_comment(w.other, "lesson", w.lesson.id, "<p>Loops are fun</p>")
    return w


@pytest.fixture
def world(ctx: None) -> SimpleNamespace:
    return _world()


def _stored(target_type: str, target_id: int) -> dict[str, int]:
    names = {t.id: t.code for t in services.reaction_types()}
    rows = db.session.execute(
        select(ReactionCount.type_id, ReactionCount.count).where(
            ReactionCount.target_type == target_type, ReactionCount.target_id == target_id
        )
    )
    return {names[t]: n for t, n in rows if n}


def _recounted(target_type: str, target_id: int) -> dict[str, int]:
    before = _stored(target_type, target_id)
    with transaction():
        live = services.recount_reactions(target_type, target_id)
    assert _stored(target_type, target_id) == live
    return before


# ---- rules ------------------------------------------------------------------------------------
def test_react_change_remove_and_react_again_keep_one_row(world: SimpleNamespace) -> None:
    with transaction():
        first, created = services.react(world.student, "course", world.course.id, "like")
    assert created and _stored("course", world.course.id) == {"like": 1}
    with transaction():
        changed, created = services.react(world.student, "course", world.course.id, "love")
    assert not created and changed.id == first.id
    assert _stored("course", world.course.id) == {"love": 1}
    with transaction():
        assert services.unreact(world.student, "course", world.course.id) is True
        assert services.unreact(world.student, "course", world.course.id) is False
    assert _stored("course", world.course.id) == {}
    assert services.reaction_summary("course", [world.course.id], world.student)[world.course.id].mine is None
    with transaction():
        again, created = services.react(world.student, "course", world.course.id, "curious")
    assert created and again.id == first.id  # the removed row is revived, not duplicated
    rows = db.session.scalars(
        select(Reaction).where(Reaction.user_id == world.student.id).execution_options(include_deleted=True)
    ).all()
    assert len(rows) == 1 and not rows[0].is_deleted
    assert _recounted("course", world.course.id) == {"curious": 1}


def test_summary_of_many_targets_in_one_statement(app: Any, world: SimpleNamespace) -> None:
    with transaction():
        services.react(world.student, "course", world.course.id, "like")
        services.react(world.other, "course", world.course.id, "like")
        services.react(world.teacher, "course", world.course.id, "celebrate")
        services.react(world.student, "comment", world.comment.id, "insightful")
    services.reaction_types()  # warm the type cache, as any earlier page did
    ids, student = [world.course.id, world.draft.id], SimpleNamespace(id=world.student.id)
    with captured(app) as queries:
        summaries = services.reaction_summary("course", ids, student)
    assert len(queries) == 1, queries
    mine = summaries[world.course.id]
    assert mine.counts == {"like": 2, "celebrate": 1} and mine.total == 3 and mine.mine == "like"
    assert summaries[world.draft.id].counts == {} and summaries[world.draft.id].mine is None
    comment = services.reaction_summary("comment", [world.comment.id], None)[world.comment.id]
    assert comment.counts == {"insightful": 1} and comment.mine is None


def test_invisible_targets_are_refused_and_not_listed(world: SimpleNamespace) -> None:
    outsider = make_user("Student")
    with pytest.raises(NotFound):
        services.react(world.student, "course", world.draft.id, "like")
    with transaction():
        services.react(world.student, "comment", world.comment.id, "like")
    # An outsider cannot see the lesson, so neither its comment.
    for call in (
        lambda: services.react(outsider, "comment", world.comment.id, "like"),
        lambda: services.who_reacted(outsider, "comment", world.comment.id),
        lambda: services.summary_for(outsider, "lesson", world.lesson.id),
    ):
        with pytest.raises(Exception) as denied:
            call()
        assert getattr(denied.value, "status_code", None) == 404
    with transaction():
        services.hide_comment(world.teacher, db.session.get(Comment, world.comment.id), "off topic")
    with pytest.raises(Exception) as hidden:
        services.react(world.student, "comment", world.comment.id, "love")
    assert getattr(hidden.value, "status_code", None) == 404
    with pytest.raises(Exception) as hidden_list:
        services.who_reacted(world.student, "comment", world.comment.id)
    assert getattr(hidden_list.value, "status_code", None) == 404
    assert services.my_reactions(world.student) == []  # the hidden comment's reaction is not listed
    assert [u.id for u, _ in services.who_reacted(world.teacher, "comment", world.comment.id)] == [
        world.student.id
    ]


def test_counters_survive_delete_and_restore_of_target_and_reactions(world: SimpleNamespace) -> None:
    with transaction():
        services.react(world.student, "comment", world.comment.id, "like")
        services.react(world.teacher, "comment", world.comment.id, "love")
    comment = db.session.get(Comment, world.comment.id)
    with transaction():
        services.delete_comment(world.other, comment)
    with transaction():
        restore_ids(Comment, [world.comment.id])
    assert _recounted("comment", world.comment.id) == {"like": 1, "love": 1}
    # A removed reaction restored from the Trash counts again.
    with transaction():
        services.unreact(world.student, "comment", world.comment.id)
    assert _stored("comment", world.comment.id) == {"love": 1}
    reaction_id = db.session.scalar(
        select(Reaction.id)
        .where(Reaction.user_id == world.student.id)
        .execution_options(include_deleted=True)
    )
    with transaction():
        restore_ids(Reaction, [reaction_id])
    assert _stored("comment", world.comment.id) == {"like": 1, "love": 1}
    assert _recounted("comment", world.comment.id) == {"like": 1, "love": 1}


def test_bad_input(world: SimpleNamespace) -> None:
    for target_type, target_id, kind, status in (
        ("course", world.course.id, "hate", 422),
        ("course", world.course.id, None, 422),
        ("nothing", 1, "like", 404),
        ("course", 987654321, "like", 404),
        ("course", "1", "like", 404),
    ):
        with pytest.raises(Exception) as refused:
            services.react(world.student, target_type, target_id, kind)
        assert getattr(refused.value, "status_code", None) == status, (target_type, target_id, kind)


# ---- notifications ------------------------------------------------------------------------------
def test_the_owner_is_told_once_never_the_reactor(world: SimpleNamespace) -> None:
    with transaction():
        services.react(world.student, "comment", world.comment.id, "like")
    [row] = rows_of(world.other, "like")
    english, arabic = texts(row)
    assert "Sara Student" in english and "👍" in english and "your comment" in english
    assert "سارة" in arabic
    with transaction():
        services.react(world.student, "comment", world.comment.id, "love")  # a change: told already
        services.unreact(world.student, "comment", world.comment.id)
        services.react(world.student, "comment", world.comment.id, "like")
        services.react(world.other, "comment", world.comment.id, "like")  # one's own: nobody told
    assert len(rows_of(world.other, "like")) == 1
    with transaction():
        services.react(world.student, "course", world.course.id, "celebrate")
    assert len(rows_of(world.teacher, "like")) == 1  # a course's instructors hear of its reactions
    assert rows_of(world.student, "like") == []


def test_reactions_to_one_target_group_into_the_unread_notification(world: SimpleNamespace) -> None:
    third = make_user("Student", first_name="Omar", last_name="Learner", name_ar="عمر")
    make_enrollment(third, world.course)
    with transaction():
        services.react(world.student, "comment", world.comment.id, "like")
        services.react(world.teacher, "comment", world.comment.id, "love")
    [row] = rows_of(world.other, "like")
    english, arabic = texts(row)
    assert english.startswith("Tariq Teacher and 1 other person reacted to your comment"), english
    assert "طارق" in arabic and "وشخص آخر" in arabic, arabic
    with transaction():
        services.react(third, "comment", world.comment.id, "like")
        # Sara again after an undo is not a new person.
        services.unreact(world.student, "comment", world.comment.id)
        services.react(world.student, "comment", world.comment.id, "curious")
    [row] = rows_of(world.other, "like")
    assert row.params["others"] == 2 and row.actor_id == third.id
    english, arabic = texts(row)
    assert english.startswith("Omar Learner and 2 other people reacted to your comment"), english
    assert "عمر" in arabic and "وشخصان آخران" in arabic, arabic
    with transaction():
        mark_all_read(world.other)
    late = make_user("Student", first_name="Huda", last_name="Late")
    make_enrollment(late, world.course)
    with transaction():
        services.react(late, "comment", world.comment.id, "like")
    first, second = rows_of(world.other, "like")
    assert first.read_at is not None and second.read_at is None  # a new group once the first is read
    assert texts(second)[0].startswith("Huda Late reacted")


def test_an_owner_without_the_in_app_channel_gets_each_reaction(world: SimpleNamespace) -> None:
    # Rows off the in-app list are never read: grouping them would swallow every later reaction.
    with transaction():
        save_preferences(world.other.id, {"like": {"in_app": False, "email": True}})
        services.react(world.student, "comment", world.comment.id, "like")
        services.react(world.teacher, "comment", world.comment.id, "love")
    rows = rows_of(world.other, "like")
    assert [row.actor_id for row in rows] == [world.student.id, world.teacher.id]
    assert all(not row.in_app and row.group_key is None for row in rows)


def test_concurrent_reactions_make_one_grouped_notification(app: Any, committed: Any) -> None:
    with app.app_context():
        w = _world()
        people = [make_user("Student") for _ in range(6)]
        for person in people:
            make_enrollment(person, w.course)
        db.session.commit()
        user_ids, course_id, teacher_id = [p.id for p in people], w.course.id, w.teacher.id
        db.session.remove()

    def work(user_id: int) -> Any:
        return lambda: services.react(db.session.get(LmsUser, user_id), "course", course_id, "like")

    assert run_in_parallel(app, [work(user_id) for user_id in user_ids]) == []
    with app.app_context():
        [row] = rows_of(teacher_id, "like")
        assert row.params["others"] == 5 and sorted(row.params["actor_ids"]) == sorted(user_ids)
        db.session.remove()


# ---- concurrency --------------------------------------------------------------------------------
def test_twenty_concurrent_reactions_of_one_user_make_one_row(app: Any, committed: Any) -> None:
    with app.app_context():
        w = _world()
        db.session.commit()
        ids = (w.student.id, w.course.id)
        db.session.remove()
    kinds = ["like", "love", "celebrate", "insightful", "curious"]

    def work(i: int) -> Any:
        def react() -> None:
            user = db.session.get(LmsUser, ids[0])
            if i % 4 == 3:
                services.unreact(user, "course", ids[1])
            else:
                services.react(user, "course", ids[1], kinds[i % len(kinds)])

        return react

    assert run_in_parallel(app, [work(i) for i in range(20)]) == []
    with app.app_context():
        rows = db.session.scalars(
            select(Reaction).where(Reaction.user_id == ids[0]).execution_options(include_deleted=True)
        ).all()
        assert len(rows) == 1
        stored = _stored("course", ids[1])
        assert sum(stored.values()) == (0 if rows[0].is_deleted else 1)
        assert _recounted("course", ids[1]) == stored
        db.session.remove()


def test_counters_equal_a_recount_after_concurrent_changes(app: Any, committed: Any) -> None:
    with app.app_context():
        w = _world()
        people = [make_user("Student") for _ in range(10)]
        for person in people:
            make_enrollment(person, w.course)
        db.session.commit()
        user_ids, course_id = [p.id for p in people], w.course.id
        db.session.remove()
    kinds = ["like", "love", "celebrate"]

    def work(i: int) -> Any:
        def react() -> None:
            user = db.session.get(LmsUser, user_ids[i % len(user_ids)])
            if i >= len(user_ids) and i % 3 == 0:
                services.unreact(user, "course", course_id)
            else:
                services.react(user, "course", course_id, kinds[i % len(kinds)])

        return react

    assert run_in_parallel(app, [work(i) for i in range(20)]) == []
    with app.app_context():
        stored = _stored("course", course_id)
        assert _recounted("course", course_id) == stored
        live = db.session.scalar(
            select(db.func.count(Reaction.id)).where(
                Reaction.target_type == "course", Reaction.target_id == course_id
            )
        )
        assert sum(stored.values()) == live
        db.session.remove()


# ---- REST API ------------------------------------------------------------------------------------
@pytest.fixture
def api_world(app: Any) -> SimpleNamespace:
    with app.app_context():
        w = _world()
        db.session.commit()
        out = SimpleNamespace(
            course_id=w.course.id,
            draft_id=w.draft.id,
            comment_id=w.comment.id,
            student=w.student.username,
            teacher=w.teacher.username,
            student_id=w.student.id,
        )
        db.session.remove()
    return out


def test_api_react_list_summary_remove(app: Any, client: Any, api_world: SimpleNamespace) -> None:
    headers = jwt_headers(client, api_world.student)
    body = {"target_type": "course", "target_id": api_world.course_id, "type": "like"}
    created = client.post(f"{API}/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["result"]["type"] == "like"
    changed = client.post(f"{API}/", json={**body, "type": "love"}, headers=headers)
    assert changed.status_code == 200 and changed.json["id"] == created.json["id"]
    own = client.get(f"{API}/", headers=headers)
    assert own.status_code == 200, own.json
    assert [(r["target_type"], r["target_id"], r["type"]) for r in own.json["result"]] == [
        ("course", api_world.course_id, "love")
    ]
    summary = client.get(f"{API}/for/course/{api_world.course_id}", headers=headers)
    assert summary.status_code == 200, summary.json
    assert summary.json["counts"]["love"] == 1 and summary.json["counts"]["like"] == 0
    assert summary.json["total"] == 1 and summary.json["mine"] == "love"
    assert summary.json["result"] == [
        {
            "user": {"id": api_world.student_id, "username": api_world.student, "name": "Sara Student"},
            "type": "love",
        }
    ]
    assert (
        client.get(f"{API}/for/course/{api_world.course_id}?type=like", headers=headers).json["result"] == []
    )
    removed = client.delete(f"{API}/for/course/{api_world.course_id}", headers=headers)
    assert removed.status_code == 200 and removed.json["removed"] is True and removed.json["total"] == 0
    assert client.get(f"{API}/", headers=headers).json["result"] == []


def test_api_errors(app: Any, client: Any, api_world: SimpleNamespace) -> None:
    headers = jwt_headers(client, api_world.student)
    unknown_type = client.post(
        f"{API}/",
        json={"target_type": "course", "target_id": api_world.course_id, "type": "hate"},
        headers=headers,
    )
    assert unknown_type.status_code == 422 and "type" in unknown_type.json["errors"]
    for body in (
        {"target_type": "course", "target_id": 987654321, "type": "like"},
        {"target_type": "spaceship", "target_id": 1, "type": "like"},
        {"target_type": "course", "target_id": api_world.draft_id, "type": "like"},
    ):
        missing = client.post(f"{API}/", json=body, headers=headers)
        assert missing.status_code == 404 and set(missing.json) >= {"message", "errors"}, body
    assert (
        client.post(f"{API}/", data="[]", content_type="application/json", headers=headers).status_code == 400
    )
    assert client.get(f"{API}/for/course/{api_world.draft_id}", headers=headers).status_code == 404
    assert client.delete(f"{API}/for/course/{api_world.draft_id}", headers=headers).status_code == 404
    assert client.get(f"{API}/for/course/{api_world.course_id}?page=x", headers=headers).status_code == 422
    assert client.get(f"{API}/for/course/{api_world.course_id}?type=hate", headers=headers).status_code == 422
    anonymous = client.post(
        f"{API}/", json={"target_type": "course", "target_id": api_world.course_id, "type": "like"}
    )
    assert anonymous.status_code == 401


def test_back_office_lists_reactions_on_what_the_instructor_moderates(
    app: Any, api_world: SimpleNamespace, user_factory: Any
) -> None:
    from tests.conftest import login

    client = app.test_client()
    student = jwt_headers(client, api_world.student)
    body = {"target_type": "course", "target_id": api_world.course_id, "type": "insightful"}
    assert client.post(f"{API}/", json=body, headers=student).status_code == 201
    on_comment = {"target_type": "comment", "target_id": api_world.comment_id, "type": "love"}
    assert client.post(f"{API}/", json=on_comment, headers=student).status_code == 201
    teacher = app.test_client()
    login(teacher, api_world.teacher)
    page = teacher.get("/reactionmodelview/list/")
    rows = (f"course #{api_world.course_id}", f"comment #{api_world.comment_id}")
    assert page.status_code == 200 and all(row in page.get_data(as_text=True) for row in rows)
    _, stranger_name = user_factory("Instructor")
    stranger = app.test_client()
    login(stranger, stranger_name)
    other = stranger.get("/reactionmodelview/list/")
    assert other.status_code == 200 and not any(row in other.get_data(as_text=True) for row in rows)
    student_browser = app.test_client()
    login(student_browser, api_world.student)
    assert student_browser.get("/reactionmodelview/list/").status_code in (302, 403)
