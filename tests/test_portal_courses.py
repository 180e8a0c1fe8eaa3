"""The learner portal's course pages: catalog, course page (SEO, enrolment), player, notes, My learning."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.courses.models import Course, Enrollment, LessonContent, Note
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.course_factories import (
    buy,
    grant_subscription,
    make_course,
    make_enrollment,
    make_lesson,
    make_note,
    make_section,
)
from tests.factories import make_user


# ---- helpers ---------------------------------------------------------------------------------
def _page(response: Any) -> str:
    return response.get_data(as_text=True)


def _course_with_lessons(app, **fields: Any) -> dict[str, Any]:
    """A course with one section and three lessons (a free preview first); ids and slug back."""
    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(instructors=[instructor], **fields)
        section = make_section(course, "Basics")
        preview = make_lesson(section, "Welcome", is_free_preview=True)
        second = make_lesson(section, "Variables", content_type="text")
        third = make_lesson(section, "Video time", content_type="video", duration_minutes=5)
        db.session.add(
            LessonContent(
                lesson_id=second.id,
                kind_id=require_lookup_id("content_types", "text"),
                translations={"en": {"body": "<p>Variables hold values</p><script>alert(1)</script>"}},
            )
        )
        db.session.commit()
        data = {
            "id": course.id,
            "slug": course.slug,
            "instructor": instructor.username,
            "preview": preview.id,
            "second": second.id,
            "third": third.id,
        }
        db.session.remove()
    return data


def _enrol(app, user_id: int, course_id: int) -> None:
    with app.app_context():
        make_enrollment(user_id, db.session.get(Course, course_id))
        db.session.remove()


def _jsonld(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


# ---- catalog ---------------------------------------------------------------------------------
def test_catalog_searches_titles_in_english_and_arabic(app, client):
    with app.app_context():
        make_course(title="Quantum Gardening", title_ar="البستنة الكمية")
        make_course(title="Pottery Basics", title_ar="أساسيات الفخار")
        db.session.remove()
    english = _page(client.get("/courses/?q=gardening"))
    assert "Quantum Gardening" in english and "Pottery Basics" not in english
    arabic = _page(client.get("/courses/?q=الفخار&_l_=ar"))
    assert "أساسيات الفخار" in arabic and "البستنة الكمية" not in arabic
    empty = _page(client.get("/courses/?q=nothing-like-this"))
    assert "No course matches your search" in empty


def test_catalog_filters_by_category_level_price_and_plan(app, login_as):
    with app.app_context():
        make_course(title="Filter Alpha", category="programming", level="beginner", price=0)
        make_course(title="Filter Beta", category="data_science", level="intermediate", price=20)
        make_course(title="Filter Gamma", price=30, included_in_subscription=False)
        db.session.remove()
    student = login_as("Student")
    page = _page(student.get("/courses/?q=filter&category=programming"))
    assert "Filter Alpha" in page and "Filter Beta" not in page
    page = _page(student.get("/courses/?q=filter&level=intermediate"))
    assert "Filter Beta" in page and "Filter Alpha" not in page
    page = _page(student.get("/courses/?q=filter&price=paid"))
    assert "Filter Beta" in page and "Filter Gamma" in page and "Filter Alpha" not in page
    page = _page(student.get("/courses/?q=filter&price=free"))
    assert "Filter Alpha" in page and "Filter Beta" not in page
    assert "Included in my plan" in page
    page = _page(student.get("/courses/?q=filter&mine=1"))
    assert "Filter Alpha" not in page, "no subscription, nothing in the plan"
    with app.app_context():
        grant_subscription(student.user_id)
        db.session.remove()
    page = _page(student.get("/courses/?q=filter&mine=1"))
    assert "Filter Alpha" in page and "Filter Beta" in page and "Filter Gamma" not in page


def test_catalog_hides_the_plan_filter_from_visitors_and_ignores_bad_values(app, client):
    page = client.get("/courses/?category=nope&level=nope&price=cheap&page=abc&mine=1")
    assert page.status_code == 200
    assert "Included in my plan" not in _page(page)


def test_catalog_paginates_and_keeps_filters_in_page_links(app, client):
    with app.app_context():
        for n in range(14):
            make_course(title=f"Paged Course {n:02d}", level="beginner")
        db.session.remove()
    first = _page(client.get("/courses/?q=paged&level=beginner"))
    assert first.count('class="course-card"') == 12
    links = re.findall(r'href="(/courses/\?[^"]*page=2[^"]*)"', first)
    assert links, "a link to page 2"
    link = links[0].replace("&amp;", "&")
    assert "q=paged" in link and "level=beginner" in link
    second = _page(client.get(link))
    assert second.count('class="course-card"') == 2


def test_arabic_catalog_is_right_to_left_with_arabic_titles(app, client):
    with app.app_context():
        make_course(title="Calligraphy", title_ar="فن الخط العربي")
        db.session.remove()
    page = _page(client.get("/courses/?_l_=ar"))
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert "فن الخط العربي" in page
    assert "Calligraphy" not in page


# ---- course page -----------------------------------------------------------------------------
def test_unknown_draft_and_private_courses_are_not_found(app, client, login_as):
    with app.app_context():
        instructor = make_user("Instructor")
        draft = make_course(
            title="Secret Draft", status="draft", visibility="draft", instructors=[instructor]
        )
        private = make_course(title="Private One", visibility="private")
        slugs = draft.slug, private.slug
        instructor_name = instructor.username
        db.session.remove()
    assert client.get("/courses/no-such-course").status_code == 404
    for slug in slugs:
        assert client.get(f"/courses/{slug}").status_code == 404
        assert login_as("Student").get(f"/courses/{slug}").status_code == 404
    teacher = app.test_client()
    login(teacher, instructor_name)
    response = teacher.get(f"/courses/{slugs[0]}")
    assert response.status_code == 200 and "Secret Draft" in _page(response)


def test_an_old_slug_redirects_permanently(app, client):
    with app.app_context():
        course = make_course(title="Renamed", slug="old-name-course")
        course.slug = "new-name-course"
        db.session.commit()
        db.session.remove()
    response = client.get("/courses/old-name-course?_l_=ar")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/courses/new-name-course?_l_=ar")
    assert client.get("/courses/new-name-course").status_code == 200


def test_course_page_counts_views(app, client):
    data = _course_with_lessons(app, title="Counted")
    client.get(f"/courses/{data['slug']}")
    client.get(f"/courses/{data['slug']}")
    with app.app_context():
        assert db.session.get(Course, data["id"]).view_count == 2
        db.session.remove()


def test_course_page_has_seo_tags_and_safe_json_ld(app, client):
    title = 'Evil </script><script>alert("x")</script> & more'
    with app.app_context():
        course = make_course(
            title=title,
            price="49.50",
            currency="EUR",
            translations={
                "en": {"title": title, "subtitle": "Learn to escape"},
                "ar": {"title": "دورة الهروب", "subtitle": "تعلم الهروب"},
            },
        )
        slug = course.slug
        db.session.remove()
    response = client.get(f"/courses/{slug}?_l_=en")
    page = _page(response)
    assert "<script>alert(" not in page
    assert f'<link rel="canonical" href="http://localhost/courses/{slug}?_l_=en">' in page
    for lang in ("en", "ar"):
        assert f'hreflang="{lang}" href="http://localhost/courses/{slug}?_l_={lang}"' in page
    assert f'hreflang="x-default" href="http://localhost/courses/{slug}"' in page
    assert '<meta property="og:title"' in page and '<meta name="twitter:card"' in page
    assert '<meta name="description" content="Learn to escape">' in page
    data = _jsonld(page)
    assert data["@type"] == "Course" and data["name"] == title
    assert data["offers"]["price"] == "49.50" and data["offers"]["priceCurrency"] == "EUR"
    assert data["inLanguage"] == "en" and data["provider"]["@type"] == "Organization"
    arabic = _page(client.get(f"/courses/{slug}?_l_=ar"))
    assert _jsonld(arabic)["name"] == "دورة الهروب"
    assert f'<link rel="canonical" href="http://localhost/courses/{slug}?_l_=ar">' in arabic


def test_seo_json_overrides_title_description_and_canonical(app, client):
    with app.app_context():
        course = make_course(
            title="Plain title",
            seo={
                "en": {
                    "meta_title": "Custom SEO Title",
                    "meta_description": "Custom description",
                    "keywords": ["python", "basics"],
                    "og_image": "https://cdn.example.com/cover.png",
                    "canonical_url": "https://example.com/python",
                    "schema_markup": {"educationalLevel": "Beginner"},
                }
            },
        )
        slug = course.slug
        db.session.remove()
    page = _page(client.get(f"/courses/{slug}?_l_=en"))
    assert "<title>Custom SEO Title" in page
    assert '<meta name="description" content="Custom description">' in page
    assert '<meta name="keywords" content="python, basics">' in page
    assert '<link rel="canonical" href="https://example.com/python">' in page
    assert '<meta property="og:image" content="https://cdn.example.com/cover.png">' in page
    assert _jsonld(page)["educationalLevel"] == "Beginner"


def test_course_page_lists_syllabus_previews_and_instructors(app, client):
    data = _course_with_lessons(app, title="Syllabus Course")
    page = _page(client.get(f"/courses/{data['slug']}"))
    assert "Basics" in page and "Welcome" in page and "Variables" in page
    assert f"/courses/{data['slug']}/lessons/{data['preview']}" in page, "free preview linked"
    assert f"/courses/{data['slug']}/lessons/{data['second']}" not in page, "others not linked"
    assert "Free preview" in page and "Instructors" in page
    assert "Sign in to enrol" in page


# ---- enrolment -------------------------------------------------------------------------------
def test_enrol_in_a_free_course_then_continue_and_leave(app, login_as):
    data = _course_with_lessons(app, title="Free To Join")
    student = login_as("Student")
    page = _page(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' in page
    response = student.post(f"/courses/{data['slug']}/enroll")
    assert response.status_code == 302
    page = _page(student.get(response.headers["Location"]))
    assert "You are enrolled" in page and "Continue learning" in page
    go = student.get(f"/courses/{data['slug']}/continue")
    assert go.headers["Location"].endswith(f"/lessons/{data['preview']}")
    assert student.post(f"/courses/{data['slug']}/drop").status_code == 302
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == student.user_id))
        assert enrollment.status.code == "dropped"
        db.session.remove()


def test_enrolling_twice_flashes_the_service_error(app, login_as):
    data = _course_with_lessons(app, title="Twice")
    student = login_as("Student")
    student.post(f"/courses/{data['slug']}/enroll")
    response = student.post(f"/courses/{data['slug']}/enroll", follow_redirects=True)
    assert "already enrolled" in _page(response)


def test_paid_course_without_access_offers_buy_and_refuses_enrolment(app, login_as):
    data = _course_with_lessons(app, title="Costly", price=99, included_in_subscription=False)
    student = login_as("Student")
    page = _page(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' not in page and 'id="buy-button"' in page
    response = student.post(f"/courses/{data['slug']}/enroll", follow_redirects=True)
    assert "Buy this course or subscribe" in _page(response)
    with app.app_context():
        assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == student.user_id)) is None
        buy(student.user_id, db.session.get(Course, data["id"]))
        db.session.remove()
    page = _page(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' in page, "bought: may enrol"


def test_subscriber_enrols_in_a_paid_course_included_in_the_plan(app, login_as):
    data = _course_with_lessons(app, title="In Plan", price=50)
    student = login_as("Student")
    with app.app_context():
        grant_subscription(student.user_id)
        db.session.remove()
    assert "Enrol with my plan" in _page(student.get(f"/courses/{data['slug']}"))
    student.post(f"/courses/{data['slug']}/enroll")
    assert "Continue learning" in _page(student.get(f"/courses/{data['slug']}"))


def test_missing_prerequisites_are_listed_and_block_enrolment(app, login_as):
    with app.app_context():
        basic = make_course(title="Prereq Basic")
        advanced = make_course(title="Prereq Advanced")
        advanced.prerequisites = [basic]
        db.session.commit()
        slug = advanced.slug
        db.session.remove()
    student = login_as("Student")
    page = _page(student.get(f"/courses/{slug}"))
    assert "Prerequisites" in page and "Prereq Basic" in page and 'id="enroll-button"' not in page
    response = student.post(f"/courses/{slug}/enroll", follow_redirects=True)
    assert "Complete these courses first" in _page(response)


# ---- player ----------------------------------------------------------------------------------
def test_player_refuses_outsiders_and_opens_previews_to_visitors(app, client, login_as):
    data = _course_with_lessons(app, title="Guarded")
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    outsider = login_as("Student")
    assert outsider.get(lesson_url).status_code == 403
    anonymous = client.get(lesson_url)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    preview = client.get(f"/courses/{data['slug']}/lessons/{data['preview']}")
    assert preview.status_code == 200 and "This is a free preview" in _page(preview)
    assert "Mark complete" not in _page(preview)
    assert client.get(f"/courses/{data['slug']}/lessons/999999").status_code == 404


def test_player_shows_sanitized_content_and_outline(app, login_as):
    data = _course_with_lessons(app, title="Content")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    page = _page(student.get(f"/courses/{data['slug']}/lessons/{data['second']}"))
    assert "<p>Variables hold values</p>" in page and "alert(1)" not in page
    assert "Video time" in page and "Course outline" in page
    assert f"/courses/{data['slug']}/lessons/{data['third']}" in page, "next lesson linked"
    assert 'data-heartbeat-url="/courses/' in page and "js/player.js" in page


def test_sequential_course_locks_later_lessons(app, login_as):
    data = _course_with_lessons(app, title="In Order", sequential=True)
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    response = student.get(f"/courses/{data['slug']}/lessons/{data['third']}")
    assert response.status_code == 403 and "Complete the previous lessons first" in _page(response)
    visitor_preview = app.test_client().get(f"/courses/{data['slug']}/lessons/{data['preview']}")
    assert visitor_preview.status_code == 200, "visitors open previews of sequential courses"


def test_mark_complete_shows_on_my_learning(app, login_as):
    data = _course_with_lessons(app, title="Progressing")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    page = _page(student.get("/my/learning"))
    assert "Progressing" in page and "0% complete" in page
    response = student.post(f"/courses/{data['slug']}/lessons/{data['third']}/complete")
    assert response.status_code == 302
    page = _page(student.get("/my/learning"))
    assert "33% complete" in page and "Continue learning" in page
    player = _page(student.get(f"/courses/{data['slug']}/lessons/{data['third']}"))
    assert "You completed this lesson" in player


def test_opening_a_text_lesson_completes_it(app, login_as):
    data = _course_with_lessons(app, title="Auto Complete")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    student.get(f"/courses/{data['slug']}/lessons/{data['second']}")
    assert "33% complete" in _page(student.get("/my/learning"))


def test_my_learning_needs_a_sign_in(client):
    response = client.get("/my/learning")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_heartbeat_requires_csrf_and_answers_json(app, login_as, monkeypatch):
    data = _course_with_lessons(app, title="Beating")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}/lessons/{data['third']}/heartbeat"
    page = _page(student.get(f"/courses/{data['slug']}/lessons/{data['third']}"))
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
    data = _course_with_lessons(app, title="Beat Guard")
    url = f"/courses/{data['slug']}/lessons/{data['second']}/heartbeat"
    assert client.post(url, json={}).status_code == 401
    outsider = login_as("Student").post(url, json={"active": True})
    assert outsider.status_code == 403 and outsider.is_json


# ---- notes -----------------------------------------------------------------------------------
def test_private_notes_stay_private_and_public_ones_are_shared(app, login_as):
    data = _course_with_lessons(app, title="Noted")
    author, classmate = login_as("Student"), login_as("Student")
    for student in (author, classmate):
        _enrol(app, student.user_id, data["id"])
    notes_url = f"/courses/{data['slug']}/lessons/{data['second']}/notes"
    author.post(notes_url, data={"body": "my secret thought", "visibility": "private", "color": "blue"})
    author.post(notes_url, data={"body": "shared insight", "visibility": "public"})
    lesson_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    mine = _page(author.get(lesson_url))
    assert "my secret thought" in mine and "shared insight" in mine and "note-blue" in mine
    theirs = _page(classmate.get(lesson_url))
    assert "my secret thought" not in theirs and "shared insight" in theirs
    with app.app_context():
        from app.courses.models import Note

        public_id = db.session.scalar(select(Note.id).where(Note.body.like("%shared insight%")))
        db.session.remove()
    response = classmate.post(
        f"/courses/{data['slug']}/notes/{public_id}", data={"action": "like", "next": lesson_url}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{lesson_url}#notes")
    assert "♥ 1" in _page(classmate.get(lesson_url))


def test_note_owner_pins_edits_sees_history_archives_and_deletes(app, login_as):
    data = _course_with_lessons(app, title="Note Life")
    author, other = login_as("Student"), login_as("Student")
    _enrol(app, author.user_id, data["id"])
    _enrol(app, other.user_id, data["id"])
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
    assert "first words" in _page(author.get(lesson_url)), "a stranger cannot delete it"
    author.post(action_url, data={"action": "pin"})
    author.post(action_url, data={"action": "edit", "body": "second words", "visibility": "private"})
    page = _page(author.get(lesson_url))
    assert (
        "Pinned" in page and "second words" in page and "Earlier versions" in page and "first words" in page
    )
    author.post(action_url, data={"action": "archive"})
    assert "Archived notes (1)" in _page(author.get(lesson_url))
    author.post(action_url, data={"action": "delete"})
    assert "second words" not in _page(author.get(lesson_url))


def test_visitors_of_a_preview_see_no_notes_panel(app, client):
    data = _course_with_lessons(app, title="No Notes For Visitors")
    page = _page(client.get(f"/courses/{data['slug']}/lessons/{data['preview']}"))
    assert 'id="notes"' not in page


@pytest.mark.parametrize("path", ["/courses/", "/my/learning"])
def test_navigation_links_to_courses_and_my_learning(login_as, path):
    page = _page(login_as("Student").get(path))
    assert 'href="/courses/"' in page and 'href="/my/learning"' in page


# ---- comments --------------------------------------------------------------------------------
def test_comments_and_replies_on_a_lesson(app, client, login_as):
    data = _course_with_lessons(app, title="Discussed")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    lesson_url = f"/courses/{data['slug']}/lessons/{data['preview']}"
    comments_url = f"{lesson_url}/comments"
    response = student.post(comments_url, data={"body": "Great <b>intro</b><script>x()</script>"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#comments")
    page = _page(student.get(lesson_url))
    assert "Great <b>intro</b>" in page and "x()" not in page
    parent_id = int(re.search(r'name="parent_id" value="(\d+)"', page).group(1))
    student.post(comments_url, data={"body": "Replying to myself", "parent_id": str(parent_id)})
    page = _page(student.get(lesson_url))
    assert "Replying to myself" in page and "Comments <span" in page
    visitor = _page(client.get(lesson_url))
    assert "Great <b>intro</b>" in visitor and "Sign in to comment" in visitor
    outsider = login_as("Student")
    second_url = f"/courses/{data['slug']}/lessons/{data['second']}"
    refused = outsider.post(f"{second_url}/comments", data={"body": "outsider says hello"})
    assert refused.status_code == 302
    assert "outsider says hello" not in _page(student.get(second_url))


def test_an_absurd_page_number_is_an_empty_page_not_an_error(client):
    response = client.get("/courses/?page=99999999999999999999999")
    assert response.status_code == 200


def test_only_allowed_players_are_framed_others_are_links(app, login_as):
    data = _course_with_lessons(app, title="Embeds")
    with app.app_context():
        video = require_lookup_id("content_types", "video")
        for n, url in enumerate(("https://www.youtube-nocookie.com/embed/abc", "https://unknown.test/v/1")):
            db.session.add(
                LessonContent(lesson_id=data["second"], kind_id=video, external_url=url, position=n)
            )
        db.session.commit()
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    page = _page(student.get(f"/courses/{data['slug']}/lessons/{data['second']}"))
    assert '<iframe class="lesson-embed" src="https://www.youtube-nocookie.com/embed/abc"' in page
    assert 'src="https://unknown.test/v/1"' not in page  # the CSP would block the frame anyway
    assert 'href="https://unknown.test/v/1"' in page


def test_a_locked_lesson_takes_no_notes_or_comments_and_shows_none(app, login_as):
    data = _course_with_lessons(app, title="Locked", sequential=True)
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
    locked = f"/courses/{data['slug']}/lessons/{data['second']}"
    assert student.get(locked).status_code == 403
    student.post(f"{locked}/notes", data={"body": "sneaky", "visibility": "private", "color": "yellow"})
    student.post(f"{locked}/comments", data={"body": "sneaky"})
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
    data = _course_with_lessons(app, title="Numbers")
    student = login_as("Student")
    _enrol(app, student.user_id, data["id"])
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
