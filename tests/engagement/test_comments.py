"""Universal comments: threads, instructor responses, visibility, moderation, flags, counters."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.transactions import transaction
from app.courses import services as courses
from app.engagement import services
from app.engagement.models import Comment
from app.engagement.services import comments as comment_rules
from app.extensions import db
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_lesson, make_section

API = "/api/v1/comment"


@pytest.fixture
def world(app, user_factory):
    """A listed course taught by `teacher` with one lesson; `student` enrolled, `outsider` not."""
    w = SimpleNamespace()
    for role, name in (
        ("Instructor", "teacher"),
        ("Instructor", "other_teacher"),
        ("Student", "student"),
        ("Student", "outsider"),
        ("Admin", "admin"),
    ):
        user_id, username = user_factory(role)
        setattr(w, f"{name}_id", user_id)
        setattr(w, name, username)
    with app.app_context():
        course = make_course(instructors=[w.teacher_id])
        lesson = make_lesson(make_section(course))
        other_course = make_course(instructors=[w.other_teacher_id])
        with transaction():  # the service flushes; its caller commits
            courses.enroll_by_instructor(
                course, db.session.get(LmsUser, w.student_id), db.session.get(LmsUser, w.teacher_id)
            )
        w.course_id, w.lesson_id, w.other_course_id = course.id, lesson.id, other_course.id
        db.session.remove()
    w.headers = {}
    return w


def _h(app, world, name):
    if name not in world.headers:
        world.headers[name] = jwt_headers(app.test_client(), getattr(world, name))
    return world.headers[name]


def _post(client, headers, target_type, target_id, body, parent_id=None):
    payload = {"target_type": target_type, "target_id": target_id, "body": body}
    if parent_id is not None:
        payload["parent_id"] = parent_id
    return client.post(f"{API}/", json=payload, headers=headers)


def _threads(client, headers, target_type, target_id):
    return client.get(f"{API}/for/{target_type}/{target_id}", headers=headers)


def test_threaded_replies_and_instructor_response_marker(app, client, world):
    student, teacher = _h(app, world, "student"), _h(app, world, "teacher")
    question = _post(client, student, "lesson", world.lesson_id, "<p>How does this work?</p>")
    assert question.status_code == 201, question.json
    assert question.json["result"]["is_instructor_response"] is False
    qid = question.json["id"]
    answer = _post(client, teacher, "lesson", world.lesson_id, "<p>Like this.</p>", parent_id=qid)
    assert answer.status_code == 201, answer.json
    assert answer.json["result"]["is_instructor_response"] is True
    assert answer.json["result"]["parent_id"] == qid
    # A reply to a reply nests under it (depth 3).
    follow_up = _post(client, student, "lesson", world.lesson_id, "Thanks!", parent_id=answer.json["id"])
    assert follow_up.status_code == 201
    assert (follow_up.json["result"]["parent_id"], follow_up.json["result"]["depth"]) == (
        answer.json["id"],
        3,
    )

    listing = _threads(client, student, "lesson", world.lesson_id)
    assert listing.status_code == 200, listing.json
    assert listing.json["count"] == 3
    [thread] = listing.json["result"]
    assert thread["id"] == qid and thread["reply_count"] == 1 and thread["depth"] == 1
    [reply] = thread["replies"]
    assert (reply["body"], reply["is_instructor_response"], reply["reply_count"]) == (
        "<p>Like this.</p>",
        True,
        1,
    )
    assert [(r["body"], r["is_instructor_response"]) for r in reply["replies"]] == [("Thanks!", False)]
    assert "flag_count" not in thread  # moderation details are for moderators
    assert _threads(client, teacher, "lesson", world.lesson_id).json["can_moderate"] is True


def test_a_reply_must_be_on_the_same_target(app, client, world):
    student = _h(app, world, "student")
    on_course = _post(client, student, "course", world.course_id, "Course question").json["id"]
    wrong = _post(client, student, "lesson", world.lesson_id, "Reply", parent_id=on_course)
    assert wrong.status_code == 422 and "parent_id" in wrong.json["errors"]


def test_outsider_cannot_comment_on_a_lesson_but_can_on_a_listed_course(app, client, world):
    outsider = _h(app, world, "outsider")
    refused = _post(client, outsider, "lesson", world.lesson_id, "Let me in")
    assert refused.status_code == 403
    assert set(refused.json) >= {"message", "errors"}
    assert _threads(client, outsider, "lesson", world.lesson_id).status_code == 403
    ok = _post(client, outsider, "course", world.course_id, "Is this course for beginners?")
    assert ok.status_code == 201, ok.json
    assert _threads(client, outsider, "course", world.course_id).json["count"] == 1


def test_comments_on_an_unlisted_course_are_out_of_reach(app, client, world):
    student = _h(app, world, "student")
    with app.app_context():
        draft = make_course(instructors=[world.teacher_id], status="draft")
        draft_id = draft.id
        db.session.remove()
    assert _post(client, student, "course", draft_id, "Hello").status_code == 403
    assert _post(client, _h(app, world, "teacher"), "course", draft_id, "Notes").status_code == 201
    with app.app_context():
        comment_id = db.session.query(Comment.id).filter_by(target_id=draft_id).scalar()
    # The comment exists, but not for someone who cannot see its target.
    assert client.post(f"{API}/{comment_id}/flag", json={}, headers=student).status_code == 404


def test_hidden_comment_visible_to_moderators_and_author_only(app, client, world):
    student, teacher = _h(app, world, "student"), _h(app, world, "teacher")
    outsider = _h(app, world, "outsider")
    cid = _post(client, student, "course", world.course_id, "Rude words").json["id"]
    hidden = client.post(f"{API}/{cid}/hide", json={"reason": "Off topic"}, headers=teacher)
    assert hidden.status_code == 200, hidden.json
    assert hidden.json["result"]["is_hidden"] and hidden.json["result"]["hidden_reason"] == "Off topic"

    assert _threads(client, outsider, "course", world.course_id).json["result"] == []
    assert _threads(client, outsider, "course", world.course_id).json["count"] == 0
    assert client.post(f"{API}/{cid}/flag", json={}, headers=outsider).status_code == 404
    mine = _threads(client, student, "course", world.course_id).json["result"]
    assert [(c["id"], c["is_hidden"]) for c in mine] == [(cid, True)]
    staff = _threads(client, teacher, "course", world.course_id).json["result"]
    assert [c["id"] for c in staff] == [cid] and staff[0]["hidden_reason"] == "Off topic"
    # Nobody replies to a hidden comment.
    assert _post(client, teacher, "course", world.course_id, "No", parent_id=cid).status_code == 422

    assert client.post(f"{API}/{cid}/hide", json={}, headers=teacher).status_code == 409
    assert client.post(f"{API}/{cid}/unhide", headers=teacher).status_code == 200
    assert [c["id"] for c in _threads(client, outsider, "course", world.course_id).json["result"]] == [cid]
    assert _threads(client, outsider, "course", world.course_id).json["count"] == 1


def test_flag_once_per_user_never_own(app, client, world):
    student, outsider = _h(app, world, "student"), _h(app, world, "outsider")
    cid = _post(client, student, "course", world.course_id, "Spam?").json["id"]
    first = client.post(f"{API}/{cid}/flag", json={"reason": "spam"}, headers=outsider)
    assert first.status_code == 200, first.json
    again = client.post(f"{API}/{cid}/flag", json={"reason": "spam"}, headers=outsider)
    assert again.status_code == 409 and again.json["message"]
    own = client.post(f"{API}/{cid}/flag", json={}, headers=student)
    assert own.status_code == 422
    teacher_flag = client.post(f"{API}/{cid}/flag", json={}, headers=_h(app, world, "teacher"))
    assert teacher_flag.status_code == 200
    with app.app_context():
        assert db.session.get(Comment, cid).flag_count == 2


def test_counters_follow_replies_hiding_and_deletion(app, client, world):
    student, teacher = _h(app, world, "student"), _h(app, world, "teacher")
    outsider = _h(app, world, "outsider")
    course = world.course_id
    top = _post(client, student, "course", course, "Question").json["id"]
    reply = _post(client, outsider, "course", course, "Me too", parent_id=top).json["id"]
    other = _post(client, outsider, "course", course, "Another").json["id"]

    def count():
        with app.app_context():
            return services.comment_count("course", course)

    assert count() == 3
    assert client.post(f"{API}/{reply}/hide", json={}, headers=teacher).status_code == 200
    assert count() == 2
    assert client.post(f"{API}/{top}/hide", json={}, headers=teacher).status_code == 200
    assert count() == 1
    assert client.post(f"{API}/{reply}/unhide", headers=teacher).status_code == 200
    assert count() == 1  # its thread is still hidden
    assert client.post(f"{API}/{top}/unhide", headers=teacher).status_code == 200
    assert count() == 3

    # Only the author or a moderator deletes.
    assert client.delete(f"{API}/{top}", headers=outsider).status_code == 403
    assert client.delete(f"{API}/{reply}", headers=outsider).status_code == 200
    assert count() == 2
    with app.app_context():
        assert db.session.get(Comment, top).reply_count == 0
    assert client.delete(f"{API}/{top}", headers=student).status_code == 200
    assert count() == 1
    assert client.delete(f"{API}/{other}", headers=teacher).status_code == 200  # moderator
    assert count() == 0
    assert client.delete(f"{API}/{other}", headers=teacher).status_code == 404
    with app.app_context():
        assert services.counts_for("course", [course, world.other_course_id]) == {
            course: 0,
            world.other_course_id: 0,
        }
        assert services.recount_comments("course", course) == 0


def test_deleting_a_thread_removes_its_replies(app, client, world):
    student, outsider = _h(app, world, "student"), _h(app, world, "outsider")
    top = _post(client, student, "course", world.course_id, "Question").json["id"]
    _post(client, outsider, "course", world.course_id, "Answer", parent_id=top)
    assert client.delete(f"{API}/{top}", headers=student).status_code == 200
    listing = _threads(client, outsider, "course", world.course_id).json
    assert listing["result"] == [] and listing["count"] == 0


def test_only_the_author_edits(app, client, world):
    student, teacher = _h(app, world, "student"), _h(app, world, "teacher")
    cid = _post(client, student, "course", world.course_id, "Frist").json["id"]
    assert client.put(f"{API}/{cid}", json={"body": "Hacked"}, headers=teacher).status_code == 403
    edited = client.put(f"{API}/{cid}", json={"body": "<b>First</b>"}, headers=student)
    assert edited.status_code == 200, edited.json
    assert edited.json["result"]["body"] == "<b>First</b>" and edited.json["result"]["edited_at"]
    assert client.put(f"{API}/{cid}", json={"body": "  "}, headers=student).status_code == 422


def test_another_instructor_cannot_moderate_nor_see_in_the_back_office(app, client, world):
    student, other = _h(app, world, "student"), _h(app, world, "other_teacher")
    cid = _post(client, student, "course", world.course_id, "Visible to my teacher").json["id"]
    lesson_cid = _post(client, student, "lesson", world.lesson_id, "On the lesson").json["id"]
    refused = client.post(f"{API}/{cid}/hide", json={}, headers=other)
    assert refused.status_code == 403 and set(refused.json) >= {"message", "errors"}
    assert client.delete(f"{API}/{cid}", headers=other).status_code == 403
    assert _threads(client, other, "course", world.course_id).json["can_moderate"] is False

    own_teacher = app.test_client()
    assert login(own_teacher, world.teacher).status_code == 302
    page = own_teacher.get("/commentmodelview/list/").get_data(as_text=True)
    assert "Visible to my teacher" in page and "On the lesson" in page
    shown = own_teacher.get(f"/commentmodelview/show/{cid}")
    assert shown.status_code == 200 and "Visible to my teacher" in shown.get_data(as_text=True)
    stranger = app.test_client()
    assert login(stranger, world.other_teacher).status_code == 302
    listing = stranger.get("/commentmodelview/list/")
    assert listing.status_code == 200
    assert "Visible to my teacher" not in listing.get_data(as_text=True)
    assert stranger.get(f"/commentmodelview/show/{cid}").status_code in (302, 404)
    # Bulk actions are row-scoped: rows outside the list are ignored.
    stranger.post("/commentmodelview/action_post", data={"action": "hide_comments", "rowid": [cid]})
    with app.app_context():
        assert not db.session.get(Comment, cid).is_hidden
    own_teacher.post(
        "/commentmodelview/action_post", data={"action": "hide_comments", "rowid": [cid, lesson_cid]}
    )
    with app.app_context():
        assert db.session.get(Comment, cid).is_hidden and db.session.get(Comment, lesson_cid).is_hidden
    flagged = own_teacher.get("/commentmodelview/list/?_flt_0_is_hidden=y")
    assert flagged.status_code == 200
    # Students have no back office for comments.
    student_browser = app.test_client()
    assert login(student_browser, world.student).status_code == 302
    assert student_browser.get("/commentmodelview/list/").status_code in (302, 403)


def test_back_office_bulk_delete_keeps_counters(app, client, world):
    student = _h(app, world, "student")
    ids = [_post(client, student, "course", world.course_id, f"Comment {n}").json["id"] for n in range(3)]
    admin = app.test_client()
    assert login(admin, world.admin).status_code == 302
    response = admin.post(
        "/commentmodelview/action_post", data={"action": "delete_comments", "rowid": ids[:2]}
    )
    assert response.status_code == 302
    with app.app_context():
        assert services.comment_count("course", world.course_id) == 1
    _post(client, student, "course", world.course_id, "Comment 3")
    flag = client.post(f"{API}/{ids[2]}/flag", json={"reason": "spam"}, headers=_h(app, world, "outsider"))
    assert flag.status_code == 200
    flagged = admin.get("/commentmodelview/list/?_flt_1_flag_count=0").get_data(as_text=True)  # flags > 0
    assert "Comment 2" in flagged and "Comment 3" not in flagged and "Comment 0" not in flagged


def test_html_is_sanitized(app, client, world):
    student = _h(app, world, "student")
    response = _post(
        client,
        student,
        "course",
        world.course_id,
        '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">me</a></p>',
    )
    assert response.status_code == 201, response.json
    body = response.json["result"]["body"]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert body.startswith("<p>Hi ")
    only_script = _post(client, student, "course", world.course_id, "<script>alert(1)</script>")
    assert only_script.status_code == 422 and "body" in only_script.json["errors"]
    too_long = _post(client, student, "course", world.course_id, "x" * 10_001)
    assert too_long.status_code == 422


def test_api_error_shapes(app, client, world):
    student = _h(app, world, "student")
    cases = [
        (_post(client, student, "planet", 1, "Hi"), 404),
        (_post(client, student, "course", 987654321, "Hi"), 404),
        (_post(client, student, "course", "abc", "Hi"), 422),
        (_post(client, student, "course", world.course_id, ""), 422),
        (client.post(f"{API}/", json={"body": "x"}, headers=student), 422),
        (client.post(f"{API}/", data="not json", headers=student), 422),
        (client.post(f"{API}/987654321/flag", json={}, headers=student), 404),
        (client.put(f"{API}/987654321", json={"body": "x"}, headers=student), 404),
        (client.get(f"{API}/for/planet/1", headers=student), 404),
        (client.get(f"{API}/for/course/{world.course_id}?page=x", headers=student), 422),
        (client.post(f"{API}/1/hide", json={}, headers=student), 403),  # no can_moderate
        (client.get(f"{API}/for/course/{world.course_id}"), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.status_code, response.json)
        assert set(response.json) >= {"message"}
        if status != 401:
            assert "errors" in response.json


def test_openapi_documents_the_comment_endpoints(app, client, world):
    spec = client.get("/api/v1/_openapi", headers=_h(app, world, "student"))
    assert spec.status_code == 200
    paths = spec.json["paths"]
    assert "/api/v1/comment/for/{target_type}/{target_id}" in paths
    assert {f"/api/v1/comment/{{pk}}/{verb}" for verb in ("flag", "hide", "unhide")} <= set(paths)


def test_plain_list_holds_own_comments_unless_admin(app, client, world):
    student, outsider = _h(app, world, "student"), _h(app, world, "outsider")
    mine = _post(client, student, "course", world.course_id, "Mine").json["id"]
    _post(client, outsider, "course", world.course_id, "Theirs")
    listed = client.get(f"{API}/", headers=student)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json["result"]] == [mine]
    everything = client.get(f"{API}/", headers=_h(app, world, "admin"))
    assert everything.json["count"] >= 2


def test_services_directly(app, ctx, world):
    student = db.session.get(LmsUser, world.student_id)
    teacher = db.session.get(LmsUser, world.teacher_id)
    comment = services.add_comment(student, "course", world.course_id, "Hello")
    reply = services.add_comment(teacher, "course", world.course_id, "Welcome", parent_id=comment.id)
    assert reply.is_instructor_response and not comment.is_instructor_response
    assert services.can_moderate_comment(teacher, comment)
    assert not services.can_moderate_comment(student, comment)
    threads = services.list_comments(student, "course", world.course_id)
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [(comment.id, [reply.id])]
    assert services.counts_for("course", [world.course_id]) == {world.course_id: 2}


def test_comments_are_a_target_but_not_of_comments(app, client, world):
    student, outsider = _h(app, world, "student"), _h(app, world, "outsider")
    cid = _post(client, student, "lesson", world.lesson_id, "Enrolled only").json["id"]
    refused = _post(client, student, "comment", cid, "Nested")
    assert refused.status_code == 422 and "target_type" in refused.json["errors"]
    with app.app_context():
        from app.core import targets

        comment = targets.load_target("comment", cid)
        assert targets.can_view(db.session.get(LmsUser, world.student_id), "comment", comment)
        assert not targets.can_view(db.session.get(LmsUser, world.outsider_id), "comment", comment)
        assert targets.can_edit(db.session.get(LmsUser, world.student_id), "comment", comment)
        assert targets.can_moderate(db.session.get(LmsUser, world.teacher_id), "comment", comment)
    assert client.post(f"{API}/{cid}/flag", json={}, headers=outsider).status_code == 404


def test_threads_are_paged_newest_first(app, client, world):
    student = _h(app, world, "student")
    ids = [_post(client, student, "course", world.course_id, f"Thread {n}").json["id"] for n in range(3)]
    first = client.get(f"{API}/for/course/{world.course_id}?page_size=2", headers=student).json
    assert [t["id"] for t in first["result"]] == ids[::-1][:2] and first["count"] == 3
    second = client.get(f"{API}/for/course/{world.course_id}?page=2&page_size=2", headers=student).json
    assert [t["id"] for t in second["result"]] == [ids[0]] and second["page"] == 2


def test_restoring_from_the_trash_counts_the_comments_again(app, client, world):
    student = _h(app, world, "student")
    ids = [_post(client, student, "course", world.course_id, f"Back {n}").json["id"] for n in range(2)]
    admin = app.test_client()
    assert login(admin, world.admin).status_code == 302
    admin.post("/commentmodelview/action_post", data={"action": "delete_comments", "rowid": ids})
    with app.app_context():
        assert services.comment_count("course", world.course_id) == 0
    response = admin.post("/admin/trash/comment/restore", data={"rowid": [str(i) for i in ids]})
    assert response.status_code == 302
    with app.app_context():
        assert services.comment_count("course", world.course_id) == 2


def test_back_office_author_filter_lists_only_authors_of_moderated_comments(app, client, world):
    from tests.courses.test_admin import select_options

    assert _post(client, _h(app, world, "student"), "course", world.course_id, "Mine").status_code == 201
    assert (
        _post(client, _h(app, world, "outsider"), "course", world.other_course_id, "Theirs").status_code
        == 201
    )
    teacher = app.test_client()
    assert login(teacher, world.teacher).status_code == 302
    authors = select_options(teacher.get("/commentmodelview/list/").get_data(as_text=True), "author")
    assert authors == {world.student_id}
    admin = app.test_client()
    assert login(admin, world.admin).status_code == 302
    everyone = select_options(admin.get("/commentmodelview/list/").get_data(as_text=True), "author")
    assert {world.student_id, world.outsider_id, world.teacher_id} <= everyone


def test_comment_api_info_lists_no_related_rows(app, client, world):
    _post(client, _h(app, world, "student"), "course", world.course_id, "Hello")
    for name in ("outsider", "other_teacher"):
        info = client.get(f"{API}/_info", headers=_h(app, world, name))
        assert info.status_code == 200
        fields = info.json["add_columns"] + info.json["edit_columns"]
        assert fields and not any("values" in field for field in fields)
        assert world.student not in info.get_data(as_text=True)


def test_a_reply_in_a_hidden_thread_is_hidden_too(app, client, world):
    student, teacher = _h(app, world, "student"), _h(app, world, "teacher")
    outsider = _h(app, world, "outsider")
    top = _post(client, student, "course", world.course_id, "Thread").json["id"]
    reply = _post(client, teacher, "course", world.course_id, "Answer", parent_id=top).json["id"]
    assert client.post(f"{API}/{top}/hide", json={"reason": "Spam"}, headers=teacher).status_code == 200
    # The reply itself is not hidden, but its thread is: outsiders can neither read nor flag it.
    assert client.post(f"{API}/{reply}/flag", json={}, headers=outsider).status_code == 404
    assert client.post(f"{API}/{top}/unhide", headers=teacher).status_code == 200
    assert client.post(f"{API}/{reply}/flag", json={}, headers=outsider).status_code == 200


def test_an_error_half_way_through_commenting_leaves_nothing_written(app, world, monkeypatch):
    real, calls = comment_rules.bump_comment_count, []

    def bump_then_fail(*args):
        calls.append(1)
        real(*args)
        if (
            len(calls) == 2
        ):  # the reply: its row and its thread's reply count are written, then the count fails
            raise RuntimeError("half-way")

    monkeypatch.setattr(comment_rules, "bump_comment_count", bump_then_fail)
    with app.app_context():
        student = db.session.get(LmsUser, world.student_id)
        with pytest.raises(RuntimeError), transaction():
            question = services.add_comment(student, "lesson", world.lesson_id, "A question")
            services.add_comment(student, "lesson", world.lesson_id, "A reply", parent_id=question.id)
        db.session.remove()
        assert len(calls) == 2
        assert services.comment_count("lesson", world.lesson_id) == 0
        assert (
            db.session.query(Comment).filter_by(target_type="lesson", target_id=world.lesson_id).count() == 0
        )
        db.session.remove()
