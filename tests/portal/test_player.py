"""The lesson player: access and locks, content, completion, heartbeats, notes and comments."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.courses.models import Course, LessonContent, LessonProgress, Note
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.course_factories import (
    make_note,
)
from tests.portal_helpers import course_with_lessons, enrol, page_text


def test_player_refuses_outsiders_and_opens_previews_to_visitors(app, client, login_as):
    data = course_with_lessons(app, title="Guarded")
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    outsider = login_as("Student")
    assert outsider.get(lesson_url).status_code == 403
    anonymous = client.get(lesson_url)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    preview = client.get(f"/courses/{data['slug']}/lessons/{data['preview']}")
    assert preview.status_code == 200 and "This is a free preview" in page_text(preview)
    assert "Mark as complete" not in page_text(preview)
    assert client.get(f"/courses/{data['slug']}/lessons/999999").status_code == 404


def test_player_shows_sanitized_content_and_outline(app, login_as):
    data = course_with_lessons(app, title="Content")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    page = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['second']}"))
    assert "<p>Variables hold values</p>" in page and "alert(1)" not in page
    assert "Video time" in page and "Course outline" in page
    assert f"/courses/{data['slug']}/lessons/{data['third']}" in page, "next lesson linked"
    assert 'data-heartbeat-url="/courses/' in page and "js/player.js" in page


def test_sequential_course_locks_later_lessons(app, login_as):
    data = course_with_lessons(app, title="In Order", sequential=True)
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    response = student.get(f"/courses/{data['slug']}/lessons/{data['third']}")
    assert response.status_code == 403 and "Complete the previous lessons first" in page_text(response)
    visitor_preview = app.test_client().get(f"/courses/{data['slug']}/lessons/{data['preview']}")
    assert visitor_preview.status_code == 200, "visitors open previews of sequential courses"


def test_mark_complete_shows_on_my_learning(app, login_as):
    data = course_with_lessons(app, title="Progressing")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    page = page_text(student.get("/my/learning"))
    assert "Progressing" in page and "0% complete" in page
    response = student.post(f"/courses/{data['slug']}/lessons/{data['third']}/complete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/lessons/{data['third']}#lesson-completion")
    page = page_text(student.get("/my/learning"))
    assert "33% complete" in page and "Continue learning" in page
    player = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['third']}"))
    assert "You completed this lesson" in player


def _progress(app, user_id: int, lesson_id: int) -> str:
    """'none', 'started' or 'completed': the learner's progress row of the lesson."""
    with app.app_context():
        row = db.session.scalar(
            select(LessonProgress).where(
                LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id
            )
        )
        db.session.remove()
    return "none" if row is None else "completed" if row.completed_at else "started"


def test_opening_a_text_lesson_starts_it_and_the_button_completes_it(app, login_as):
    data = course_with_lessons(app, title="Read To The End")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    page = page_text(student.get(lesson_url))
    assert _progress(app, student.user_id, data["second"]) == "started", "opening records the start"
    assert "0% complete" in page_text(student.get("/my/learning")), "opening completes nothing"
    # Not done yet: the button (a real form post that needs no script) and the end-of-text mark.
    form = re.search(r'<form method="post" action="([^"]+)" id="complete-form">(.*?)</form>', page, re.S)
    assert form and form.group(1) == f"{lesson_url}/complete"
    assert (
        '<button class="btn primary" type="submit" id="mark-complete">Mark as complete</button>'
        in form.group(2)
    )
    assert 'id="read-end"' in page and f'data-complete-url="{lesson_url}/complete"' in page
    assert 'id="lesson-status" role="status"' in page and "✓ You completed this lesson.</p>" not in page

    done = student.post(f"{lesson_url}/complete")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{lesson_url}#lesson-completion")
    assert _progress(app, student.user_id, data["second"]) == "completed"
    after = page_text(student.get(lesson_url))
    assert "33% complete" in page_text(student.get("/my/learning"))
    assert "✓ You completed this lesson.</p>" in after and 'id="complete-form"' not in after
    assert 'id="read-end"' not in after, "nothing left to report"


