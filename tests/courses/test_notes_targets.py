"""Notes on any learning target: quizzes and assignments (registered by assessments) and course
resources, with the same access rules as courses, sections and lessons, in the service and the API."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.errors import NotFound
from app.courses.models import Course, CourseResource, Note
from app.courses.services.notes import create_note, note_target_codes
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from tests.assessment_factories import make_assignment, make_quiz
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user


def _resource(course) -> CourseResource:
    resource = CourseResource(
        course_id=course.id,
        resource_type_id=require_lookup_id("resource_types", "link"),
        translations={"en": {"title": "Reading"}},
        url="https://example.org/reading",
    )
    db.session.add(resource)
    db.session.commit()
    return resource


@pytest.fixture
def place(app):
    """A course with a quiz, an unpublished quiz, an assignment and a resource; `learner` enrolled,
    `outsider` not."""
    with app.app_context():
        teacher, learner, outsider = make_user("Instructor"), make_user("Student"), make_user("Student")
        course = make_course(instructors=[teacher])
        make_enrollment(learner, course)
        p = SimpleNamespace(
            course_id=course.id,
            quiz=make_quiz(course).id,
            draft_quiz=make_quiz(course, is_published=False).id,
            assignment=make_assignment(course).id,
            resource=_resource(course).id,
            names={"teacher": teacher.username, "learner": learner.username, "outsider": outsider.username},
            ids={"teacher": teacher.id, "learner": learner.id, "outsider": outsider.id},
        )
        db.session.remove()
    return p


def test_every_learning_target_is_registered(app):
    assert {"course", "course_section", "lesson", "course_resource", "quiz", "assignment"} <= set(
        note_target_codes()
    )


@pytest.mark.parametrize("kind", ["quiz", "assignment", "course_resource"])
def test_enrolled_learner_notes_quizzes_assignments_and_resources(app, place, kind):
    target_id = {"quiz": place.quiz, "assignment": place.assignment, "course_resource": place.resource}[kind]
    with app.test_request_context():
        learner = db.session.get(LmsUser, place.ids["learner"])
        note = create_note(learner, kind, target_id, "Remember this", visibility="public")
        assert (note.course_id, note.target_type, note.target_id) == (place.course_id, kind, target_id)
        # Not openable by an outsider: as missing as an id that does not exist (same error, same words).
        outsider = db.session.get(LmsUser, place.ids["outsider"])
        with pytest.raises(NotFound) as invisible:
            create_note(outsider, kind, target_id, "Not enrolled")
        with pytest.raises(NotFound) as missing:
            create_note(learner, kind, 999_999_999, "Nothing there")
        assert invisible.value.message == missing.value.message
        db.session.rollback()


def test_unpublished_quiz_takes_no_learner_notes_but_staff_notes(app, place):
    with app.test_request_context():
        with pytest.raises(NotFound):
            create_note(db.session.get(LmsUser, place.ids["learner"]), "quiz", place.draft_quiz, "Peek")
        teacher = db.session.get(LmsUser, place.ids["teacher"])
        assert create_note(teacher, "quiz", place.draft_quiz, "Draft to finish").id
        db.session.rollback()


def test_note_api_accepts_the_new_targets_with_the_same_rules(app, place):
    client = app.test_client()
    learner, outsider = (jwt_headers(client, place.names[n]) for n in ("learner", "outsider"))
    for kind, target_id in (
        ("quiz", place.quiz),
        ("assignment", place.assignment),
        ("course_resource", place.resource),
    ):
        payload = {"target_type": kind, "target_id": target_id, "body": f"On the {kind}"}
        created = client.post("/api/v1/note/", json=payload, headers=learner)
        assert created.status_code == 201, created.json
        assert created.json["result"]["target_type"] == kind
        refused = client.post("/api/v1/note/", json=payload, headers=outsider)
        missing = client.post("/api/v1/note/", json={**payload, "target_id": 999_999_999}, headers=outsider)
        assert refused.status_code == missing.status_code == 404 and refused.json == missing.json
    hidden = client.post(
        "/api/v1/note/",
        json={"target_type": "quiz", "target_id": place.draft_quiz, "body": "Peek"},
        headers=learner,
    )
    assert hidden.status_code == 404 and hidden.json["message"]
    unknown = client.post(
        "/api/v1/note/", json={"target_type": "certificate", "target_id": 1, "body": "x"}, headers=learner
    )
    assert unknown.status_code == 404
    with app.app_context():
        assert db.session.query(Note).filter_by(user_id=place.ids["learner"]).count() == 3
        assert db.session.query(Note).filter_by(user_id=place.ids["outsider"]).count() == 0


def test_forbidden_only_where_the_target_is_seen_missing_where_it_is_not(app, place):
    """A listed course and the lessons of its outline are seen by anyone: writing there without
    enrolling is refused (403); a private course and everything in it do not exist for outsiders
    (404, the answer for a missing id)."""
    with app.app_context():
        teacher = db.session.get(LmsUser, place.ids["teacher"])
        hidden = make_course(instructors=[teacher], visibility="private")
        hidden_lesson = make_lesson(make_section(hidden))
        public_lesson = make_lesson(make_section(db.session.get(Course, place.course_id)))
        ids = {"hidden": hidden.id, "hidden_lesson": hidden_lesson.id, "public_lesson": public_lesson.id}
        db.session.remove()
    client = app.test_client()
    outsider = jwt_headers(client, place.names["outsider"])

    def post(kind, target_id):
        return client.post(
            "/api/v1/note/", json={"target_type": kind, "target_id": target_id, "body": "x"}, headers=outsider
        )

    missing = post("quiz", 999_999_999)
    assert missing.status_code == 404
    for kind, target_id in (
        ("course", ids["hidden"]),
        ("lesson", ids["hidden_lesson"]),
        ("quiz", place.quiz),
        ("course_resource", place.resource),
    ):
        answer = post(kind, target_id)
        assert (answer.status_code, answer.json) == (404, missing.json), kind
    for kind, target_id in (("course", place.course_id), ("lesson", ids["public_lesson"])):
        answer = post(kind, target_id)
        assert answer.status_code == 403 and answer.json["message"], kind
    with app.app_context():
        assert db.session.query(Note).filter_by(user_id=place.ids["outsider"]).count() == 0
