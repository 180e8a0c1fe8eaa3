"""Discussions and notes in the portal beyond lessons: the course page (comments on the course, the
learner's notes), section pages, quiz and assignment pages; nested replies rendered nested with
their own reply forms and reaction bars, mentions linked to profiles; nothing for those not allowed
(a private course is a 404); Arabic pages show the new texts right to left."""

from __future__ import annotations

import re
from typing import Any

from app.courses.models import Course, CourseSection
from app.engagement.models import Comment
from app.extensions import db
from tests.assessment_factories import make_assignment, make_quiz
from tests.course_factories import make_course, make_lesson, make_section
from tests.portal_helpers import course_with_lessons, enrol, page_text


def _section_id(app: Any, course_id: int) -> int:
    with app.app_context():
        section_id = db.session.query(CourseSection.id).filter_by(course_id=course_id).scalar()
        db.session.remove()
    return section_id


def _comment_ids(app: Any, target_type: str, target_id: int) -> list[int]:
    with app.app_context():
        ids = [
            c.id
            for c in db.session.query(Comment)
            .filter_by(target_type=target_type, target_id=target_id)
            .order_by(Comment.id)
        ]
        db.session.remove()
    return ids


def test_course_page_discussion_with_nested_replies(app: Any, client: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Talked about")
    student, other = login_as("Student"), login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}"
    post = f"/comments/course/{data['id']}"
    answer = student.post(post, data={"body": "Is this for beginners?", "next": url})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{url}#comments")
    [top] = _comment_ids(app, "course", data["id"])
    other.post(post, data={"body": "Yes it is", "parent_id": str(top), "next": url})
    [_top, reply] = _comment_ids(app, "course", data["id"])
    student.post(post, data={"body": "Thanks!", "parent_id": str(reply), "next": url})
    [*_, deep] = _comment_ids(app, "course", data["id"])
    other.post(post, data={"body": "Welcome", "parent_id": str(deep), "next": url})  # clamped: a sibling

    page = page_text(student.get(url))
    assert 'id="comments"' in page and "Discussion and notes" in page
    # Nested: the reply inside the top comment's replies, and the deep ones inside the reply's.
    top_block = page[page.index(f'id="comment-{top}"') :]
    assert top_block.index("Yes it is") < top_block.index("Thanks!") < top_block.index("Welcome")
    assert page.count('class="replies"') == 2
    assert len(re.findall(r'name="parent_id" value="\d+"', page)) == 4  # a reply form on each
    assert page.count('id="reactions-comment-') == 4
    assert 'id="notes"' in page and 'action="/notes/course/' in page  # the learner's notes on the course
    # A visitor reads the discussion but writes nothing and sees no notes.
    visitor = page_text(client.get(url))
    assert "Is this for beginners?" in visitor and "Sign in to comment." in visitor
    assert 'name="parent_id"' not in visitor and 'id="notes"' not in visitor
    # A signed-in learner of another course sees the discussion of this listed course, no notes.
    outsider = page_text(other.get(url))
    assert "Thanks!" in outsider and 'id="notes"' not in outsider


