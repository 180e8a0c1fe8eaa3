"""Bad input to the REST API gets a clear 4xx in the one error shape, never a 500, on every resource."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.courses.models import Course, Note
from app.extensions import db
from app.lookups.models import LookupType
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_note
from tests.factories import make_lookup_type, make_user

RESOURCES = ("note", "course", "lookup_type", "plan", "media", "quiz")


@pytest.fixture
def learner(app):
    """A student enrolled in a course, with one note of theirs; (client, headers, ids)."""
    with app.app_context():
        student = make_user("Student")
        course = make_course(instructors=[make_user("Instructor")])
        make_enrollment(student, course)
        note = make_note(student, course, body="kept")
        ids = {"course": course.id, "note": note.id}
        username = student.username
        db.session.remove()
    client = app.test_client()
    return client, jwt_headers(client, username), ids


def _clear_4xx(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.json
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("pk", ["true", "1.5", "-1", "99999999999999999999"])
def test_an_id_that_is_not_a_row_id_is_a_404(client, api_as, resource, pk):
    admin = api_as("Admin")
    for method in ("get", "put", "delete"):
        response = client.open(f"/api/v1/{resource}/{pk}", method=method.upper(), json={}, headers=admin)
        assert response.status_code in (404, 405), (method, response.status_code, response.json)
        if response.status_code == 404:
            _clear_4xx(response, 404)


def test_an_out_of_range_id_in_an_action_is_a_404(learner):
    client, headers, _ids = learner
    for url in ("/api/v1/note/99999999999999999999/like", "/api/v1/course/99999999999999999999/enroll"):
        _clear_4xx(client.post(url, json={}, headers=headers), 404)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/api/v1/note/"),
        ("PUT", "/api/v1/note/{note}"),
        ("POST", "/api/v1/course/{course}/enroll"),
        ("POST", "/api/v1/comment/"),
        ("POST", "/api/v1/security/login"),
    ],
)
@pytest.mark.parametrize(
    "body",
    [
        _nested(100_000),  # deeper than the parser can go
        '{"body": ' + _nested(100) + "}",  # parses, but deeper than any body of ours
        '{"body": "\\ud800", "target_type": "course", "target_id": 1}',  # a lone surrogate
        '{"body": "half',  # not JSON at all
        "\xff\xfe",  # not even UTF-8
    ],
    ids=["deep", "nested", "surrogate", "broken", "bytes"],
)
def test_a_json_body_that_cannot_be_read_is_a_400(learner, method, url, body):
    client, headers, ids = learner
    response = client.open(
        url.format(**ids),
        method=method,
        data=body.encode("utf-8", "surrogatepass") if body != "\xff\xfe" else b"\xff\xfe",
        content_type="application/json",
        headers=headers,
    )
    _clear_4xx(response, 400)


def test_a_lone_surrogate_is_never_stored(app, learner):
    client, headers, ids = learner
    response = client.put(
        f"/api/v1/note/{ids['note']}",
        data=b'{"body": "a\\udc00b"}',
        content_type="application/json",
        headers=headers,
    )
    _clear_4xx(response, 400)
    with app.app_context():
        assert db.session.get(Note, ids["note"]).body == "kept"


@pytest.mark.parametrize("url", ["/api/v1/note/", "/api/v1/lookup_type/", "/api/v1/course/"])
def test_a_body_that_is_not_json_is_a_4xx(client, api_as, url):
    admin = api_as("Admin")
    response = client.post(url, data="body=x", content_type="text/plain", headers=admin)
    assert 400 <= response.status_code < 500 and response.json["message"], response.json


@pytest.mark.parametrize(
    "translations",
    [
        "x",
        ["en"],
        {"en": "x"},
        {"xx": {"description": "x"}},
        {"en": {"description": 5}},
        {"en": {"nope": "x"}},
    ],
)
def test_a_bad_translations_value_is_a_422_on_every_resource(app, client, api_as, translations):
    admin = api_as("Admin")
    with app.app_context():
        type_id = make_lookup_type(translations={"en": {"description": "kept"}}).id
        db.session.remove()
    put = client.put(f"/api/v1/lookup_type/{type_id}", json={"translations": translations}, headers=admin)
    _clear_4xx(put, 422)
    post = client.post(
        "/api/v1/lookup_type/",
        json={"code": "fresh_type", "name_en": "Fresh", "name_ar": "جديد", "translations": translations},
        headers=admin,
    )
    _clear_4xx(post, 422)
    course = client.post("/api/v1/course/", json={"translations": translations}, headers=admin)
    assert course.status_code == 422, course.json
    with app.app_context():
        assert db.session.get(LookupType, type_id).translations == {"en": {"description": "kept"}}
        assert db.session.scalar(select(LookupType).where(LookupType.code == "fresh_type")) is None


@pytest.mark.parametrize("value", [{"text": "hello"}, ["hello"], 5, True])
def test_a_note_body_that_is_not_text_is_refused(app, learner, value):
    client, headers, ids = learner
    created = client.post(
        "/api/v1/note/",
        json={"target_type": "course", "target_id": ids["course"], "body": value},
        headers=headers,
    )
    _clear_4xx(created, 422)
    assert "body" in created.json["errors"]
    for field in ("body", "visibility", "color", "target_type"):
        wrong = {"target_type": "course", "target_id": ids["course"], "body": "fine", field: value}
        _clear_4xx(client.post("/api/v1/note/", json=wrong, headers=headers), 422)
    edited = client.put(f"/api/v1/note/{ids['note']}", json={"body": value}, headers=headers)
    _clear_4xx(edited, 422)
    with app.app_context():
        bodies = set(db.session.scalars(select(Note.body).where(Note.course_id == ids["course"])))
        assert bodies == {"kept"}
        assert db.session.get(Course, ids["course"]) is not None
