"""The portal on the demo data, for a visitor and a learner, in English and Arabic: axe-core finds no
serious or critical violation, and no page scrolls sideways on a 390 px phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from app.assessments.models import Quiz
from app.cli import initialize
from app.courses.models import Course, Lesson
from app.extensions import db
from app.lookups.services import lookup_id
from tests.browser.test_accessibility import AXE, LANGUAGES, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_enrollment
from tests.factories import PASSWORD

VISITOR_PAGES = ("/", "/courses/", "/plans/", "/login/", "/forgot-password/", "/verify", "/no-such-page")
LEARNER_PAGES = ("/", "/my/learning", "/my/grades", "/my/certificates", "/my/subscription", "/my/payments")


@pytest.fixture
def learner(app, user_factory, monkeypatch) -> dict[str, str]:
    """The demo data and a learner enrolled in a published demo course (its page, a lesson, a quiz)."""
    monkeypatch.setitem(app.config, "SEND_FILE_MAX_AGE_DEFAULT", 3600)
    with app.app_context():
        initialize(with_demo=True)
        published = lookup_id("course_status", "published")
        course = db.session.scalars(
            select(Course).where(Course.status_id == published).join(Quiz, Quiz.course_id == Course.id)
        ).first()
        user_id, username = user_factory("Student", username="portal_a11y_learner")
        make_enrollment(user_id, course)
        lesson = db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
        ).first()
        quiz = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)).first()
        pages = {
            "username": username,
            "course": f"/courses/{course.slug}",
            "lesson": f"/courses/{course.slug}/lessons/{lesson.id}",
            "quiz": f"/quizzes/{quiz.id}",
        }
        db.session.remove()
    return pages


def _context(browser: Browser, width: int) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=AXE)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, live_url: str, username: str) -> None:  # noqa: F811
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}/my/learning")


def _check(page: Page, live_url: str, paths: list[str]) -> list[str]:  # noqa: F811
    problems: list[str] = []
    for language in LANGUAGES:
        page.goto(f"{live_url}/lang/{language}")
        for path in paths:
            page.goto(f"{live_url}{path}", wait_until="domcontentloaded")
            problems += _violations(page)
            wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if wide > 0:
                problems.append(f"{page.url} ({language}) scrolls sideways by {wide}px")
    return problems


@pytest.mark.parametrize("width", [1280, 390])
def test_portal_pages_are_accessible_and_fit_a_phone(browser: Browser, live_url, learner, width):  # noqa: F811
    pages = _context(browser, width)
    page = next(pages)
    problems = _check(page, live_url, [*VISITOR_PAGES, learner["course"]])
    _sign_in(page, live_url, learner["username"])
    problems += _check(
        page, live_url, [*LEARNER_PAGES, learner["course"], learner["lesson"], learner["quiz"]]
    )
    next(pages, None)  # closes the context
    assert not problems, "\n".join(problems)


def test_the_portal_menu_folds_behind_a_button_on_a_phone(browser: Browser, live_url):  # noqa: F811
    for width in (390, 1280):
        pages = _context(browser, width)
        page = next(pages)
        page.goto(f"{live_url}/courses/")
        button, catalog = page.locator(".portal-menu-button"), page.locator("#portal-nav a[href='/courses/']")
        if width == 1280:
            assert not button.is_visible() and catalog.is_visible()
        else:
            assert button.is_visible() and not catalog.is_visible()
            assert button.get_attribute("aria-expanded") == "false"
            button.focus()
            page.keyboard.press("Enter")  # by keyboard
            assert button.get_attribute("aria-expanded") == "true" and catalog.is_visible()
            page.keyboard.press("Enter")
            assert not catalog.is_visible()
        next(pages, None)
