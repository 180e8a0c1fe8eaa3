"""Mentions: `@username` in a comment tells exactly the users named, once per comment: existing,
active users who can see the comment, never the author, at most MAX_MENTIONS; a reply's author
hears of the reply only; editing tells only the newly mentioned. Portal bodies link mentions."""

from __future__ import annotations

from typing import Any

import pytest

from app.engagement.services import add_comment, edit_comment
from app.engagement.services.mentions import MAX_MENTIONS, mentioned_names
from app.extensions import db
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import link_of, only_row, rows_of, texts

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # delivery runs inline


@pytest.fixture
def people() -> dict[str, Any]:
    teacher = make_user("Instructor", username="tariq")
    author = make_user("Student", username="sara", first_name="Sara", last_name="Student", name_ar="سارة")
    friend = make_user("Student", username="lina.k")
    other = make_user("Student", username="omar_2")
    outsider = make_user("Student", username="nadia")  # not enrolled: cannot see the lesson
    sleeper = make_user("Student", username="sami", status="inactive")
    sleeper.active = False
    course = make_course(instructors=[teacher])
    lesson = make_lesson(make_section(course), title="Loops")
    lesson.translations = {"en": {"title": "Loops"}, "ar": {"title": "الحلقات"}}
    db.session.commit()
    for user in (author, friend, other, sleeper):
        make_enrollment(user, course)
    return {
        "lesson": lesson,
        "teacher": teacher,
        "author": author,
        "friend": friend,
        "other": other,
        "outsider": outsider,
        "sleeper": sleeper,
    }


def test_names_are_read_from_the_text() -> None:
    body = "<p>Hi @Lina.K and @omar_2, @lina.k again; mail me at x@example.com, not @.</p><p>@tariq.</p>"
    assert mentioned_names(body) == ["lina.k", "omar_2", "tariq"]
    assert mentioned_names("<a href='https://x.test/@sara'>link</a>") == []  # attributes are not text


def test_a_mention_tells_exactly_the_right_users_once(people: dict[str, Any]) -> None:
    p = people
    body = (
        "<p>@lina.k @LINA.K @omar_2 @nadia @sami @sara @ghost @tariq — @lina.k</p>"  # repeats, unknown, self
    )
    comment = add_comment(p["author"], "lesson", p["lesson"].id, body)
    db.session.commit()
    for name in ("friend", "other", "teacher"):
        row = only_row(p[name], "mention")
        assert row.target_id == comment.id
    english, arabic = texts(only_row(p["friend"], "mention"))
    assert english == "Sara Student mentioned you in a comment on Loops"
    assert "سارة" in arabic and "الحلقات" in arabic and "mentioned" not in arabic
    lesson = p["lesson"]
    assert link_of(p["friend"], only_row(p["friend"], "mention")) == (
        f"/courses/{lesson.course.slug}/lessons/{lesson.id}#comment-{comment.id}"
    )
    for name in ("outsider", "sleeper", "author"):  # cannot see it, inactive, the author
        assert rows_of(p[name], "mention") == []


def test_the_replied_to_author_hears_of_the_reply_only(people: dict[str, Any]) -> None:
    p = people
    question = add_comment(p["author"], "lesson", p["lesson"].id, "How?")
    add_comment(p["friend"], "lesson", p["lesson"].id, "@sara like this, see @omar_2", question.id)
    db.session.commit()
    assert len(rows_of(p["author"], "reply")) == 1 and rows_of(p["author"], "mention") == []
    assert len(rows_of(p["other"], "mention")) == 1


def test_editing_tells_only_the_newly_mentioned(people: dict[str, Any]) -> None:
    p = people
    comment = add_comment(p["author"], "lesson", p["lesson"].id, "Thanks @lina.k")
    db.session.commit()
    edit_comment(p["author"], comment, "Thanks @lina.k and @omar_2")
    db.session.commit()
    assert len(rows_of(p["friend"], "mention")) == 1
    assert len(rows_of(p["other"], "mention")) == 1
    edit_comment(p["author"], comment, "Thanks @omar_2")  # removing and re-adding tells no one again
    edit_comment(p["author"], comment, "Thanks @omar_2 and @lina.k")
    db.session.commit()
    assert len(rows_of(p["friend"], "mention")) == 1 and len(rows_of(p["other"], "mention")) == 1


def test_at_most_max_mentions_per_comment(people: dict[str, Any]) -> None:
    p = people
    crowd = [make_user("Student", username=f"crowd{i}") for i in range(MAX_MENTIONS + 2)]
    for user in crowd:
        make_enrollment(user, p["lesson"].course)
    add_comment(p["author"], "lesson", p["lesson"].id, " ".join(f"@{u.username}" for u in crowd))
    db.session.commit()
    told = [u for u in crowd if rows_of(u, "mention")]
    assert told == crowd[:MAX_MENTIONS]
