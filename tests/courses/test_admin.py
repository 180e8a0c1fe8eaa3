"""Course back office: instructor row scoping, review workflow, reorder, enrolment screen, analytics."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.courses.models import Course, CourseSection, Enrollment, Lesson
from app.extensions import db
from app.lookups.services import lookup_id
from tests.course_factories import buy, make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user

COURSE_SCREENS = [
    "/coursemodelview/list/",
    "/coursemodelview/add",
    "/coursesectionmodelview/list/",
    "/lessonmodelview/list/",
    "/lessoncontentmodelview/list/",
    "/courseresourcemodelview/list/",
    "/enrollmentmodelview/list/",
    "/enrollmentmodelview/enroll/",
    "/notemodelview/list/",
    "/courseanalytics/",
    "/coursepurchasemodelview/list/",
]


def _denied(response) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 302 and "/login/" in response.headers.get("Location", "")
    )


@pytest.fixture
def two_instructors(app, login_as):
    """Two signed-in instructors, each teaching one course with a section and a lesson."""
    mine, theirs = login_as("Instructor"), login_as("Instructor")
    with app.app_context():
        ids = {}
        for name, browser in (("mine", mine), ("theirs", theirs)):
            course = make_course(instructors=[browser.user_id], title=f"Course {name}", status="draft")
            section = make_section(course)
            lesson = make_lesson(section)
            ids[name] = {"course": course.id, "section": section.id, "lesson": lesson.id}
        db.session.remove()
    return mine, theirs, ids


def _get(app, model, pk):
    with app.app_context():
        row = db.session.scalar(select(model).where(model.id == pk).execution_options(include_deleted=True))
        result = None if row is None else {c.key: getattr(row, c.key) for c in model.__table__.columns}
        db.session.remove()
        return result


def test_student_gets_no_course_back_office(login_as):
    student = login_as("Student")
    for url in COURSE_SCREENS:
        assert _denied(student.get(url)), url


def test_instructor_sees_only_own_courses_and_admin_sees_all(app, login_as, two_instructors):
    mine, _theirs, ids = two_instructors
    page = mine.get("/coursemodelview/list/").get_data(as_text=True)
    assert "Course mine" in page and "Course theirs" not in page
    sections = mine.get("/coursesectionmodelview/list/").get_data(as_text=True)
    assert f"/coursesectionmodelview/show/{ids['mine']['section']}" in sections
    assert f"/coursesectionmodelview/show/{ids['theirs']['section']}" not in sections
    admin_page = login_as("Admin").get("/coursemodelview/list/").get_data(as_text=True)
    assert "Course mine" in admin_page and "Course theirs" in admin_page


def test_instructor_cannot_show_edit_or_delete_another_instructors_rows(app, two_instructors):
    mine, _theirs, ids = two_instructors
    other = ids["theirs"]
    assert mine.get(f"/coursemodelview/show/{other['course']}").status_code == 404
    assert mine.get(f"/coursemodelview/edit/{other['course']}").status_code == 404
    response = mine.post(f"/coursemodelview/edit/{other['course']}", data={"title_en": "Hijacked"})
    assert response.status_code == 404
    assert mine.get(f"/lessonmodelview/show/{other['lesson']}").status_code == 404
    mine.post(f"/coursesectionmodelview/delete/{other['section']}")
    mine.get(f"/coursesectionmodelview/delete/{other['section']}")
    assert _get(app, CourseSection, other["section"])["is_deleted"] is False
    assert _get(app, Course, other["course"])["translations"]["en"]["title"] == "Course theirs"


def test_bulk_delete_skips_rows_of_other_instructors(app, two_instructors):
    mine, _theirs, ids = two_instructors
    response = mine.post(
        "/coursesectionmodelview/action_post",
        data={"action": "soft_delete_selected", "rowid": [ids["mine"]["section"], ids["theirs"]["section"]]},
    )
    assert response.status_code == 302
    assert _get(app, CourseSection, ids["mine"]["section"])["is_deleted"] is True
    assert _get(app, CourseSection, ids["theirs"]["section"])["is_deleted"] is False


def test_forged_section_into_another_instructors_course_is_refused(app, two_instructors):
    mine, _theirs, ids = two_instructors
    data = {"course": ids["theirs"]["course"], "position": "5", "title_en": "Forged", "title_ar": "مزور"}
    response = mine.post("/coursesectionmodelview/add", data=data, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        forged = db.session.scalars(
            select(CourseSection).where(CourseSection.course_id == ids["theirs"]["course"])
        ).all()
        assert len(forged) == 1  # only the factory's section
        db.session.remove()
    # the same form on one's own course works, and the position defaults to the end
    data = {"course": ids["mine"]["course"], "position": "", "title_en": "Second", "title_ar": "الثاني"}
    mine.post("/coursesectionmodelview/add", data=data)
    with app.app_context():
        sections = db.session.scalars(
            select(CourseSection)
            .where(CourseSection.course_id == ids["mine"]["course"])
            .order_by(CourseSection.position)
        ).all()
        assert [s.translations["en"]["title"] for s in sections] == ["Section", "Second"]
        assert sections[1].position == 2
        db.session.remove()


def test_forged_lesson_move_into_another_course_is_refused(app, two_instructors):
    mine, _theirs, ids = two_instructors
    lesson = ids["mine"]["lesson"]
    data = {
        "section": ids["theirs"]["section"],
        "content_type": lookup_id_in(app, "content_types", "text"),
        "title_en": "Moved",
        "title_ar": "منقول",
        "position": "1",
    }
    mine.post(f"/lessonmodelview/edit/{lesson}", data=data)
    row = _get(app, Lesson, lesson)
    assert row["section_id"] == ids["mine"]["section"] and row["course_id"] == ids["mine"]["course"]


def lookup_id_in(app, type_code, code):
    with app.app_context():
        return lookup_id(type_code, code)


def test_instructor_creates_a_course_as_draft_and_cannot_publish_it(app, login_as):
    instructor = login_as("Instructor")
    published = lookup_id_in(app, "course_status", "published")
    data = {
        "title_en": "My new course",
        "title_ar": "دورتي",
        "price": "10",
        "currency": "usd",
        "tags_text": "a, b",
        "status": lookup_id_in(app, "course_status", "draft"),
        "visibility": lookup_id_in(app, "course_visibility", "draft"),
    }
    instructor.post("/coursemodelview/add", data=data)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "my-new-course"))
        assert course is not None and course.status.code == "draft"
        assert [u.id for u in course.instructors] == [instructor.user_id]
        assert course.tags == ["a", "b"] and course.currency == "USD"
        course_id = course.id
        db.session.remove()
    response = instructor.post(
        f"/coursemodelview/edit/{course_id}",
        data={**data, "status": published, "instructors": instructor.user_id},
        follow_redirects=True,
    )
    assert "An admin publishes a course after reviewing it." in response.get_data(as_text=True)
    assert _get(app, Course, course_id)["status_id"] != published


def test_review_workflow_submit_approve_and_reject_with_reason(app, login_as, two_instructors):
    mine, _theirs, ids = two_instructors
    course_id = ids["mine"]["course"]
    mine.post(f"/coursemodelview/action/submit_review/{course_id}")
    assert _get(app, Course, course_id)["review_status_id"] == lookup_id_in(
        app, "course_review_status", "pending"
    )
    # the instructor cannot approve or reject their own course: the actions are not theirs at all
    assert mine.post(f"/coursemodelview/action/approve/{course_id}").status_code in (302, 403)
    assert mine.get(f"/coursemodelview/reject/{course_id}").status_code in (302, 403)
    show = mine.get(f"/coursemodelview/show/{course_id}").get_data(as_text=True)
    assert "action/approve" not in show and f"/coursemodelview/reject/{course_id}" not in show
    assert _get(app, Course, course_id)["status_id"] == lookup_id_in(app, "course_status", "draft")

    admin = login_as("Admin")
    page = admin.post(f"/coursemodelview/reject/{course_id}", data={"reason": "  "}, follow_redirects=True)
    assert "Give a reason for the rejection." in page.get_data(as_text=True)
    admin.post(f"/coursemodelview/reject/{course_id}", data={"reason": "Add captions"})
    row = _get(app, Course, course_id)
    assert row["review_reason"] == "Add captions"
    assert row["review_status_id"] == lookup_id_in(app, "course_review_status", "rejected")

    mine.post(f"/coursemodelview/action/submit_review/{course_id}")
    admin.post(f"/coursemodelview/action/approve/{course_id}")
    row = _get(app, Course, course_id)
    assert row["status_id"] == lookup_id_in(app, "course_status", "published")
    assert row["published_at"] is not None


def test_old_reorder_page_leads_to_the_outline_editor(app, two_instructors):
    mine, _theirs, ids = two_instructors
    course_id = ids["mine"]["course"]
    page = mine.get(f"/coursemodelview/reorder/{course_id}")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/courseoutline/{course_id}")
    # another instructor's course has no outline for me
    assert mine.get(f"/coursemodelview/reorder/{ids['theirs']['course']}").status_code == 404
    assert mine.get(f"/courseoutline/{ids['theirs']['course']}").status_code == 404


def test_enrolment_screen_single_student_and_csv_report(app, two_instructors):
    mine, _theirs, ids = two_instructors
    course_id = ids["mine"]["course"]
    with app.app_context():
        alice = make_user("Student", username="alice_csv")
        bob = make_user("Student", username="bob_csv")
        make_user("Student", username="ina_csv", status="inactive", active=False)
        alice_id, bob_id = alice.id, bob.id
        db.session.remove()
    page = mine.post(
        "/enrollmentmodelview/enroll/",
        data={"course_id": course_id, "student": "alice_csv"},
        follow_redirects=True,
    )
    assert "alice_csv is enrolled." in page.get_data(as_text=True)

    csv_data = (
        b"email\nbob_csv@example.test\nalice_csv@example.test\nnobody@example.test\nina_csv@example.test\n"
    )
    response = mine.post(
        "/enrollmentmodelview/import/",
        data={"course_id": course_id, "file": (io.BytesIO(csv_data), "students.csv")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text.count('class="accepted"') == 1 and text.count('class="rejected"') == 3
    assert "Already enrolled." in text and "No such user." in text
    with app.app_context():
        enrolled = set(
            db.session.scalars(select(Enrollment.user_id).where(Enrollment.course_id == course_id))
        )
        assert enrolled == {alice_id, bob_id}
        db.session.remove()


def test_enrolment_csv_bad_file_imports_nothing_and_other_courses_are_refused(app, two_instructors):
    mine, _theirs, ids = two_instructors
    with app.app_context():
        make_user("Student", username="carol_csv")
        db.session.remove()
    bad = mine.post(
        "/enrollmentmodelview/import/",
        data={"course_id": ids["mine"]["course"], "file": (io.BytesIO(b"name\ncarol_csv\n"), "x.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "The file needs an &#39;email&#39; or &#39;username&#39; column." in bad.get_data(as_text=True)
    other = mine.post(
        "/enrollmentmodelview/import/",
        data={"course_id": ids["theirs"]["course"], "file": (io.BytesIO(b"username\ncarol_csv\n"), "x.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Choose one of your courses." in other.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Enrollment.id))) == 0
        db.session.remove()


def test_analytics_page_figures(app, two_instructors):
    mine, _theirs, ids = two_instructors
    with app.app_context():
        course = db.session.get(Course, ids["mine"]["course"])
        students = [make_user("Student") for _ in range(4)]
        make_enrollment(
            students[0], course, status="completed", progress_percent=100, time_spent_seconds=3600
        )
        buy(students[0], course)  # the only purchase: the others are a free enrolment and subscriptions
        make_enrollment(students[1], course, progress_percent=50, time_spent_seconds=1800)
        make_enrollment(students[2], course, type="subscription", progress_percent=10, time_spent_seconds=600)
        make_enrollment(students[3], course, type="subscription", status="dropped", progress_percent=0)
        db.session.remove()
    page = mine.get(f"/courseanalytics/{ids['mine']['course']}").get_data(as_text=True)
    for figure, value in {
        "total": "4",
        "purchase": "1",
        "granted": "1",
        "subscription": "2",
        "completed": "1",
        "dropped": "1",
        "completion_rate": "25.0%",
        "average_progress": "40.0%",
    }.items():
        assert f'data-figure="{figure}">{value}</td>' in page, figure
    assert 'data-seconds="6000"' in page and 'data-seconds="1500"' in page
    assert mine.get(f"/courseanalytics/{ids['theirs']['course']}").status_code == 404


def select_options(page: str, name: str) -> set[int]:
    """The option values of the select named `name` in a form or in the list's filter templates."""
    import re

    text = page.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', text, re.S)
    assert found, f"no select named {name}"
    return {int(v) for v in re.findall(r'<option[^>]*value="(\d+)"', found.group(1))}


