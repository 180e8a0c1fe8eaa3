"""The quiz player and the checkout with the keyboard alone (Tab, Space, arrows, Enter), in headless
Chromium with CSRF on: every control used is reached by Tab and shows where the focus is."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_assessments import _course_with_quiz
from tests.browser.test_back_office import _sign_in, browser, live_url, page  # noqa: F401  (shared fixtures)
from tests.browser.test_billing import _shop

FOCUS_SHOWN = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
}"""


def _tab_to(page: Page, selector: str, limit: int = 120) -> None:  # noqa: F811
    """Press Tab until the focus is on an element matching `selector`, and check that it shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"the focus on {selector} is not visible"
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_learner_takes_a_quiz_with_the_keyboard_alone(app, live_url, page):  # noqa: F811
    data = _course_with_quiz(app)
    _sign_in(page, live_url, data["student"], lands_on="/my/learning")
    page.goto(f"{live_url}/lang/ar")
    page.goto(f"{live_url}/quizzes/{data['quiz']}")
    _tab_to(page, "#start-quiz")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))

    # A choice: Tab into the group, then the arrows move the choice until the right one is taken.
    group = f"input[name='answer-{data['choice']}']"
    _tab_to(page, group)
    page.keyboard.press("Space")
    for _ in range(5):
        if page.locator(f"{group}[value='{data['right']}']").is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"{group}[value='{data['right']}']")).to_be_checked()
    _tab_to(page, f"input[name='answer-{data['short']}']")
    page.keyboard.type("باريس")
    _tab_to(page, "#submit-attempt")
    page.keyboard.press("Enter")
    page.wait_for_selector("#attempt-result")
    expect(page.locator("#result-score")).to_contain_text("2 / 2")


def test_a_learner_pays_at_the_checkout_with_the_keyboard_alone(app, live_url, page):  # noqa: F811
    data = _shop(app)
    _sign_in(page, live_url, data["student"], lands_on="/my/learning")
    page.goto(f"{live_url}/plans/")
    _tab_to(page, "section.plan-card[data-plan='pro'] .subscribe-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/billing/sandbox/checkout/**")
    _tab_to(page, "#pay-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/my/subscription")
    expect(page.locator("#subscription")).to_have_attribute("data-status", "active")