def test_notes_on_the_course_page(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Noted")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}"
    saved = student.post(f"/notes/course/{data['id']}", data={"body": "Remember the exam date", "next": url})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{url}#notes")
    page = page_text(student.get(url))
    assert "Remember the exam date" in page
    outsider = login_as("Student")
    outsider.post(f"/notes/course/{data['id']}", data={"body": "Sneaky note", "next": url})
    assert "Sneaky note" not in page_text(student.get(url))


def test_section_page_discussion_and_notes(app: Any, client: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Sectioned")
    section_id = _section_id(app, data["id"])
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}/sections/{section_id}"
    assert f'href="{url}"' in page_text(student.get(f"/courses/{data['slug']}"))  # linked from the course
    student.post(f"/comments/course_section/{section_id}", data={"body": "About this section", "next": url})
    student.post(f"/notes/course_section/{section_id}", data={"body": "Section note", "next": url})
    page = page_text(student.get(url))
    assert "Basics" in page and "Variables" in page
    assert "About this section" in page and "Section note" in page
    # Not enrolled: the page shows the lessons, not the discussion; posting is a 404.
    outsider = login_as("Student")
    closed = page_text(outsider.get(url))
    assert "About this section" not in closed and 'id="section-discussion-closed"' in closed
    assert "Section note" not in closed
    refused = outsider.post(f"/comments/course_section/{section_id}", data={"body": "Let me in"})
    assert refused.status_code == 404
    assert outsider.post(f"/notes/course_section/{section_id}", data={"body": "x"}).status_code == 404
    assert "About this section" not in page_text(client.get(url))
    # Unknown sections, sections of another course, unknown targets: 404.
    assert student.get(f"/courses/{data['slug']}/sections/999999999").status_code == 404
    assert student.post("/comments/spaceship/1", data={"body": "x"}).status_code == 404
    assert student.post("/notes/spaceship/1", data={"body": "x"}).status_code == 404


def test_a_private_course_and_its_sections_do_not_exist_for_outsiders(app: Any, login_as: Any) -> None:
    with app.app_context():
        course = make_course(title="Secret", visibility="private")
        section = make_section(course)
        make_lesson(section)
        ids = {"course": course.id, "slug": course.slug, "section": section.id}
        db.session.remove()
    outsider = login_as("Student")
    assert outsider.get(f"/courses/{ids['slug']}").status_code == 404
    assert outsider.get(f"/courses/{ids['slug']}/sections/{ids['section']}").status_code == 404
    assert outsider.post(f"/comments/course/{ids['course']}", data={"body": "x"}).status_code == 404
    assert outsider.post(f"/notes/course/{ids['course']}", data={"body": "x"}).status_code == 404
    assert _comment_ids(app, "course", ids["course"]) == []


def test_mentions_link_to_profiles(app: Any, login_as: Any, user_factory: Any) -> None:
    data = course_with_lessons(app, title="Mentioned")
    _, friend = user_factory("Student")
    student = login_as("Student")
    url = f"/courses/{data['slug']}"
    body = f"Ask @{friend} or @nobody_here <b>@{friend}</b>"
    student.post(f"/comments/course/{data['id']}", data={"body": body, "next": url})
    page = page_text(student.get(url))
    assert page.count(f'<a class="mention" href="/u/{friend}">@{friend}</a>') == 2
    assert "@nobody_here" in page and 'href="/u/nobody_here"' not in page


def test_hidden_comments_take_no_replies_in_the_page(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Moderated")
    student = login_as("Student")
    url = f"/courses/{data['slug']}"
    student.post(f"/comments/course/{data['id']}", data={"body": "Spam spam", "next": url})
    [top] = _comment_ids(app, "course", data["id"])
    with app.app_context():
        comment = db.session.get(Comment, top)
        comment.is_hidden = True  # as a moderator's hide leaves it (counters aside)
        db.session.commit()
        db.session.remove()
    page = page_text(student.get(url))  # the author still sees it, marked, without a reply form
    assert "Spam spam" in page and "Hidden" in page and 'name="parent_id"' not in page
    other = login_as("Student")
    assert "Spam spam" not in page_text(other.get(url))
    refused = other.post(f"/comments/course/{data['id']}", data={"body": "Me too", "parent_id": str(top)})
    assert refused.status_code == 302 and len(_comment_ids(app, "course", data["id"])) == 1


def test_quiz_and_assignment_pages_show_the_learners_notes(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Assessed")
    with app.app_context():
        course = db.session.get(Course, data["id"])
        quiz_id, assignment_id = make_quiz(course).id, make_assignment(course).id
        db.session.remove()
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    for page_url, target in (
        (f"/quizzes/{quiz_id}", f"/notes/quiz/{quiz_id}"),
        (f"/assignments/{assignment_id}", f"/notes/assignment/{assignment_id}"),
    ):
        saved = student.post(target, data={"body": f"Note for {page_url}", "next": page_url})
        assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{page_url}#notes")
        page = page_text(student.get(page_url))
        assert f"Note for {page_url}" in page and f'action="{target}"' in page
    outsider = login_as("Student")
    assert outsider.post(f"/notes/quiz/{quiz_id}", data={"body": "x"}).status_code == 404


def test_arabic_pages_show_the_new_texts_right_to_left(app: Any, login_as: Any) -> None:
    data = course_with_lessons(app, title="Arabic")
    section_id = _section_id(app, data["id"])
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    student.get("/lang/ar")
    course_page = page_text(student.get(f"/courses/{data['slug']}"))
    assert 'dir="rtl"' in course_page
    assert "النقاش والملاحظات" in course_page and "Discussion and notes" not in course_page
    assert "اكتب @اسم_المستخدم للإشارة إلى شخص ما." in course_page
    section = page_text(student.get(f"/courses/{data['slug']}/sections/{section_id}"))
    assert 'dir="rtl"' in section and "الدروس" in section and "لا توجد ملاحظات هنا بعد." in section


def test_posts_go_back_to_a_same_site_next_only(app: Any, login_as: Any) -> None:
    """`next` comes from a form anyone can craft: comment, note and note-action posts follow a path of
    this site and never another host (`/\\evil.com` and `//evil.com` are host names to a browser)."""
    data = course_with_lessons(app, title="Nowhere else")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}"
    lesson_url = f"{url}/lessons/{data['second']}"
    saved = student.post(f"/notes/course/{data['id']}", data={"body": "Mine", "next": lesson_url})
    assert saved.headers["Location"].endswith(f"{lesson_url}#notes")  # a same-site path is followed
    with app.app_context():
        from app.courses.models import Note

        note_id = db.session.query(Note.id).filter_by(user_id=student.user_id).scalar()
        db.session.remove()
    for evil in ("/\\evil.com", "//evil.com", "https://evil.com", "/\t/evil.com", "javascript:alert(1)"):
        for post, form, anchor in (
            (f"/comments/course/{data['id']}", {"body": "Hello"}, "#comments"),
            (f"/notes/course/{data['id']}", {"body": "A note"}, "#notes"),
            (f"{url}/notes/{note_id}", {"action": "pin"}, "#notes"),
        ):
            answer = student.post(post, data={**form, "next": evil})
            location = answer.headers["Location"]
            assert answer.status_code == 302 and location.endswith(f"{url}{anchor}"), (evil, post, location)
            assert "evil" not in location and "javascript" not in location, (evil, post, location)


def test_every_comment_shown_has_its_figures_even_past_500(app: Any, ctx: None, monkeypatch: Any) -> None:
    """A page shows its threads with all their replies: 600 replies in one thread are 601 comments
    shown, and each one, the last too, has its reactions and favorites, read in ONE statement."""
    from sqlalchemy import insert

    from app.core.transactions import transaction
    from app.engagement import services
    from app.portal.discussions import discussion
    from tests.course_factories import make_enrollment
    from tests.factories import make_user
    from tests.portal.test_player_queries import captured

    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline
    teacher, sara, lina = make_user("Instructor"), make_user("Student"), make_user("Student")
    course = make_course(instructors=[teacher])
    for person in (sara, lina):
        make_enrollment(person, course)
    with transaction():
        top = services.add_comment(lina, "course", course.id, "<p>Top</p>")
    reply = {"target_type": "course", "target_id": course.id, "parent_id": top.id, "root_id": top.id}
    db.session.execute(
        insert(Comment),
        [{**reply, "depth": 2, "author_id": lina.id, "body": f"<p>{n}</p>"} for n in range(600)],
    )
    db.session.commit()
    last = max(_comment_ids(app, "course", course.id))
    with transaction():
        services.react(sara, "comment", last, "love")
        services.favorite(sara, "comment", last)
    assert sara.id and course.slug  # loaded before counting (the commit expired them)
    with app.test_request_context(f"/courses/{course.slug}"), captured(app) as statements:
        shown = discussion(sara, "course", course.id, f"/courses/{course.slug}")
    assert shown is not None
    ids = [c.id for thread in shown["listing"] for c in (thread.comment, *thread.replies)]
    assert len(ids) == 601 and last in ids
    summaries = shown["reactions"]["summaries"]
    assert set(summaries) == set(ids)
    assert (summaries[last].counts, summaries[last].mine) == ({"love": 1}, "love")
    assert shown["favorites"]["counts"][last] == 1 and last in shown["favorites"]["mine"]
    figures_reads = [s for s in statements if "reaction_count" in s]
    assert len(figures_reads) == 1, figures_reads