def test_course_form_offers_only_teachers_and_visible_prerequisites(app, login_as, two_instructors):
    mine, theirs, ids = two_instructors
    with app.app_context():
        student = make_user("Student").id
        listed = make_course(instructors=[theirs.user_id], title="Listed theirs").id
        private = make_course(instructors=[theirs.user_id], title="Private theirs", visibility="private").id
        db.session.remove()
    for url in ("/coursemodelview/add", f"/coursemodelview/edit/{ids['mine']['course']}"):
        page = mine.get(url).get_data(as_text=True)
        teachers = select_options(page, "instructors")
        assert {mine.user_id, theirs.user_id} <= teachers and student not in teachers, url
        required = select_options(page, "prerequisites")
        assert {ids["mine"]["course"], listed} <= required, url
        assert not {ids["theirs"]["course"], private} & required, url
    admin_page = login_as("Admin").get("/coursemodelview/add").get_data(as_text=True)
    assert {ids["theirs"]["course"], private, listed} <= select_options(admin_page, "prerequisites")


def test_list_filters_offer_only_my_courses_and_their_people(app, login_as, two_instructors):
    from app.engagement.models import Comment

    mine, theirs, ids = two_instructors
    with app.app_context():
        my_course, their_course = (db.session.get(Course, ids[k]["course"]) for k in ("mine", "theirs"))
        learner, commenter, stranger = make_user("Student"), make_user("Student"), make_user("Student")
        make_enrollment(learner, my_course)
        make_enrollment(stranger, their_course)
        db.session.add(
            Comment(target_type="course", target_id=my_course.id, author_id=commenter.id, body="Hi")
        )
        db.session.commit()
        people = {"learner": learner.id, "commenter": commenter.id, "stranger": stranger.id}
        db.session.remove()
    my_ids = ids["mine"]
    for url, fields in (
        ("/coursesectionmodelview/list/", {"course": my_ids["course"]}),
        ("/lessonmodelview/list/", {"course": my_ids["course"], "section": my_ids["section"]}),
        ("/lessoncontentmodelview/list/", {"lesson": my_ids["lesson"]}),
        (
            "/courseresourcemodelview/list/",
            {"course": my_ids["course"], "section": my_ids["section"], "lesson": my_ids["lesson"]},
        ),
        ("/enrollmentmodelview/list/", {"course": my_ids["course"]}),
        ("/notemodelview/list/", {"course": my_ids["course"]}),
    ):
        page = mine.get(url).get_data(as_text=True)
        for field, only in fields.items():
            assert select_options(page, field) == {only}, (url, field)
    for url in ("/enrollmentmodelview/list/", "/notemodelview/list/"):
        users = select_options(mine.get(url).get_data(as_text=True), "user")
        assert {people["learner"], people["commenter"], mine.user_id} <= users, url
        assert not {people["stranger"], theirs.user_id} & users, url
    admin = login_as("Admin").get("/enrollmentmodelview/list/").get_data(as_text=True)
    assert set(people.values()) <= select_options(admin, "user")
    assert {my_ids["course"], ids["theirs"]["course"]} <= select_options(admin, "course")


def test_the_course_page_offers_only_the_review_actions_of_its_state(app, login_as):
    with app.app_context():
        draft = make_course(review_status="not_submitted").id
        pending = make_course(review_status="pending").id
    admin = login_as("Admin")
    draft_page = admin.get(f"/coursemodelview/show/{draft}").get_data(as_text=True)
    assert "action/submit_review" in draft_page
    assert "action/approve" not in draft_page and f"/coursemodelview/reject/{draft}" not in draft_page
    pending_page = admin.get(f"/coursemodelview/show/{pending}").get_data(as_text=True)
    assert "action/approve" in pending_page and "action/reject" in pending_page
    assert f"/coursemodelview/reject/{pending}" in pending_page and "action/submit_review" not in pending_page
