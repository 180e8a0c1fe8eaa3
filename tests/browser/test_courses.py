"""A learner's path through the portal in headless Chromium (Arabic, CSRF on), then the instructor's view."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.courses.models import LessonContent
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.browser.test_back_office import browser, live_url, page  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_lesson, make_section
from tests.factories import PASSWORD, make_user


def _sign_in(page: Page, live_url: str, username: str, lands_on: str = "/my/learning") -> None:  # noqa: F811
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}{lands_on}")  # learners land on My learning, staff on /admin/


def _make_course(app) -> dict[str, str]:
    with app.app_context():
        instructor = make_user("Instructor")
        student = make_user("Student")
        course = make_course(
            instructors=[instructor],
            title="Python for complete beginners",
            title_ar="البرمجة بلغة بايثون للمبتدئين",
            level="beginner",
        )
        section = make_section(course, "First steps")
        reading = make_lesson(section, "Reading: what is a program")
        db.session.add(
            LessonContent(
                lesson_id=reading.id,
                kind_id=require_lookup_id("content_types", "text"),
                translations={
                    "en": {"body": "<p>A program is a list of instructions.</p>"},
                    "ar": {"body": "<p>البرنامج قائمة من التعليمات.</p>"},
                },
            )
        )
        db.session.commit()
        make_lesson(section, "Practice: your first script", content_type="video", duration_minutes=10)
        data = {
            "slug": course.slug,
            "student": student.username,
            "instructor": instructor.username,
        }
        db.session.remove()
    return data


def test_student_finds_joins_studies_and_the_instructor_sees_the_enrolment(
    app,
    live_url,  # noqa: F811
    page,  # noqa: F811
    browser,  # noqa: F811
):
    data = _make_course(app)
    _sign_in(page, live_url, data["student"])
    page.goto(f"{live_url}/lang/ar")

    # The Arabic catalog, right to left; search by an Arabic word.
    page.goto(f"{live_url}/courses/")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.fill("input[name=q]", "بايثون")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*/courses/\?q="))
    card = page.locator(".course-card", has_text="البرمجة بلغة بايثون للمبتدئين")
    expect(card).to_have_count(1)
    card.locator("a").first.click()
    page.wait_for_url(f"{live_url}/courses/{data['slug']}")
    expect(page.locator("h1")).to_have_text("البرمجة بلغة بايثون للمبتدئين")

    # Enrol (a real CSRF-protected form post), then continue to the first lesson.
    page.click("#enroll-button")
    page.wait_for_url(f"{live_url}/courses/{data['slug']}")
    expect(page.locator(".flash-success")).to_have_count(1)
    with page.expect_response(lambda r: r.url.endswith("/heartbeat") and r.request.method == "POST") as beat:
        page.click(f"a[href='/courses/{data['slug']}/continue']")
    assert beat.value.status == 200, "player.js beats with the CSRF header, CSP allows it"
    assert beat.value.json()["completed"] is False, "opening a text lesson does not complete it"
    expect(page.locator(".rich-text")).to_contain_text("البرنامج قائمة من التعليمات.")
    # This short text ends in view: having it there a moment is reading to the end.
    expect(page.locator(".player-outline li.current")).to_have_class(re.compile(r"\bdone\b"))
    expect(page.locator("#lesson-status")).to_have_text("✓ أكملت هذا الدرس.")

    # The next lesson is a video: mark it complete by hand.
    page.click("a[rel=next]")
    page.click("#mark-complete")
    expect(page.locator("#lesson-status")).to_be_visible()
    expect(page.locator(".player-outline li.current")).to_have_class(re.compile(r"\bdone\b"))

    # A private note on this lesson.
    page.fill("#note-form textarea[name=body]", "ملاحظة خاصة: راجع الحلقات")
    page.select_option("#note-form select[name=visibility]", "private")
    page.select_option("#note-form select[name=color]", "green")
    page.click("#note-form button[type=submit]")
    note = page.locator("article.note", has_text="ملاحظة خاصة: راجع الحلقات")
    expect(note).to_have_count(1)
    expect(note).to_have_class(re.compile(r"note-green"))

    # My learning shows the course at 100 %.
    page.goto(f"{live_url}/my/learning")
    row = page.locator(f"li.enrollment[data-course='{data['slug']}']")
    expect(row).to_have_count(1)
    assert row.locator("progress").get_attribute("value") == "100"

    # The instructor signs in and finds the enrolment in the back office.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    teacher = context.new_page()
    try:
        _sign_in(teacher, live_url, data["instructor"], lands_on="/admin/")
        response = teacher.goto(f"{live_url}/enrollmentmodelview/list/")
        assert response is not None and response.status == 200
        row = teacher.locator("table.table-bordered tr", has_text=data["student"])
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Python for complete beginners")
    finally:
        context.close()
