"""The grouped back-office menus in Chromium, in English and Arabic, on a desktop and a 390 px phone:
open, readable, operable with the keyboard, and clean for axe-core while open."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import (  # noqa: F401  (shared fixtures)
    _violations,
    admin,
    browser,
    desktop,
    live_url,
    phone,
)

HEADINGS = {
    "en": (
        "Assessments",
        ["Quizzes", "Question banks", "Assignments and rubrics", "Grades and certificates"],
    ),
    "ar": ("التقييمات", ["الاختبارات", "بنوك الأسئلة", "الواجبات وسلالم التقييم", "الدرجات والشهادات"]),
}


def _open_assessments(page: Page, language: str) -> None:
    label, headings = HEADINGS[language]
    toggle = page.locator(".navbar-nav > li > a.dropdown-toggle", has_text=label)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    shown = page.locator(".lms-menu:visible .dropdown-header")
    expect(shown).to_have_text(headings)


def test_grouped_menu_on_a_desktop(desktop: Page, live_url):  # noqa: F811
    for language in HEADINGS:
        desktop.goto(f"{live_url}/lang/{language}")
        _open_assessments(desktop, language)
        box = desktop.locator(".lms-menu:visible").bounding_box()
        assert box and box["y"] + box["height"] <= 900 and 0 <= box["x"] <= 1280 - box["width"]
        violations = _violations(desktop)
        assert not violations, "\n".join(violations)
        # With the keyboard alone: Escape closes the menu, Enter opens it again, and Tab walks
        # through every screen in it (the headings are not stops).
        links = desktop.eval_on_selector_all(".lms-menu:visible a", "links => links.map(a => a.href)")
        desktop.keyboard.press("Escape")
        expect(desktop.locator(".lms-menu:visible")).to_have_count(0)
        desktop.keyboard.press("Enter")
        reached = []
        for _ in links:
            desktop.keyboard.press("Tab")
            reached.append(desktop.evaluate("document.activeElement.href"))
        assert reached == links


def test_grouped_menu_on_a_phone(phone: Page, live_url):  # noqa: F811
    for language in HEADINGS:
        phone.goto(f"{live_url}/lang/{language}")
        phone.click(".navbar-toggle")
        phone.wait_for_selector(".navbar-collapse.in")  # opened, not half-way
        _open_assessments(phone, language)
        link = phone.locator(".lms-menu:visible a[href*='quizmodelview']").first
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the open menu scrolls sideways by {overflow}px in {language}"
        violations = _violations(phone)
        assert not violations, "\n".join(violations)
