"""Course REST API: row scoping, object checks on writes, business actions, notes privacy."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.courses.models import Course, CourseSection, Enrollment
from app.extensions import db
from app.lookups.services import lookup_id
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_lesson, make_note, make_section
from tests.factories import make_user


@pytest.fixture
def world(app):
    """Two instructors with a course each (mine: draft, theirs: published), and two students."""
    with app.app_context():
        me, other = make_user("Instructor"), make_user("Instructor")
        alice, bob = make_user("Student"), make_user("Student")
        mine = make_course(instructors=[me], title="Mine", status="draft", visibility="draft")
        theirs = make_course(instructors=[other], title="Theirs")
        private = make_course(instructors=[other], title="Hidden", visibility="private")
        ids = {"me": me.id, "other": other.id, "alice": alice.id, "bob": bob.id}
        for name, course in (("mine", mine), ("theirs", theirs), ("private", private)):
            section = make_section(course)
            lesson = make_lesson(section)
            ids[name] = {"course": course.id, "section": section.id, "lesson": lesson.id}
        names = {k: u.username for k, u in (("me", me), ("other", other), ("alice", alice), ("bob", bob))}
        db.session.remove()
    client = app.test_client()
    headers = {k: jwt_headers(client, name) for k, name in names.items()}
    return client, headers, ids


def _ids(response):
    assert response.status_code == 200, response.json
    return {row["id"] for row in response.json["result"]}


def test_course_list_scoping(world, api_as, client):
    client, headers, ids = world
    student = _ids(client.get("/api/v1/course/", headers=headers["alice"]))
    assert ids["theirs"]["course"] in student
    assert ids["mine"]["course"] not in student and ids["private"]["course"] not in student
    mine = _ids(client.get("/api/v1/course/", headers=headers["me"]))
    assert ids["mine"]["course"] in mine and ids["private"]["course"] not in mine
    admin = _ids(client.get("/api/v1/course/", headers=api_as("Admin")))
    assert {ids[k]["course"] for k in ("mine", "theirs", "private")} <= admin
    assert client.get(f"/api/v1/course/{ids['private']['course']}", headers=headers["me"]).status_code == 404


def test_instructor_cannot_change_another_instructors_course(app, world):
    client, headers, ids = world
    theirs = ids["theirs"]
    me = headers["me"]
    put = client.put(f"/api/v1/course/{theirs['course']}", json={"price": 1}, headers=me)
    assert put.status_code == 403 and put.json["message"]
    assert client.delete(f"/api/v1/course/{theirs['course']}", headers=me).status_code == 403
    assert client.post(f"/api/v1/course/{theirs['course']}/submit", headers=me).status_code == 403
    reorder = client.post(
        f"/api/v1/course/{theirs['course']}/reorder", json={"sections": [theirs["section"]]}, headers=me
    )
    assert reorder.status_code == 403
    # a section forged into their course, and one of mine moved there
    forged = client.post(
        "/api/v1/course_section/", json={"course": theirs["course"], "translations": {}}, headers=me
    )
    assert forged.status_code == 403, forged.json
    moved = client.put(
        f"/api/v1/course_section/{ids['mine']['section']}", json={"course": theirs["course"]}, headers=me
    )
    assert moved.status_code == 403
    # their sections are not even readable (not enrolled), so get/put/delete say 404
    assert client.get(f"/api/v1/course_section/{theirs['section']}", headers=me).status_code == 404
    assert client.delete(f"/api/v1/lesson/{theirs['lesson']}", headers=me).status_code == 404
    with app.app_context():
        assert db.session.get(Course, theirs["course"]).price == 0
        sections = db.session.scalars(
            select(CourseSection.id).where(CourseSection.course_id == theirs["course"])
        )
        assert list(sections) == [theirs["section"]]
        db.session.remove()


def test_instructor_writes_own_course_but_cannot_publish_it(app, world):
    client, headers, ids = world
    course_id = ids["mine"]["course"]
    published = None
    with app.app_context():
        published = lookup_id("course_status", "published")
    ok = client.put(f"/api/v1/course/{course_id}", json={"price": 12.5}, headers=headers["me"])
    assert ok.status_code == 200, ok.json
    refused = client.put(f"/api/v1/course/{course_id}", json={"status": published}, headers=headers["me"])
    assert refused.status_code == 403
    created = client.post(
        "/api/v1/course_section/",
        json={"course": course_id, "translations": {"en": {"title": "Two"}}},
        headers=headers["me"],
    )
    assert created.status_code == 201, created.json
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert float(course.price) == 12.5 and course.status.code == "draft"
        db.session.remove()


def test_review_workflow_and_reorder_through_the_api(app, world, api_as):
    client, headers, ids = world
    mine = ids["mine"]
    me, admin = headers["me"], api_as("Admin")
    assert client.post(f"/api/v1/course/{mine['course']}/submit", headers=me).status_code == 200
    assert client.post(f"/api/v1/course/{mine['course']}/approve", headers=me).status_code == 403
    assert client.post(f"/api/v1/course/{mine['course']}/reject", json={}, headers=admin).status_code == 422
    rejected = client.post(f"/api/v1/course/{mine['course']}/reject", json={"reason": "More"}, headers=admin)
    assert rejected.status_code == 200 and rejected.json["result"]["review_reason"] == "More"
    client.post(f"/api/v1/course/{mine['course']}/submit", headers=me)
    approved = client.post(f"/api/v1/course/{mine['course']}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json["result"]["status"]["code"] == "published"

    with app.app_context():
        section = db.session.get(CourseSection, mine["section"])
        second = make_lesson(section, title="Second")
        other_section = make_section(db.session.get(Course, mine["course"]), title="Other")
        second_id, other_id = second.id, other_section.id
        db.session.remove()
    lessons = [second_id, mine["lesson"]]
    response = client.post(
        f"/api/v1/course_section/{mine['section']}/reorder", json={"lessons": lessons}, headers=me
    )
    assert response.status_code == 200 and response.json["lessons"] == lessons
    bad = client.post(f"/api/v1/course/{mine['course']}/reorder", json={"sections": [other_id]}, headers=me)
    assert bad.status_code == 422
    good = client.post(
        f"/api/v1/course/{mine['course']}/reorder", json={"sections": [other_id, mine["section"]]}, headers=me
    )
    assert good.status_code == 200 and good.json["sections"] == [other_id, mine["section"]]


def test_enrol_complete_heartbeat_and_drop(app, world):
    client, headers, ids = world
    theirs = ids["theirs"]
    alice = headers["alice"]
    assert client.get(f"/api/v1/lesson/{theirs['lesson']}", headers=alice).status_code == 404
    assert client.post(f"/api/v1/lesson/{theirs['lesson']}/complete", headers=alice).status_code == 404
    enrolled = client.post(f"/api/v1/course/{theirs['course']}/enroll", headers=alice)
    assert enrolled.status_code == 200 and enrolled.json["status"] == "active"
    assert client.post(f"/api/v1/course/{theirs['course']}/enroll", headers=alice).status_code == 409
    assert client.get(f"/api/v1/lesson/{theirs['lesson']}", headers=alice).status_code == 200
    beat = client.post(f"/api/v1/lesson/{theirs['lesson']}/heartbeat", json={"position": "x"}, headers=alice)
    assert beat.status_code == 422
    beat = client.post(f"/api/v1/lesson/{theirs['lesson']}/heartbeat", json={"active": True}, headers=alice)
    assert beat.status_code == 200 and beat.json["credited_seconds"] == 0
    done = client.post(f"/api/v1/lesson/{theirs['lesson']}/complete", headers=alice)
    assert done.status_code == 200 and done.json["progress_percent"] == 100
    # enrolment visibility: own for the student, none of it for a foreign instructor
    enrolment_id = enrolled.json["enrollment_id"]
    assert enrolment_id in _ids(client.get("/api/v1/enrollment/", headers=alice))
    assert enrolment_id not in _ids(client.get("/api/v1/enrollment/", headers=headers["me"]))
    assert enrolment_id in _ids(client.get("/api/v1/enrollment/", headers=headers["other"]))
    assert client.post(f"/api/v1/enrollment/{enrolment_id}/drop", headers=headers["bob"]).status_code == 404
    assert client.post(f"/api/v1/enrollment/{enrolment_id}/drop", headers=headers["me"]).status_code == 404
    dropped = client.post(f"/api/v1/enrollment/{enrolment_id}/drop", headers=alice)
    assert dropped.status_code == 200 and dropped.json["result"]["status"]["code"] == "dropped"
    # staff enrol someone else; a foreign instructor cannot
    other = client.post(
        f"/api/v1/course/{theirs['course']}/enroll", json={"user_id": ids["bob"]}, headers=headers["me"]
    )
    assert other.status_code == 403
    staff = client.post(
        f"/api/v1/course/{theirs['course']}/enroll", json={"user_id": ids["bob"]}, headers=headers["other"]
    )
    assert staff.status_code == 200


def test_csv_import_through_the_api(app, world):
    client, headers, ids = world
    course_id = ids["mine"]["course"]

    def post(data, course=course_id, who="me"):
        return client.post(
            "/api/v1/enrollment/import",
            data={"course_id": str(course), "file": (io.BytesIO(data), "list.csv")},
            headers=headers[who],
            content_type="multipart/form-data",
        )

    report = post(b"username\n" + b"\n".join(n.encode() for n in ("nobody", "x")) + b"\n")
    assert report.status_code == 200 and len(report.json["rejected"]) == 2 and report.json["accepted"] == []
    assert post(b"\xff\xfe\x00bad").status_code == 422
    assert post(b"name\nfoo\n").status_code == 422
    assert post(b"username\nfoo\n", course=ids["theirs"]["course"]).status_code == 404
    assert post(b"username\nfoo\n", who="alice").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Enrollment.id))) == 0
        db.session.remove()


def test_note_api_never_leaks_private_notes(app, world, api_as):
    client, headers, ids = world
    theirs = ids["theirs"]
    with app.app_context():
        course = db.session.get(Course, theirs["course"])
        for name in ("alice", "bob"):
            make_enrollment(ids[name], course)
        private = make_note(ids["alice"], course, body="secret", visibility="private").id
        public = make_note(ids["alice"], course, body="shared", visibility="public").id
        staff = make_note(ids["alice"], course, body="for staff", visibility="instructors_only").id
        db.session.remove()
    admin = api_as("Admin")
    for who, expected in (
        (headers["alice"], {private, public, staff}),
        (headers["bob"], {public}),
        (headers["other"], {public, staff}),
        (headers["me"], set()),
        (admin, {public, staff}),
    ):
        assert _ids(client.get("/api/v1/note/", headers=who)) == expected
        assert client.get(f"/api/v1/note/{private}", headers=who).status_code == (
            200 if expected == {private, public, staff} else 404
        )
    for who in (headers["bob"], admin):
        assert client.put(f"/api/v1/note/{private}", json={"body": "x"}, headers=who).status_code == 404
        assert client.delete(f"/api/v1/note/{private}", headers=who).status_code == 404
        assert client.get(f"/api/v1/note/{private}/history", headers=who).status_code == 404

    # create, edit (history), like through the services
    created = client.post(
        "/api/v1/note/",
        json={"target_type": "lesson", "target_id": theirs["lesson"], "body": "mine", "visibility": "public"},
        headers=headers["bob"],
    )
    assert created.status_code == 201, created.json
    note_id = created.json["id"]
    assert (
        client.put(f"/api/v1/note/{note_id}", json={"body": "edited"}, headers=headers["alice"]).status_code
        == 403
    )
    assert (
        client.put(f"/api/v1/note/{note_id}", json={"body": "edited"}, headers=headers["bob"]).status_code
        == 200
    )
    history = client.get(f"/api/v1/note/{note_id}/history", headers=headers["bob"])
    assert history.status_code == 200 and history.json["result"][0]["body"] == "mine"
    assert client.get(f"/api/v1/note/{note_id}/history", headers=headers["alice"]).status_code == 403
    liked = client.post(f"/api/v1/note/{note_id}/like", headers=headers["alice"])
    assert liked.status_code == 200 and liked.json["result"]["like_count"] == 1
    assert client.post(f"/api/v1/note/{note_id}/like", headers=headers["alice"]).status_code == 409
    assert client.post(f"/api/v1/note/{note_id}/unlike", headers=headers["alice"]).status_code == 200
    # A draft course is invisible to a learner: missing (404), like an id that does not exist (a
    # course they see but have not joined is 403: tests/courses/test_notes_targets.py).
    hidden = client.post(
        "/api/v1/note/",
        json={"target_type": "course", "target_id": ids["mine"]["course"], "body": "x"},
        headers=headers["bob"],
    )
    assert hidden.status_code == 404
    assert client.delete(f"/api/v1/note/{note_id}", headers=headers["bob"]).status_code == 200


def _choices(response, column, key="add_columns"):
    """(count, ids) of the relation choices `_info` offers for a form column."""
    assert response.status_code == 200, response.json
    field = next(f for f in response.json[key] if f["name"] == column)
    return field["count"], {value["id"] for value in field["values"]}


def test_info_offers_only_choices_the_user_may_use(app, world, api_as):
    client, headers, ids = world
    mine, theirs, private = ids["mine"], ids["theirs"], ids["private"]
    # A student writes no course: no form fields, so no titles of unlisted courses and no user names.
    student = client.get("/api/v1/course/_info", headers=headers["alice"])
    assert student.status_code == 200 and student.json["add_columns"] == student.json["edit_columns"] == []
    assert "Hidden" not in student.get_data(as_text=True)
    for resource in ("course_section", "lesson", "course_resource", "enrollment"):
        info = client.get(f"/api/v1/{resource}/_info", headers=headers["alice"])
        assert info.status_code == 200 and info.json["add_columns"] == [], resource
    # An instructor: teachers among the users, listed or own courses as prerequisites.
    course = client.get("/api/v1/course/_info", headers=headers["me"])
    _count, teachers = _choices(course, "instructors")
    assert {ids["me"], ids["other"]} <= teachers and not {ids["alice"], ids["bob"]} & teachers
    _count, required = _choices(course, "prerequisites", "edit_columns")
    assert {mine["course"], theirs["course"]} <= required and private["course"] not in required
    with app.app_context():
        categories = lookup_id("course_categories", "programming")
        draft = lookup_id("course_status", "draft")
    assert categories in _choices(course, "category")[1] and draft not in _choices(course, "category")[1]
    # ...and only the sections, lessons and courses of their own courses.
    assert _choices(client.get("/api/v1/lesson/_info", headers=headers["me"]), "section") == (
        1,
        {mine["section"]},
    )
    assert _choices(client.get("/api/v1/course_section/_info", headers=headers["me"]), "course") == (
        1,
        {mine["course"]},
    )
    resource = client.get("/api/v1/course_resource/_info", headers=headers["me"])
    assert _choices(resource, "course") == (1, {mine["course"]})
    assert _choices(resource, "section", "edit_columns") == (1, {mine["section"]})
    assert _choices(resource, "lesson") == (1, {mine["lesson"]})
    # Enrolments and progress have no create or update route: no user or course lists at all.
    for resource in ("enrollment", "lesson_progress"):
        info = client.get(f"/api/v1/{resource}/_info", headers=headers["me"])
        assert info.status_code == 200 and info.json["add_columns"] == info.json["edit_columns"] == []
    # Admins choose among every course.
    admin = client.get("/api/v1/course/_info", headers=api_as("Admin"))
    assert {mine["course"], theirs["course"], private["course"]} <= _choices(admin, "prerequisites")[1]


def test_heartbeat_refuses_numbers_it_cannot_use(app, world):
    client, headers, ids = world
    lesson = ids["theirs"]["lesson"]
    alice = headers["alice"]
    assert client.post(f"/api/v1/course/{ids['theirs']['course']}/enroll", headers=alice).status_code == 200
    url = f"/api/v1/lesson/{lesson}/heartbeat"
    json_headers = {**alice, "Content-Type": "application/json"}
    for raw in (
        '{"position": Infinity}',
        '{"position": -Infinity}',
        '{"duration": NaN}',
        '{"position": 1e400}',
        '{"position": -1}',
        '{"duration": 864001}',
        '{"active": "false"}',
        '{"ended": 1}',
        '{"position": true}',
    ):
        beat = client.post(url, data=raw, headers=json_headers)
        assert beat.status_code == 422, (raw, beat.status_code)
        assert beat.json["message"] and beat.json["errors"], raw
    for raw in ("not json", "[1, 2]", '"text"'):
        beat = client.post(url, data=raw, headers=json_headers)
        assert beat.status_code == 400 and beat.json["message"], raw
    ok = client.post(
        url, json={"active": False, "position": 12.5, "duration": 600, "ended": False}, headers=alice
    )
    assert ok.status_code == 200, ok.json
    assert client.post(url, headers=alice).status_code == 200  # no body: the defaults


def test_enrol_someone_else_needs_an_integer_user_id(app, world):
    client, headers, ids = world
    url = f"/api/v1/course/{ids['theirs']['course']}/enroll"
    for value in (True, False, 1.5, "7", [1], {"id": 1}):
        refused = client.post(url, json={"user_id": value}, headers=headers["other"])
        assert refused.status_code == 422, (value, refused.status_code)
        assert refused.json["message"] and "user_id" in refused.json["errors"]
    assert client.post(url, json={"user_id": 987654321}, headers=headers["other"]).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Enrollment.id))) == 0
        db.session.remove()


@pytest.mark.parametrize(
    ("kind", "status", "visible"),
    [
        ("purchase", "dropped", False),
        ("purchase", "expired", False),
        ("subscription", "active", False),  # no active subscription: no access
        ("purchase", "active", True),
        ("purchase", "completed", True),
    ],
)
def test_course_list_follows_the_entitlement_rule(app, world, kind, status, visible):
    client, headers, ids = world
    private = ids["private"]["course"]
    with app.app_context():
        make_enrollment(ids["alice"], db.session.get(Course, private), type=kind, status=status)
        db.session.remove()
    listed = _ids(client.get("/api/v1/course/", headers=headers["alice"]))
    assert (private in listed) is visible
    assert client.get(f"/api/v1/course/{private}", headers=headers["alice"]).status_code == (
        200 if visible else 404
    )


def test_minimal_bodies_create_a_course_its_section_lesson_and_content(app, api_as):
    """Only what a person would type: titles and parents; the rest are the service's defaults."""
    headers = api_as("Instructor")
    client = app.test_client()
    course = client.post(
        "/api/v1/course/",
        json={"translations": {"en": {"title": "API course"}, "ar": {"title": "دورة الواجهة"}}},
        headers=headers,
    )
    assert course.status_code == 201, course.json
    assert course.json["result"]["slug"] == "api-course"
    course_id = course.json["id"]
    section = client.post(
        "/api/v1/course_section/",
        json={"course": course_id, "translations": {"en": {"title": "S"}}},
        headers=headers,
    )
    assert section.status_code == 201, section.json
    lesson = client.post(
        "/api/v1/lesson/",
        json={"section": section.json["id"], "translations": {"en": {"title": "L"}}},
        headers=headers,
    )
    assert lesson.status_code == 201, lesson.json
    content = client.post(
        "/api/v1/lesson_content/",
        json={"lesson": lesson.json["id"], "translations": {"en": {"body": "<p>Hi<script>x</script></p>"}}},
        headers=headers,
    )
    assert content.status_code == 201, content.json
    with app.app_context():
        from app.courses.models import Lesson, LessonContent

        assert db.session.get(Lesson, lesson.json["id"]).content_type.code == "text"
        stored = db.session.get(LessonContent, content.json["id"])
        assert stored.kind.code == "text" and stored.translations["en"]["body"] == "<p>Hi</p>"
        created = db.session.get(Course, course_id)
        assert created.status.code == "draft" and created.visibility.code == "draft"
    submitted = client.post(f"/api/v1/course/{course_id}/submit", json={}, headers=headers)
    assert submitted.status_code == 200 and submitted.json["result"]["review_status"]["code"] == "pending"


def test_lookups_may_be_given_by_code(app, api_as):
    admin = api_as("Admin")
    client = app.test_client()
    body = {
        "translations": {"en": {"title": "By code"}},
        "status": "published",
        "visibility": "public",
        "level": "beginner",
        "category": "programming",
    }
    created = client.post("/api/v1/course/", json=body, headers=admin)
    assert created.status_code == 201, created.json
    with app.app_context():
        course = db.session.get(Course, created.json["id"])
        codes = (course.status.code, course.visibility.code, course.level.code, course.category.code)
    assert codes == ("published", "public", "beginner", "programming")
    for field, value in (
        ("level", "expert"),
        ("category", 987654321),
        ("instructors", ["x"]),
        ("level", True),
    ):
        wrong = client.put(f"/api/v1/course/{created.json['id']}", json={field: value}, headers=admin)
        assert wrong.status_code == 422, (field, value, wrong.get_data(as_text=True))
        assert field in wrong.json["errors"]