def test_video_and_document_lessons_have_the_button_but_no_end_of_text_mark(app, login_as):
    data = course_with_lessons(app, title="Watch It")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    page = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['third']}"))
    assert 'id="mark-complete"' in page and 'id="read-end"' not in page
    assert _progress(app, student.user_id, data["third"]) == "started"


def test_the_player_script_completes_by_json_with_the_csrf_header(app, login_as, monkeypatch):
    data = course_with_lessons(app, title="Read By Script")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    token = re.search(r'data-csrf="([^"]+)"', page_text(student.get(lesson_url))).group(1)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    json_headers = {"Accept": "application/json"}
    refused = student.post(f"{lesson_url}/complete", json={}, headers=json_headers)
    assert refused.status_code == 400 and _progress(app, student.user_id, data["second"]) == "started"
    ok = student.post(f"{lesson_url}/complete", json={}, headers={**json_headers, "X-CSRFToken": token})
    assert ok.status_code == 200 and ok.json["completed"] is True
    assert ok.json["message"] == "You completed this lesson." and ok.json["progress_percent"] == 33
    assert _progress(app, student.user_id, data["second"]) == "completed"
    again = student.post(f"{lesson_url}/complete", json={}, headers={**json_headers, "X-CSRFToken": token})
    assert again.status_code == 200 and again.json["progress_percent"] == 33, (
        "completing twice changes nothing"
    )


def test_only_an_enrolled_learner_completes_a_lesson(app, client, login_as):
    data = course_with_lessons(app, title="Not Yours")
    learner, outsider = login_as("Student"), login_as("Student")
    enrol(app, learner.user_id, data["id"])
    url = f"/courses/{data['slug']}/lessons/{data['second']}/complete"
    page = outsider.post(url)
    assert page.status_code == 403 and "Enrol in this course" in page_text(page)
    as_json = outsider.post(url, json={}, headers={"Accept": "application/json"})
    assert as_json.status_code == 403 and as_json.is_json and as_json.json["message"]
    preview = outsider.post(f"/courses/{data['slug']}/lessons/{data['preview']}/complete")
    assert preview.status_code == 403, "a free preview opens, but is not tracked for outsiders"
    teacher = app.test_client()
    login(teacher, data["instructor"])
    assert teacher.post(url).status_code == 403, "staff open everything but have nothing to track"
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    assert client.post(url, json={}, headers={"Accept": "application/json"}).status_code == 401
    assert learner.post(f"/courses/{data['slug']}/lessons/999999/complete").status_code == 404
    other = course_with_lessons(app, title="Elsewhere")
    wrong_course = learner.post(f"/courses/{other['slug']}/lessons/{data['second']}/complete")
    assert wrong_course.status_code == 404, "a lesson of another course"
    with app.app_context():
        rows = db.session.scalars(select(LessonProgress).where(LessonProgress.lesson_id == data["second"]))
        assert [row.completed_at for row in rows] == [], "nobody completed it"
        db.session.remove()
    assert learner.post(url).status_code == 302
    assert _progress(app, learner.user_id, data["second"]) == "completed"


