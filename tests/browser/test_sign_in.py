"""Signing in from the portal in headless Chromium (CSRF on): where each role lands, in Arabic and
English, on a desktop and on a 390 px phone, by keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course
from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def open_page(browser: Browser, app, monkeypatch) -> Iterator:  # noqa: F811
    """`open_page(lang, viewport)`: a fresh browser page in that language and size."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    contexts = []

    def _open(live: str, lang: str, viewport: dict[str, int]) -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live}/lang/{lang}")
        return page

    yield _open
    for context in contexts:
        context.close()


def _sign_in_by_keyboard(page: Page, username: str) -> None:
    """The user name field has the focus; Tab to the password, Enter submits."""
    # Browsers apply `autofocus` once the page has loaded: wait for it rather than race it.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused field shows where the keyboard is"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def _assert_fits(page: Page, direction: str) -> None:
    assert page.evaluate("document.documentElement.dir") == direction
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "nothing sticks out sideways"


@pytest.mark.parametrize(("lang", "direction", "viewport"), [("en", "ltr", DESKTOP), ("ar", "rtl", PHONE)])
def test_learner_who_signs_in_from_a_course_page_returns_to_it(
    app,
    live_url,  # noqa: F811
    open_page,
    user_factory,
    lang,
    direction,
    viewport,
):
    _, student = user_factory("Student")
    with app.app_context():
        slug = make_course(title="Signing in from here", title_ar="تسجيل الدخول من هنا").slug
    page = open_page(live_url, lang, viewport)
    page.goto(f"{live_url}/courses/{slug}")
    page.click(f"main a[href^='/login/?next=/courses/{slug}']")  # "Sign in to enrol"
    _assert_fits(page, direction)
    _sign_in_by_keyboard(page, student)
    page.wait_for_url(f"{live_url}/courses/{slug}")


@pytest.mark.parametrize(("lang", "direction", "viewport"), [("en", "ltr", PHONE), ("ar", "rtl", DESKTOP)])
def test_learner_without_next_lands_on_my_learning(
    live_url,  # noqa: F811
    open_page,
    user_factory,
    lang,
    direction,
    viewport,
):
    _, student = user_factory("Student")
    page = open_page(live_url, lang, viewport)
    page.goto(f"{live_url}/login/")
    _assert_fits(page, direction)
    _sign_in_by_keyboard(page, student)
    page.wait_for_url(f"{live_url}/my/learning")


@pytest.mark.parametrize(
    ("role", "lang", "viewport"),
    [
        ("Instructor", "ar", PHONE),
        ("Instructor", "en", DESKTOP),
        ("Admin", "en", PHONE),
        ("Admin", "ar", DESKTOP),
    ],
)
def test_staff_land_on_the_back_office(
    live_url,  # noqa: F811
    open_page,
    user_factory,
    role,
    lang,
    viewport,
):
    _, username = user_factory(role)
    page = open_page(live_url, lang, viewport)
    page.goto(f"{live_url}/login/")
    _sign_in_by_keyboard(page, username)
    page.wait_for_url(f"{live_url}/admin/")


def test_an_unsafe_next_is_ignored(live_url, open_page, user_factory):  # noqa: F811
    _, student = user_factory("Student")
    page = open_page(live_url, "en", PHONE)
    page.goto(f"{live_url}/login/?next=//example.com/")
    _sign_in_by_keyboard(page, student)
    page.wait_for_url(f"{live_url}/my/learning")


def test_forgot_password_link_asks_for_the_email_in_arabic(live_url, open_page):  # noqa: F811
    page = open_page(live_url, "ar", PHONE)
    page.goto(f"{live_url}/login/")
    page.click("text=هل نسيت كلمة المرور؟")
    page.wait_for_url(f"{live_url}/forgot-password/")
    _assert_fits(page, "rtl")
    assert page.locator("input[type=email]#email").count() == 1
    assert page.locator("text=أرسل لي رابطًا").count() == 1
