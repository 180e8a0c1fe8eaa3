"""The reaction bar in headless Chromium, in Arabic on a 390 px phone: reached and pressed by keyboard,
updated in place by the script, the same with scripts off (a form post), and axe-core finds no
serious violation on the course page and on a lesson's comments."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from app.core.transactions import transaction
from app.engagement import services
from app.extensions import db
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import PASSWORD, make_user


def _world(app) -> dict[str, str]:
    with app.app_context():
        student = make_user("Student")
        course = make_course(title="Reactions course", title_ar="دورة التفاعلات")
        lesson = make_lesson(make_section(course, "First"), "Talk")
        make_enrollment(student, course)
        with transaction():
            services.add_comment(student, "lesson", lesson.id, "<p>سؤال</p>")
        data = {
            "student": student.username,
            "course": f"/courses/{course.slug}",
            "lesson": f"/courses/{course.slug}/lessons/{lesson.id}",
        }
        db.session.remove()
    return data


def _sign_in(page: Page, live_url: str, username: str) -> None:  # noqa: F811
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}/my/learning")
    page.goto(f"{live_url}/lang/ar")


def test_reaction_bar_by_keyboard_with_and_without_scripts(app, browser: Browser, live_url) -> None:  # noqa: F811
    data = _world(app)
    for scripts in (True, False):
        context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=scripts)
        if scripts:
            context.add_init_script(path=AXE)
        page = context.new_page()
        _sign_in(page, live_url, data["student"])
        page.goto(f"{live_url}{data['course']}")
        assert page.get_attribute("html", "dir") == "rtl"
        bar = page.get_by_role("group", name="التفاعل مع هذه الدورة")
        love = bar.get_by_role("button", name="أحببته")
        expected = "أحببته" if scripts else "احتفاء"
        button = love if scripts else bar.get_by_role("button", name="احتفاء")
        if scripts:
            page.evaluate("() => { window.stayed = true; }")  # gone if the page reloads
        button.focus()
        page.keyboard.press("Enter")
        pressed = page.get_by_role("group", name="التفاعل مع هذه الدورة").get_by_role("button", name=expected)
        expect(pressed).to_have_attribute("aria-pressed", "true")
        expect(pressed).to_contain_text("1")
        if scripts:
            assert page.evaluate("() => window.stayed === true")  # updated in place by the script
        page.reload()
        expect(
            page.get_by_role("group", name="التفاعل مع هذه الدورة").get_by_role("button", name=expected)
        ).to_have_attribute("aria-pressed", "true")
        if scripts:
            assert _violations(page) == []
            page.goto(f"{live_url}{data['lesson']}")
            comment_bar = page.get_by_role("group", name="التفاعل مع هذا التعليق")
            comment_bar.get_by_role("button", name="مفيد").press("Space")
            expect(comment_bar.get_by_role("button", name="مفيد")).to_have_attribute("aria-pressed", "true")
            assert _violations(page) == []
            wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0
        context.close()
