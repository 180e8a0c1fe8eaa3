"""Portal favorites: the toggle on the course page and on lesson comments (a plain form post with
aria-pressed and the count), My favorites (kinds, search in both languages, collections, move,
remove, exports), and nothing about targets out of reach."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from app.engagement import services
from app.engagement.models import Favorite
from app.extensions import db
from app.security.models import LmsUser
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.portal_helpers import page_text


@pytest.fixture(autouse=True)
def _inline_tasks(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def _button(page: str, target_id: int) -> str:
    """The favorite form of one target on a page."""
    forms = re.findall(r'<form[^>]*class="favorite-form".*?</form>', page, re.S)
    return next(f for f in forms if f'name="target_id" value="{target_id}"' in f)


def test_course_page_toggle_shows_state_and_count_and_works_without_script(app, client, login_as):
    with app.app_context():
        course = make_course(title="Python", title_ar="بايثون")
        slug, course_id = course.slug, course.id
        db.session.remove()
    visitor = page_text(client.get(f"/courses/{slug}"))
    assert "0 favorites" in visitor and "favorite-form" not in visitor  # visitors see the count only
    student = login_as("Student")
    form = _button(page_text(student.get(f"/courses/{slug}")), course_id)
    assert 'aria-pressed="false"' in form and 'name="action" value="add"' in form
    data = {"target_type": "course", "target_id": course_id, "action": "add", "next": f"/courses/{slug}"}
    response = student.post("/my/favorites/toggle", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/courses/{slug}")
    student.post("/my/favorites/toggle", data=data)  # sent twice: still one favorite
    page = page_text(student.get(f"/courses/{slug}"))
    form = _button(page, course_id)
    assert 'aria-pressed="true"' in form and 'name="action" value="remove"' in form
    assert re.search(r'class="favorite-count"[^>]*>1<', form)
    with app.app_context():
        assert db.session.query(Favorite).filter_by(target_type="course", target_id=course_id).count() == 1
        db.session.remove()
    student.post("/my/favorites/toggle", data={**data, "action": "remove"})
    assert 'aria-pressed="false"' in _button(page_text(student.get(f"/courses/{slug}")), course_id)
    # An outside `next` is not followed.
    away = student.post("/my/favorites/toggle", data={**data, "next": "//evil.example/"})
    assert "evil" not in away.headers["Location"]


def test_private_course_cannot_be_favorited_from_the_portal(app, login_as):
    with app.app_context():
        private_id = make_course(visibility="private").id
        db.session.remove()
    student = login_as("Student")
    data = {"target_type": "course", "target_id": private_id, "action": "add"}
    student.post("/my/favorites/toggle", data=data)
    with app.app_context():
        assert db.session.query(Favorite).filter_by(target_id=private_id).count() == 0
        db.session.remove()
    assert student.post("/my/favorites/toggle", data={**data, "target_id": "x"}).status_code == 404


def test_lesson_comments_have_a_favorite_button(app, login_as):
    student = login_as("Student")
    with app.app_context():
        teacher = make_user("Instructor")
        course = make_course(instructors=[teacher])
        lesson = make_lesson(make_section(course))
        make_enrollment(student.user_id, course)
        comment = services.add_comment(teacher, "lesson", lesson.id, "<p>Ask me anything</p>")
        db.session.commit()
        url, comment_id = f"/courses/{course.slug}/lessons/{lesson.id}", comment.id
        db.session.remove()
    form = _button(page_text(student.get(url)), comment_id)
    assert 'name="target_type" value="comment"' in form and 'aria-pressed="false"' in form
    assert f"#comment-{comment_id}" in form
    data = {"target_type": "comment", "target_id": comment_id, "action": "add", "next": url}
    assert student.post("/my/favorites/toggle", data=data).status_code == 302
    assert 'aria-pressed="true"' in _button(page_text(student.get(url)), comment_id)


def test_my_favorites_lists_by_kind_searches_moves_removes_and_exports(app, login_as):
    student = login_as("Student")
    with app.app_context():
        user = db.session.get(LmsUser, student.user_id)
        python = make_course(title="Python basics", title_ar="أساسيات بايثون")
        formula = make_course(title="=cmd()", title_ar="صيغة")
        for course in (python, formula):
            services.favorite(user, "course", course.id)
        theirs = services.create_collection(make_user("Instructor"), "Not yours", "red")
        db.session.commit()
        python_id, theirs_id = python.id, theirs.id
        db.session.remove()
    page = page_text(student.get("/my/favorites"))
    assert "Python basics" in page and "=cmd()" in page and 'aria-current="page"' in page
    assert "أساسيات بايثون" in page_text(student.get("/my/favorites?_l_=ar"))
    found = page_text(student.get("/my/favorites?q=بايثون"))
    assert "Python basics" in found and "=cmd()" not in found
    assert "No favorites match" in page_text(student.get("/my/favorites?kind=lesson"))
    assert student.get(f"/my/favorites?collection={theirs_id}").status_code == 404
    # Collections: create, move into, filter, rename, delete.
    student.post("/my/favorites/collections", data={"name": "Later", "colour": "green"})
    with app.app_context():
        later = services.list_collections(db.session.get(LmsUser, student.user_id))[0]
        row = db.session.query(Favorite).filter_by(user_id=student.user_id, target_id=python_id).one()
        later_id, row_id = later.id, row.id
        db.session.remove()
    assert student.post(f"/my/favorites/{row_id}/move", data={"collection_id": theirs_id}).status_code == 404
    student.post(f"/my/favorites/{row_id}/move", data={"collection_id": later_id})
    in_later = page_text(student.get(f"/my/favorites?collection={later_id}"))
    assert "Python basics" in in_later and "=cmd()" not in in_later
    student.post(f"/my/favorites/collections/{later_id}", data={"name": "Soon", "colour": "teal"})
    assert "lms-fav-colour-teal" in page_text(student.get("/my/favorites"))
    assert student.post(f"/my/favorites/collections/{theirs_id}", data={"delete": "1"}).status_code == 404
    # Exports: CSV with a byte-order mark and Excel, formulas neutralised.
    exported = student.get("/my/favorites/export.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff")
    titles = [row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    assert "'=cmd()" in titles and "=cmd()" not in titles
    xlsx = student.get("/my/favorites/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert "'=cmd()" in [c.value for row in sheet.iter_rows() for c in row]
    assert student.get("/my/favorites/export.pdf").status_code == 404
    # Remove from the list.
    student.post(f"/my/favorites/{row_id}/remove", data={})
    assert "Python basics" not in page_text(student.get("/my/favorites"))


def test_my_favorites_needs_a_sign_in(client):
    assert client.get("/my/favorites").status_code == 302
    assert client.post("/my/favorites/toggle", data={}).status_code == 302


def test_favorite_buttons_cost_one_statement_per_page(app, login_as):
    from tests.portal.test_player_queries import captured

    student = login_as("Student")
    with app.app_context():
        teacher = make_user("Instructor")
        course = make_course(instructors=[teacher])
        lesson = make_lesson(make_section(course))
        make_enrollment(student.user_id, course)
        for n in range(5):
            services.add_comment(teacher, "lesson", lesson.id, f"<p>Note {n}</p>")
        db.session.commit()
        course_url, lesson_url = f"/courses/{course.slug}", f"/courses/{course.slug}/lessons/{lesson.id}"
        db.session.remove()
    for url in (course_url, lesson_url):
        with captured(app) as statements:
            assert student.get(url).status_code == 200
        assert len([s for s in statements if "favorite" in s]) == 1, url


def test_lesson_player_has_the_lessons_favorite_button(app, login_as):
    student = login_as("Student")
    with app.app_context():
        course = make_course(title="Python", title_ar="بايثون")
        lesson = make_lesson(make_section(course), "Loops")
        make_enrollment(db.session.get(LmsUser, student.user_id), course)
        url, lesson_id = f"/courses/{course.slug}/lessons/{lesson.id}", lesson.id
        db.session.remove()
    form = _button(page_text(student.get(url)), lesson_id)
    assert 'name="target_type" value="lesson"' in form and 'aria-pressed="false"' in form
    data = {"target_type": "lesson", "target_id": lesson_id, "action": "add", "next": url}
    assert student.post("/my/favorites/toggle", data=data).headers["Location"].endswith(url)
    form = _button(page_text(student.get(url)), lesson_id)
    assert 'aria-pressed="true"' in form and re.search(r'class="favorite-count"[^>]*>1<', form)
    assert "Loops" in page_text(student.get("/my/favorites?kind=lesson"))
