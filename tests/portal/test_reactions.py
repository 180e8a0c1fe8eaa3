"""The portal's reaction bar: form posts without scripts (a pressed type again removes it), JSON for
scripts, accessible buttons in both languages, nothing for invisible targets, and one statement for
all of a page's summaries."""

from __future__ import annotations

import re
from typing import Any

from app.core.transactions import transaction
from app.engagement import services
from app.extensions import db
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.portal.test_player_queries import captured
from tests.portal_helpers import course_with_lessons, enrol, page_text


def _pressed(page: str) -> list[str]:
    return re.findall(r'aria-pressed="true"\s+title="[^"]*"\s+data-reaction="(\w+)"', page)


def test_react_change_and_remove_with_form_posts(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Reacted")
    student = login_as("Student")
    url = f"/courses/{data['slug']}"
    page = page_text(student.get(url))
    assert 'role="group"' in page and 'aria-pressed="false"' in page and _pressed(page) == []
    posted = student.post(f"/reactions/course/{data['id']}", data={"type": "love"})
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith(f"{url}#reactions-course-{data['id']}")
    page = page_text(student.get(url))
    assert _pressed(page) == ["love"]
    student.post(f"/reactions/course/{data['id']}", data={"type": "like"})
    assert _pressed(page_text(student.get(url))) == ["like"]
    student.post(f"/reactions/course/{data['id']}", data={"type": "like"})  # pressed again: removed
    assert _pressed(page_text(student.get(url))) == []
    student.get("/lang/ar")
    arabic = page_text(student.get(url))
    assert 'dir="rtl"' in arabic and "أعجبني" in arabic and "التفاعل مع هذه الدورة" in arabic


def test_json_answer_for_scripts_and_errors(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Scripted")
    student = login_as("Student")
    json_headers = {"Accept": "application/json"}
    answer = student.post(f"/reactions/course/{data['id']}", data={"type": "celebrate"}, headers=json_headers)
    assert answer.status_code == 200
    assert answer.json["mine"] == "celebrate" and answer.json["counts"]["celebrate"] == 1
    bad = student.post(f"/reactions/course/{data['id']}", data={"type": "hate"}, headers=json_headers)
    assert bad.status_code == 422 and "type" in bad.json["errors"]
    with app.app_context():
        draft = make_course(status="draft")
        draft_id = draft.id
        db.session.remove()
    assert student.post(f"/reactions/course/{draft_id}", data={"type": "like"}).status_code == 404
    assert student.post("/reactions/spaceship/1", data={"type": "like"}).status_code == 404
    visitor = app.test_client()
    assert visitor.post(f"/reactions/course/{data['id']}", data={"type": "like"}).status_code == 302
    assert "Sign in to react." in page_text(visitor.get(f"/courses/{data['slug']}"))


def test_comment_bars_on_the_lesson_page(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Discussed")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    with app.app_context():
        user = db.session.get(LmsUser, student.user_id)
        with transaction():
            comment = services.add_comment(user, "lesson", data["second"], "<p>Nice</p>")
            services.react(user, "comment", comment.id, "insightful")
        comment_id = comment.id
        db.session.remove()
    url = f"/courses/{data['slug']}/lessons/{data['second']}"
    page = page_text(student.get(url))
    assert f'id="reactions-comment-{comment_id}"' in page and _pressed(page) == ["insightful"]
    posted = student.post(f"/reactions/comment/{comment_id}", data={"type": "curious"})
    assert posted.headers["Location"].endswith(f"{url}#comment-{comment_id}")
    assert _pressed(page_text(student.get(url))) == ["curious"]


def test_the_course_page_runs_at_most_one_more_statement(app: Any, login_as: Any, monkeypatch: Any) -> None:
    data = course_with_lessons(app, title="Counted bar")
    student = login_as("Student")
    url = f"/courses/{data['slug']}"
    student.get(url)  # warm the caches (lookups, reaction types)
    with captured(app) as with_bar:
        assert "data-reaction-bar" in page_text(student.get(url))

    def nothing(user: Any, **wanted: Any) -> dict[str, Any]:
        return {
            code: {
                "reactions": {},
                "favorites": {"type": code, "counts": {}, "mine": set()},
                "shares": dict.fromkeys(ids, (0, 0)),
            }
            for code, ids in wanted.items()
        }

    monkeypatch.setattr("app.portal.courses.engagement_data", nothing)
    monkeypatch.setattr("app.portal.discussions.engagement_data", nothing)  # its comments' and the course's
    student.get(url)
    with captured(app) as without_bar:
        assert "data-reaction-bar" not in page_text(student.get(url))
    # Reactions, favorites and shares together cost one statement.
    assert len(with_bar) <= len(without_bar) + 1, with_bar
