"""The course outline editor: one page per course to add, rename, move, publish and remove its items."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.assessments.models import Assignment, Quiz
from app.courses.models import Course, CourseSection, Lesson, LessonContent
from app.extensions import db
from app.lookups.services import lookup_id
from tests.course_factories import make_course, make_lesson, make_section

JSON = {"Accept": "application/json"}


@pytest.fixture
def course_of(app, login_as):
    """An instructor signed in, teaching a draft course with two sections (two lessons, then none)."""
    teacher = login_as("Instructor")
    with app.app_context():
        course = make_course(instructors=[teacher.user_id], title="Python", title_ar="بايثون", status="draft")
        first, second = make_section(course), make_section(course)
        lessons = [make_lesson(first), make_lesson(first)]
        ids = {
            "course": course.id,
            "sections": [first.id, second.id],
            "lessons": [lesson.id for lesson in lessons],
        }
        db.session.remove()
    return teacher, ids


def _rows(app, model, **where):
    with app.app_context():
        query = select(model).filter_by(**where).order_by(model.position, model.id)
        rows = [(row.id, row.position, dict(row.translations)) for row in db.session.scalars(query)]
        db.session.remove()
    return rows


def test_page_shows_the_tree_and_only_to_the_courses_staff(app, login_as, course_of):
    teacher, ids = course_of
    page = teacher.get(f"/courseoutline/{ids['course']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for lesson_id in ids["lessons"]:
        assert f'id="node-lesson-{lesson_id}"' in html
    assert "/courses/" in html and "Preview as a learner" in html
    assert "Submit for review" in html  # an instructor sends the course for review
    other = login_as("Instructor")
    assert other.get(f"/courseoutline/{ids['course']}").status_code == 404
    student = login_as("Student")
    assert student.get(f"/courseoutline/{ids['course']}").status_code in (302, 403)
    assert "Publish" in login_as("Admin").get(f"/courseoutline/{ids['course']}").get_data(as_text=True)


def test_add_section_lesson_and_content_with_both_titles(app, course_of):
    teacher, ids = course_of
    url = f"/courseoutline/{ids['course']}"
    added = teacher.post(
        f"{url}/add", data={"kind": "section", "title_en": " Basics ", "title_ar": "الأساسيات"}, headers=JSON
    )
    assert added.status_code == 200, added.get_json()
    assert "Basics" in added.get_json()["tree"]
    section_id, position, titles = _rows(app, CourseSection, course_id=ids["course"])[-1]
    assert titles == {"en": {"title": "Basics"}, "ar": {"title": "الأساسيات"}} and position == 3
    lesson = teacher.post(
        f"{url}/add",
        data={"kind_type": "lesson:video", "parent_id": section_id, "title_en": "Setup"},
        headers=JSON,
    )
    assert lesson.status_code == 200
    [(lesson_id, _pos, _titles)] = _rows(app, Lesson, section_id=section_id)
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).content_type_id == lookup_id("content_types", "video")
        db.session.remove()
    content = teacher.post(
        f"{url}/add",
        data={"kind_type": "content:text", "parent_id": lesson_id, "title_ar": "مقدمة"},
        headers=JSON,
    )
    assert content.status_code == 200
    assert _rows(app, LessonContent, lesson_id=lesson_id)[0][2] == {"ar": {"title": "مقدمة"}}


def test_bad_input_is_refused_with_a_message_and_changes_nothing(app, course_of):
    teacher, ids = course_of
    url = f"/courseoutline/{ids['course']}"
    before = _rows(app, CourseSection, course_id=ids["course"])
    empty = teacher.post(f"{url}/add", data={"kind": "section", "title_en": "  "}, headers=JSON)
    assert empty.status_code == 422 and "title" in empty.get_json()["message"].lower()
    long = teacher.post(f"{url}/add", data={"kind": "section", "title_en": "x" * 201}, headers=JSON)
    assert long.status_code == 422
    bad_type = teacher.post(
        f"{url}/add",
        data={"kind_type": "lesson:podcast", "parent_id": ids["sections"][0], "title_en": "A"},
        headers=JSON,
    )
    assert bad_type.status_code == 422
    unknown = teacher.post(f"{url}/add", data={"kind": "chapter", "title_en": "A"}, headers=JSON)
    assert unknown.status_code == 422
    assert teacher.post(f"{url}/explode", data={}, headers=JSON).status_code == 404
    assert _rows(app, CourseSection, course_id=ids["course"]) == before


def test_items_of_another_course_are_not_found(app, login_as, course_of):
    teacher, ids = course_of
    other = login_as("Instructor")
    with app.app_context():
        theirs = make_course(instructors=[other.user_id], status="draft")
        their_section = make_section(theirs)
        their_lesson = make_lesson(their_section)
        their_ids = (their_section.id, their_lesson.id)
        db.session.remove()
    url = f"/courseoutline/{ids['course']}"
    rename = teacher.post(
        f"{url}/rename", data={"kind": "lesson", "item_id": their_ids[1], "title_en": "Mine"}, headers=JSON
    )
    assert rename.status_code == 404
    moved = teacher.post(
        f"{url}/move",
        data={
            "kind": "lesson",
            "item_id": ids["lessons"][0],
            "parent_id": their_ids[0],
            "order": [ids["lessons"][0]],
        },
        headers=JSON,
    )
    assert moved.status_code == 404
    assert _rows(app, Lesson, section_id=ids["sections"][0])[0][0] == ids["lessons"][0]
    assert (
        teacher.post(
            f"/courseoutline/{theirs_id(app, other)}/add", data={"kind": "section", "title_en": "X"}
        ).status_code
        == 404
    )


def theirs_id(app, browser) -> int:
    with app.app_context():
        course = db.session.scalar(select(Course).order_by(Course.id.desc()))
        db.session.remove()
    return course.id


def test_rename_keeps_the_other_language_when_given(app, course_of):
    teacher, ids = course_of
    lesson_id = ids["lessons"][0]
    done = teacher.post(
        f"/courseoutline/{ids['course']}/rename",
        data={"kind": "lesson", "item_id": lesson_id, "title_en": "Variables", "title_ar": "المتغيرات"},
        headers=JSON,
    )
    assert done.status_code == 200 and "Variables" in done.get_json()["tree"]
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).translations == {
            "en": {"title": "Variables"},
            "ar": {"title": "المتغيرات"},
        }
        db.session.remove()


def test_drag_order_moves_a_lesson_to_another_section(app, course_of):
    teacher, ids = course_of
    first, second = ids["lessons"]
    url = f"/courseoutline/{ids['course']}/move"
    moved = teacher.post(
        url,
        data={"kind": "lesson", "item_id": first, "parent_id": ids["sections"][1], "order": [first]},
        headers=JSON,
    )
    assert moved.status_code == 200, moved.get_json()
    assert [row[0] for row in _rows(app, Lesson, section_id=ids["sections"][1])] == [first]
    assert [row[0] for row in _rows(app, Lesson, section_id=ids["sections"][0])] == [second]
    # an order that leaves an item out or lists a stranger is refused, nothing changes
    sections = ids["sections"]
    partial = teacher.post(
        url, data={"kind": "section", "item_id": sections[0], "order": [sections[0]]}, headers=JSON
    )
    assert partial.status_code == 422
    swapped = teacher.post(
        url,
        data={"kind": "section", "item_id": sections[1], "order": [sections[1], sections[0]]},
        headers=JSON,
    )
    assert swapped.status_code == 200
    assert [row[0] for row in _rows(app, CourseSection, course_id=ids["course"])] == [
        sections[1],
        sections[0],
    ]


def test_arrow_buttons_work_without_scripts(app, course_of):
    teacher, ids = course_of
    first, second = ids["lessons"]
    response = teacher.post(
        f"/courseoutline/{ids['course']}/move",
        data={"kind": "lesson", "item_id": second, "direction": "up", "focus": f"node-lesson-{second}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courseoutline/{ids['course']}#node-lesson-{second}")
    assert [row[0] for row in _rows(app, Lesson, section_id=ids["sections"][0])] == [second, first]
    page = teacher.get(f"/courseoutline/{ids['course']}").get_data(as_text=True)
    assert "Moved." in page


def test_remove_refuses_a_section_with_lessons_then_trashes_it_empty(app, course_of):
    teacher, ids = course_of
    url = f"/courseoutline/{ids['course']}/remove"
    full = teacher.post(url, data={"kind": "section", "item_id": ids["sections"][0]}, headers=JSON)
    assert full.status_code == 409
    empty = teacher.post(url, data={"kind": "section", "item_id": ids["sections"][1]}, headers=JSON)
    assert empty.status_code == 200
    assert [row[0] for row in _rows(app, CourseSection, course_id=ids["course"])] == [ids["sections"][0]]
    with app.app_context():
        trashed = db.session.scalar(
            select(CourseSection)
            .where(CourseSection.id == ids["sections"][1])
            .execution_options(include_deleted=True)
        )
        assert trashed.is_deleted
        db.session.remove()


def test_quizzes_and_assignments_are_added_hidden_and_published_from_the_outline(app, course_of):
    teacher, ids = course_of
    url = f"/courseoutline/{ids['course']}"
    lesson_id = ids["lessons"][0]
    for kind in ("quiz", "assignment"):
        added = teacher.post(
            f"{url}/add",
            data={"kind_type": f"{kind}:", "parent_id": lesson_id, "title_en": f"My {kind}"},
            headers=JSON,
        )
        assert added.status_code == 200, added.get_json()
        assert f"My {kind}" in added.get_json()["tree"]
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == ids["course"]))
        assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == ids["course"]))
        assert quiz.lesson_id == lesson_id and not quiz.is_published
        assert assignment.lesson_id == lesson_id and not assignment.is_published
        quiz_id = quiz.id
        db.session.remove()
    tree = teacher.get(url).get_data(as_text=True)
    assert f"/quizeditor/{quiz_id}/" in tree and "Hidden from learners" in tree
    published = teacher.post(f"{url}/publish_item", data={"kind": "quiz", "item_id": quiz_id}, headers=JSON)
    assert published.status_code == 200
    with app.app_context():
        assert db.session.get(Quiz, quiz_id).is_published
        db.session.remove()
    # sections cannot be published one by one
    assert (
        teacher.post(
            f"{url}/publish_item", data={"kind": "section", "item_id": ids["sections"][0]}, headers=JSON
        ).status_code
        == 422
    )


def test_publish_sends_for_review_for_instructors_and_publishes_for_admins(app, login_as, course_of):
    teacher, ids = course_of
    url = f"/courseoutline/{ids['course']}/publish"
    assert teacher.post(url).status_code == 302
    with app.app_context():
        course = db.session.get(Course, ids["course"])
        assert course.review_status_id == lookup_id("course_review_status", "pending")
        assert course.status_id != lookup_id("course_status", "published")
        db.session.remove()
    assert "Waiting for review" in teacher.get(f"/courseoutline/{ids['course']}").get_data(as_text=True)
    admin = login_as("Admin")
    admin.post(url)
    with app.app_context():
        assert db.session.get(Course, ids["course"]).status_id == lookup_id("course_status", "published")
        db.session.remove()
    again = admin.post(url, follow_redirects=True).get_data(as_text=True)
    assert "already published" in again


def test_arabic_page_is_translated(app, course_of):
    teacher, ids = course_of
    teacher.get("/lang/ar")
    html = teacher.get(f"/courseoutline/{ids['course']}").get_data(as_text=True)
    assert "بايثون" in html
    assert "Preview as a learner" not in html and "Add a section" not in html
