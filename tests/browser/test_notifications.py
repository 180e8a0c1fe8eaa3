"""The bell, live: a student enrols in Arabic; the instructor, on the back office in another browser,
sees the bell's count rise without reloading (Socket.IO over a threaded server), opens the
notification and lands on the enrolment's page; axe-core finds nothing serious on the list."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from app.courses.models import Enrollment
from app.extensions import db
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import _sign_in, browser  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course
from tests.factories import make_user


@pytest.fixture
def live_app(app, committed, monkeypatch) -> Iterator[str]:
    """The app on a threaded server: the bell's Socket.IO connection (WebSocket, or long-polling)
    stays open while other requests are served. Real commits (each thread has its own database
    connection); tasks and delivery run inline in the request that commits."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _people(app) -> dict[str, str]:
    with app.app_context():
        instructor = make_user("Instructor")
        student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة الطالبة")
        course = make_course(
            instructors=[instructor], title="Python for complete beginners", title_ar="بايثون للمبتدئين"
        )
        data = {"instructor": instructor.username, "student": student.username, "slug": course.slug}
        data["course_id"] = str(course.id)
        db.session.remove()
    return data


def test_the_instructors_bell_rises_live_and_opens_the_enrolment(app, live_app, browser) -> None:  # noqa: F811
    data = _people(app)
    teacher_context = browser.new_context(viewport={"width": 1280, "height": 900})
    teacher_context.add_init_script(path=AXE)
    student_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        teacher: Page = teacher_context.new_page()
        _sign_in(teacher, live_app, data["instructor"])
        bell = teacher.locator("#lms-bell")
        expect(bell).to_have_attribute("data-live", "on", timeout=15_000)  # connected to /notifications
        expect(teacher.locator("#lms-bell-count")).to_be_hidden()

        student: Page = student_context.new_page()
        _sign_in(student, live_app, data["student"], lands_on="/my/learning")
        student.goto(f"{live_app}/lang/ar")
        student.goto(f"{live_app}/courses/{data['slug']}")
        assert student.get_attribute("html", "dir") == "rtl"
        student.click("#enroll-button")
        student.wait_for_url(f"{live_app}/courses/{data['slug']}")
        expect(student.locator(".flash-success")).to_have_count(1)

        # No reload: the count arrives over the socket, and screen readers hear the sentence.
        count = teacher.locator("#lms-bell-count")
        expect(count).to_have_text("1", timeout=15_000)
        expect(count).to_be_visible()
        expect(teacher.locator("#lms-bell-live")).to_contain_text("Sara Student enrolled in Python")

        bell.click()
        teacher.wait_for_url(re.compile(r".*/notifications/$"))
        link = teacher.locator("a.notification-link", has_text="Python for complete beginners")
        expect(link).to_have_count(1)
        assert _violations(teacher) == []
        link.click()
        with app.app_context():
            enrollment_id = (
                db.session.query(Enrollment.id).filter_by(course_id=int(data["course_id"])).scalar()
            )
            db.session.remove()
        teacher.wait_for_url(f"{live_app}/enrollmentmodelview/show/{enrollment_id}")
        expect(teacher.locator("#lms-bell-count")).to_be_hidden()  # opened: read
    finally:
        student_context.close()
        teacher_context.close()