def test_heartbeat_requires_csrf_and_answers_json(app, login_as, monkeypatch):
    data = course_with_lessons(app, title="Beating")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}/lessons/{data['third']}/heartbeat"
    page = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['third']}"))
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = student.post(url, json={"active": True}, headers={"Accept": "application/json"})
    assert refused.status_code == 400
    ok = student.post(
        url, json={"active": True, "position": 10, "duration": 300}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.is_json
    assert set(ok.json) == {"credited_seconds", "lesson_seconds", "course_seconds", "completed"}
    assert ok.json["completed"] is False
    ended = student.post(
        url, json={"ended": True, "position": 300, "duration": 300}, headers={"X-CSRFToken": token}
    )
    assert ended.json["completed"] is True
    bad = student.post(url, json={"position": "soon"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and bad.is_json


def test_heartbeat_refuses_visitors_and_outsiders_with_json(app, client, login_as):
    data = course_with_lessons(app, title="Beat Guard")
    url = f"/courses/{data['slug']}/lessons/{data['second']}/heartbeat"
    assert client.post(url, json={}).status_code == 401
    outsider = login_as("Student").post(url, json={"active": True})
    assert outsider.status_code == 403 and outsider.is_json


# ---- notes -----------------------------------------------------------------------------------
def test_private_notes_stay_private_and_public_ones_are_shared(app, login_as):
    data = course_with_lessons(app, title="Noted")
    author, classmate = login_as("Student"), login_as("Student")
    for student in (author, classmate):
        enrol(app, student.user_id, data["id"])
    notes_url = f"/notes/lesson/{data['second']}"  # the generic route every learning target posts to
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    saved = author.post(
        notes_url, data={"body": "my secret thought", "visibility": "private", "color": "blue"}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{lesson_url}#notes")
    author.post(notes_url, data={"body": "shared insight", "visibility": "public"})
    mine = page_text(author.get(lesson_url))
    assert "my secret thought" in mine and "shared insight" in mine and "note-blue" in mine
    theirs = page_text(classmate.get(lesson_url))
    assert "my secret thought" not in theirs and "shared insight" in theirs
    with app.app_context():
        from app.courses.models import Note

        public_id = db.session.scalar(select(Note.id).where(Note.body.like("%shared insight%")))
        db.session.remove()
    response = classmate.post(
        f"/courses/{data['slug']}/notes/{public_id}", data={"action": "like", "next": lesson_url}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{lesson_url}#notes")
    assert "♥ 1" in page_text(classmate.get(lesson_url))


def test_note_owner_pins_edits_sees_history_archives_and_deletes(app, login_as):
    data = course_with_lessons(app, title="Note Life")
    author, other = login_as("Student"), login_as("Student")
    enrol(app, author.user_id, data["id"])
    enrol(app, other.user_id, data["id"])
    with app.app_context():
        user = db.session.get(LmsUser, author.user_id)
        note = make_note(
            user, db.session.get(Course, data["id"]), body="first words", target_type="lesson",
            target_id=data["second"],
        )  # fmt: skip
        note_id = note.id
        db.session.remove()
    action_url = f"/courses/{data['slug']}/notes/{note_id}"
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    assert other.post(action_url, data={"action": "delete"}).status_code == 302
    assert "first words" in page_text(author.get(lesson_url)), "a stranger cannot delete it"
    author.post(action_url, data={"action": "pin"})
    author.post(action_url, data={"action": "edit", "body": "second words", "visibility": "private"})
    page = page_text(author.get(lesson_url))
    assert (
        "Pinned" in page and "second words" in page and "Earlier versions" in page and "first words" in page
    )
    author.post(action_url, data={"action": "archive"})
    assert "Archived notes (1)" in page_text(author.get(lesson_url))
    author.post(action_url, data={"action": "delete"})
    assert "second words" not in page_text(author.get(lesson_url))


def test_visitors_of_a_preview_see_no_notes_panel(app, client):
    data = course_with_lessons(app, title="No Notes For Visitors")
    page = page_text(client.get(f"/courses/{data['slug']}/lessons/{data['preview']}"))
    assert 'id="notes"' not in page


def test_comments_and_replies_on_a_lesson(app, client, login_as):
    data = course_with_lessons(app, title="Discussed")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    lesson_url = f"/courses/{data['slug']}/lessons/{data['preview']}"
    comments_url = f"/comments/lesson/{data['preview']}"  # the generic route of every comment form
    for old_route in ("comments", "notes"):  # the lesson-only routes are gone
        assert student.post(f"{lesson_url}/{old_route}", data={"body": "x"}).status_code == 404
    response = student.post(comments_url, data={"body": "Great <b>intro</b><script>x()</script>"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{lesson_url}#comments")
    page = page_text(student.get(lesson_url))
    assert "Great <b>intro</b>" in page and "x()" not in page
    parent_id = int(re.search(r'name="parent_id" value="(\d+)"', page).group(1))
    student.post(comments_url, data={"body": "Replying to myself", "parent_id": str(parent_id)})
    page = page_text(student.get(lesson_url))
    assert "Replying to myself" in page and "Comments <span" in page
    visitor = page_text(client.get(lesson_url))
    assert "Great <b>intro</b>" in visitor and "Sign in to comment" in visitor
    outsider = login_as("Student")
    second_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    refused = outsider.post(f"/comments/lesson/{data['second']}", data={"body": "outsider says hello"})
    assert refused.status_code == 404  # a lesson they may not open is not there for them
    assert "outsider says hello" not in page_text(student.get(second_url))


def test_only_allowed_players_are_framed_others_are_links(app, login_as):
    data = course_with_lessons(app, title="Embeds")
    with app.app_context():
        video = require_lookup_id("content_types", "video")
        for n, url in enumerate(("https://www.youtube-nocookie.com/embed/abc", "https://unknown.test/v/1")):
            db.session.add(
                LessonContent(lesson_id=data["second"], kind_id=video, external_url=url, position=n)
            )
        db.session.commit()
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    page = page_text(student.get(f"/courses/{data['slug']}/lessons/{data['second']}"))
    assert '<iframe class="lesson-embed" src="https://www.youtube-nocookie.com/embed/abc"' in page
    assert 'src="https://unknown.test/v/1"' not in page  # the CSP would block the frame anyway
    assert 'href="https://unknown.test/v/1"' in page


def test_a_locked_lesson_takes_no_notes_or_comments_and_shows_none(app, login_as):
    data = course_with_lessons(app, title="Locked", sequential=True)
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    locked = f"/courses/{data['slug']}/lessons/{data['second']}"
    assert student.get(locked).status_code == 403
    for kind in ("notes", "comments"):
        posted = student.post(
            f"/{kind}/lesson/{data['second']}",
            data={"body": "sneaky", "visibility": "private", "color": "yellow"},
        )
        assert posted.status_code == 404, kind
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Note).where(Note.target_id == data["second"]))
            == 0
        )
        from app.engagement.models import Comment

        on_lesson = select(func.count()).select_from(Comment).where(Comment.target_id == data["second"])
        assert db.session.scalar(on_lesson) == 0
    api = app.test_client()
    with app.app_context():
        username = db.session.get(LmsUser, student.user_id).username
    headers = jwt_headers(api, username)
    assert api.get(f"/api/v1/comment/for/lesson/{data['second']}", headers=headers).status_code == 403
    posted = api.post(
        "/api/v1/comment/",
        json={"target_type": "lesson", "target_id": data["second"], "body": "x"},
        headers=headers,
    )
    assert posted.status_code == 403


def test_absurd_numbers_are_refused_or_empty_never_a_500(app, login_as):
    data = course_with_lessons(app, title="Numbers")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    lesson = f"/courses/{data['slug']}/lessons/{data['second']}"
    assert student.get(f"{lesson}?comments_page=10000000000000000000").status_code == 200
    for body in ({"position": 1e12, "duration": 1e12}, {"position": -5}, {"position": 1e300}):
        response = student.post(f"{lesson}/heartbeat", json=body)
        assert response.status_code == 422, body
        assert set(response.json) >= {"message", "errors"}
    api = app.test_client()
    with app.app_context():
        username = db.session.get(LmsUser, student.user_id).username
    headers = jwt_headers(api, username)
    assert (
        api.get(
            f"/api/v1/comment/for/lesson/{data['second']}?page=999999999999999999", headers=headers
        ).status_code
        == 200
    )
    assert api.get(f"/api/v1/comment/for/lesson/{data['second']}?page=²", headers=headers).status_code in (
        400,
        422,
    )
    assert api.put("/api/v1/comment/²", json={"body": "x"}, headers=headers).status_code == 404
    posted = api.post(
        "/api/v1/comment/", json={"target_type": "lesson", "target_id": "²", "body": "x"}, headers=headers
    )
    assert posted.status_code == 422
