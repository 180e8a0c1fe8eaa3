"""My profile in Arabic on a 390 px phone, with the keyboard alone (CSRF on): a learner types their
headline, picks a timezone and hides their phone, saves with Enter; a refused link keeps what was
typed; axe-core finds no serious violation on the form, the refusal, My CVs and the public profile,
and no page scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from app.extensions import db
from app.security.models import LmsUser
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.browser.test_keyboard import _tab_to
from tests.factories import PASSWORD


@pytest.fixture
def phone(browser: Browser, app, monkeypatch) -> Iterator[Page]:  # noqa: F811
    """A 390 px wide page with axe-core loaded and real CSRF tokens."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(path=AXE)
    yield context.new_page()
    context.close()


def _problems(page: Page) -> list[str]:
    problems = _violations(page)
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if wide > 0:
        problems.append(f"{page.url} scrolls sideways by {wide}px")
    return problems


def _type_into(page: Page, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_learner_edits_the_profile_in_arabic_on_a_phone_by_keyboard(app, live_url, phone, user_factory):  # noqa: F811
    user_id, username = user_factory("Student", first_name="Layla", last_name="Haddad", locale="ar")
    phone.goto(f"{live_url}/login/")
    phone.fill("#username", username)
    phone.fill("#password", PASSWORD)
    phone.click("input[type=submit]")
    phone.wait_for_url(f"{live_url}/my/learning")
    phone.goto(f"{live_url}/lang/ar")
    phone.goto(f"{live_url}/my/profile")
    assert phone.get_attribute("html", "dir") == "rtl"
    problems = _problems(phone)

    _type_into(phone, "#f-name_ar", "ليلى حداد")
    _type_into(phone, "#f-headline", "مهندسة برمجيات")
    _type_into(phone, "#f-phone", "+966 55 123 4567")
    _tab_to(phone, "#f-timezone")
    phone.keyboard.press("ArrowDown")  # UTC -> Cairo
    _type_into(phone, "#f-link-url-0", "javascript:alert(1)")
    _tab_to(phone, "#save-profile")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    # Refused: the page says why, next to the field, and keeps everything typed.
    assert phone.locator("#links-0-error").is_visible()
    assert phone.input_value("#f-headline") == "مهندسة برمجيات"
    assert phone.input_value("#f-link-url-0") == "javascript:alert(1)"
    problems += _problems(phone)

    _type_into(phone, "#f-link-url-0", "https://layla.example")
    _tab_to(phone, "#f-privacy-phone")
    phone.keyboard.press("End")  # "Only me"
    _tab_to(phone, "#save-profile")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert phone.locator(".flash-success").count() == 1, phone.locator(".flashes").all_inner_texts()
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        assert (user.name_ar, user.headline, user.timezone) == ("ليلى حداد", "مهندسة برمجيات", "Africa/Cairo")
        assert user.links == [{"label": "https://layla.example", "url": "https://layla.example"}]
        assert user.profile_privacy["phone"] == "private"
        db.session.remove()

    for path in ("/my/profile/cvs", f"/u/{username}"):
        phone.goto(f"{live_url}{path}")
        problems += _problems(phone)
    assert phone.locator("#edit-profile").is_visible()
    assert not problems, "\n".join(problems)
