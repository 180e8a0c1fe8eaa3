"""Bad course input through the API: a 422 (or 400/409) with {"message", "errors"}, never a 500."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, Invalid
from app.courses.models import Course, Note
from app.courses.services import notes as notes_service
from app.extensions import db
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_note, make_section
from tests.factories import make_user


@pytest.fixture
def setting(app):
    """An instructor with a draft course and a section; another instructor's private draft; a student."""
    with app.app_context():
        me, other, student = make_user("Instructor"), make_user("Instructor"), make_user("Student")
        mine = make_course(instructors=[me], title="Mine", status="draft", visibility="draft")
        hidden = make_course(instructors=[other], title="Secret draft", status="draft", visibility="draft")
        listed = make_course(instructors=[other], title="Listed")
        section = make_section(mine)
        ids = {"mine": mine.id, "hidden": hidden.id, "listed": listed.id, "section": section.id}
        ids.update(me=me.id, student=student.id)
        names = (me.username, student.username)
        db.session.remove()
    client = app.test_client()
    return client, jwt_headers(client, names[0]), ids


def _refused(response, status=422):
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) >= {"message", "errors"}
    return response.json


@pytest.mark.parametrize(
    "translations",
    [
        "x",
        ["x"],
        {"en": "x"},
        {"fr": {"title": "Titre"}},
        {"en": {"title": "T", "description": ["x"]}},
        {"en": {"title": "T", "colour": "red"}},
        {"en": {"title": 5}},
    ],
)
def test_malformed_translations_are_refused(app, setting, translations):
    client, me, ids = setting
    _refused(client.put(f"/api/v1/course/{ids['mine']}", json={"translations": translations}, headers=me))
    _refused(
        client.put(
            f"/api/v1/course_section/{ids['section']}", json={"translations": translations}, headers=me
        )
    )
    with app.app_context():
        assert db.session.get(Course, ids["mine"]).translations["en"]["title"] == "Mine"


def test_wellformed_translations_are_stored_without_blank_fields(app, setting):
    client, me, ids = setting
    body = {"translations": {"en": {"title": "New", "subtitle": ""}, "ar": {"title": "جديد"}}}
    assert client.put(f"/api/v1/course/{ids['mine']}", json=body, headers=me).status_code == 200
    with app.app_context():
        assert db.session.get(Course, ids["mine"]).translations == {
            "en": {"title": "New"},
            "ar": {"title": "جديد"},
        }


@pytest.mark.parametrize(
    "seo",
    [
        "x",
        {"en": "x"},
        {"en": {"keywords": 5}},
        {"en": {"meta_title": ["x"]}},
        {"en": {"canonical_url": "javascript:alert(1)"}},
        {"en": {"og_image": "/relative.png"}},
        {"en": {"schema_markup": "text"}},
        {"en": {"robots": "noindex"}},
        {"de": {"meta_title": "x"}},
    ],
)
def test_malformed_seo_is_refused_and_the_page_keeps_working(app, setting, seo):
    client, _me, ids = setting
    with app.app_context():
        admin = make_user("Admin")
        admin_headers = jwt_headers(app.test_client(), admin.username)
        slug = db.session.get(Course, ids["listed"]).slug
        db.session.remove()
    _refused(client.put(f"/api/v1/course/{ids['listed']}", json={"seo": seo}, headers=admin_headers))
    assert client.get(f"/courses/{slug}").status_code == 200


def test_seo_keywords_may_be_comma_separated(app, setting):
    client, me, ids = setting
    seo = {"ar": {"meta_title": "عنوان", "keywords": "بايثون, برمجة", "canonical_url": "https://x.test/c"}}
    assert client.put(f"/api/v1/course/{ids['mine']}", json={"seo": seo}, headers=me).status_code == 200
    with app.app_context():
        stored = db.session.get(Course, ids["mine"]).seo
    assert stored["ar"]["keywords"] == ["بايثون", "برمجة"]


def test_prerequisites_must_be_visible_and_acyclic(app, setting):
    client, me, ids = setting
    url = f"/api/v1/course/{ids['mine']}"
    body = _refused(client.put(url, json={"prerequisites": [ids["hidden"]]}, headers=me))
    assert "prerequisites" in body["errors"]
    _refused(client.put(url, json={"prerequisites": [ids["mine"]]}, headers=me))
    assert client.put(url, json={"prerequisites": [ids["listed"]]}, headers=me).status_code == 200
    with app.app_context():
        mine, listed = db.session.get(Course, ids["mine"]), db.session.get(Course, ids["listed"])
        listed.prerequisites.append(mine)  # listed requires mine, so mine cannot require listed
        db.session.commit()
        mine.prerequisites = [listed]
        with pytest.raises(Invalid):
            from app.courses.services.catalog import check_prerequisites

            check_prerequisites(mine, make_user("Admin"))
        db.session.rollback()


def test_only_instructors_teach(app, setting):
    client, me, ids = setting
    url = f"/api/v1/course/{ids['mine']}"
    body = _refused(client.put(url, json={"instructors": [ids["me"], ids["student"]]}, headers=me))
    assert "instructors" in body["errors"]
    with app.app_context():
        teachers = {u.id for u in db.session.get(Course, ids["mine"]).instructors}
    assert teachers == {ids["me"]}


def test_a_filter_value_of_the_wrong_type_is_a_400(app, setting, api_as):
    client, _me, _ids = setting
    admin = api_as("Admin")
    for query in (
        "(filters:!((col:price,opr:gt,value:abc)))",
        "(filters:!((col:user,opr:rel_o_m,value:abc)))",
    ):
        resource = "course" if "price" in query else "enrollment"
        _refused(client.get(f"/api/v1/{resource}/?q={query}", headers=admin), 400)


def test_a_like_racing_another_is_a_conflict_not_a_500(ctx, monkeypatch):
    author, reader, teacher = make_user("Student"), make_user("Student"), make_user("Instructor")
    course = make_course(instructors=[teacher])
    for user in (author, reader):
        make_enrollment(user, course)
    note = make_note(author, course, visibility="public")
    notes_service.like_note(reader, note)
    # The other request's like is not visible yet when this one looks: the unique index decides.
    monkeypatch.setattr(notes_service, "_like_of", lambda _user, _note: None)
    with pytest.raises(Conflict):
        notes_service.like_note(reader, db.session.get(Note, note.id))
    assert db.session.get(Note, note.id).like_count == 1


@pytest.mark.parametrize(
    ("model", "field", "value", "accepted"),
    [
        ("content", "external_url", "https://www.youtube-nocookie.com/embed/x", True),
        ("content", "external_url", "http://example.com/video", False),  # framed: https only
        ("content", "external_url", "javascript:alert(1)", False),
        ("content", "external_url", "//evil.test/x", False),
        ("resource", "url", "http://example.com/slides", True),
        ("resource", "url", "ftp://example.com/file", False),
        ("resource", "url", "data:text/html,<script>", False),
    ],
)
def test_lesson_and_resource_links_must_be_absolute_web_addresses(ctx, model, field, value, accepted):
    from app.courses.models import CourseResource, LessonContent

    row = LessonContent() if model == "content" else CourseResource()
    if accepted:
        setattr(row, field, value)
        assert getattr(row, field) == value
    else:
        with pytest.raises(Invalid) as refused:
            setattr(row, field, value)
        assert field in refused.value.errors
