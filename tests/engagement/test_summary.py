"""The one-statement summary of reactions, favorites and shares that pages show for their targets."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.transactions import transaction
from app.engagement import services
from app.engagement.services.summary import engagement_summary
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.portal.test_player_queries import captured


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline


def test_summary_equals_the_separate_summaries_in_one_statement(app: Any, ctx: None) -> None:
    teacher = make_user("Instructor")
    sara, lina = make_user("Student"), make_user("Student")
    course, other_course = make_course(instructors=[teacher]), make_course(instructors=[teacher])
    lesson = make_lesson(make_section(course))
    for person in (sara, lina):
        make_enrollment(person, course)
    with transaction():
        comment = services.add_comment(lina, "lesson", lesson.id, "<p>Hello</p>")
        services.react(sara, "course", course.id, "love")
        services.react(lina, "course", course.id, "like")
        services.react(sara, "comment", comment.id, "insightful")
        services.favorite(sara, "course", course.id)
        services.favorite(lina, "course", course.id)
        services.favorite(lina, "comment", comment.id)
        services.share(sara, "course", course.id, "copy")
        services.share(lina, "course", course.id, "whatsapp")
    wanted = {"course": [course.id, other_course.id], "comment": [comment.id]}
    assert sara.id  # loaded before counting (the commit expired it)
    with captured(app) as statements:
        got = engagement_summary(sara, wanted)
    assert len(statements) == 1, statements
    for code, ids in wanted.items():
        separate = services.reaction_summary(code, ids, sara)
        assert got[code].reactions == separate, code
        counts, mine = services.favorite_summary(sara, code, ids)
        assert got[code].favorite_counts == counts and got[code].my_favorites == mine, code
    assert got["course"].reactions[course.id].counts == {"love": 1, "like": 1}
    assert got["course"].reactions[course.id].mine == "love"
    assert got["course"].favorite_counts == {course.id: 2, other_course.id: 0}
    assert got["course"].my_favorites == {course.id}
    assert got["comment"].my_favorites == set() and got["comment"].favorite_counts == {comment.id: 1}
    assert got["course"].shares == services.share_summary("course", wanted["course"])
    assert got["course"].shares == {course.id: (2, 0), other_course.id: (0, 0)}
    anonymous = engagement_summary(None, wanted)
    assert anonymous["course"].reactions[course.id].mine is None and anonymous["course"].my_favorites == set()
    assert anonymous["course"].favorite_counts[course.id] == 2
    with captured(app) as statements:
        assert engagement_summary(sara, {"course": []})["course"].favorite_counts == {}
    assert statements == []
