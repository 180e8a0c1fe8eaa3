"""A student on a 390 px phone, in Arabic, by keyboard: favorites a course and a lesson comment
(plain form posts, aria-pressed), finds them in My favorites, makes a collection and moves one into
it; right to left, nothing scrolls sideways, axe-core finds no serious violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from app.engagement import services
from app.extensions import db
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import PASSWORD, make_user


@pytest.fixture
def phone(browser: Browser, app, monkeypatch) -> Iterator[Page]:  # noqa: F811
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the real forms, with their tokens
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(path=AXE)
    yield context.new_page()
    context.close()


def _fits(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def test_student_favorites_a_course_and_a_comment_in_arabic_by_keyboard(app, phone: Page, live_url):  # noqa: F811
    with app.app_context():
        teacher = make_user("Instructor")
        student = make_user("Student", username="fav_browser_student")
        course = make_course(instructors=[teacher], title="Data analysis", title_ar="تحليل البيانات")
        lesson = make_lesson(make_section(course))
        make_enrollment(student, course)
        comment = services.add_comment(teacher, "lesson", lesson.id, "<p>اقرأ الفصل الثاني</p>")
        db.session.commit()
        course_url = f"{live_url}/courses/{course.slug}"
        lesson_url = f"{live_url}/courses/{course.slug}/lessons/{lesson.id}"
        comment_id = comment.id
        db.session.remove()
    page = phone
    page.goto(f"{live_url}/login/")
    page.fill("#username", "fav_browser_student")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}/my/learning")
    page.goto(f"{live_url}/lang/ar")
    problems: list[str] = []

    page.goto(course_url)
    assert page.get_attribute("html", "dir") == "rtl"
    button = page.locator(".course-favorite .favorite-toggle")
    assert button.get_attribute("aria-pressed") == "false"
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    button = page.locator(".course-favorite .favorite-toggle")
    assert button.get_attribute("aria-pressed") == "true"
    assert button.locator(".favorite-count").inner_text().strip() == "1"
    problems += _violations(page)
    assert _fits(page) <= 0

    page.goto(lesson_url)
    toggle = page.locator(f"#comment-{comment_id} .favorite-toggle")
    toggle.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(f"#comment-{comment_id} .favorite-toggle").get_attribute("aria-pressed") == "true"

    page.goto(f"{live_url}/my/favorites")
    assert "تحليل البيانات" in page.inner_text("main") and "اقرأ الفصل الثاني" in page.inner_text("main")
    page.fill("input[name=name]", "للمراجعة")
    page.locator("form.favorites-filters select[name=colour]").last.select_option("green")
    with page.expect_navigation():
        page.locator("input[name=name]").press("Enter")
    select = page.locator(".favorite-item select[name=collection_id]").first
    select.select_option(label="للمراجعة")
    select.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the Move button, next after the list
    assert page.locator(".favorite-item .collection-chip").first.inner_text() == "للمراجعة"
    page.fill("input[type=search]", "البيانات")
    with page.expect_navigation():
        page.locator("input[type=search]").press("Enter")
    assert page.locator(".favorite-item").count() == 1
    problems += _violations(page)
    assert _fits(page) <= 0, "My favorites scrolls sideways on a phone"
    assert not problems, problems
