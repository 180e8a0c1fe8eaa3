"""Account e-mail pages in headless Chromium (CSRF on), in both languages on a 390 px phone: the
verification banner and its Resend button by keyboard, the forgot-password form and the reset page,
with no serious axe-core violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from app.extensions import db
from app.security import accounts
from app.security.models import LmsUser
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.factories import PASSWORD
from tests.security.accounts_support import to

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, app, monkeypatch) -> Iterator[Page]:  # noqa: F811
    """A phone-sized page with axe-core loaded; forms need their real CSRF tokens."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(path=AXE)
    yield context.new_page()
    context.close()


def _fits(page: Page) -> list[str]:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return [f"{page.url} scrolls sideways by {wide}px"] if wide > 0 else []


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_unverified_learner_resends_by_keyboard(app, phone, live_url, mailbox, user_factory, lang, direction):  # noqa: F811
    _, username = user_factory(
        "Student", email=f"unverified-{lang}@example.test", email_verified_at=None, locale=lang
    )
    phone.goto(f"{live_url}/lang/{lang}")
    phone.goto(f"{live_url}/login/")
    phone.fill("#username", username)
    phone.fill("#password", PASSWORD)
    phone.click("input[type=submit]")
    phone.wait_for_url(f"{live_url}/my/learning")
    assert phone.evaluate("document.documentElement.dir") == direction
    assert phone.locator(".verify-banner").count() == 1
    problems = _violations(phone) + _fits(phone)
    phone.focus(".verify-banner-button")
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows where the keyboard is"
    with phone.expect_navigation():  # the form posts, then comes back to the same page
        phone.keyboard.press("Enter")
    assert phone.url == f"{live_url}/my/learning"
    assert len(to(mailbox, f"unverified-{lang}@example.test")) == 1
    phone.goto(f"{live_url}/admin/")
    assert phone.locator(".verify-banner").count() == 1
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_forgot_and_reset_pages(app, phone, live_url, mailbox, user_factory, lang):  # noqa: F811
    user_id, _ = user_factory("Student", email=f"reset-{lang}@example.test")
    phone.goto(f"{live_url}/lang/{lang}")
    phone.goto(f"{live_url}/forgot-password/")
    problems = _violations(phone) + _fits(phone)
    phone.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
    phone.keyboard.type(f"reset-{lang}@example.test")
    phone.keyboard.press("Enter")
    phone.wait_for_selector(".auth-flash-success")
    problems += _violations(phone)
    with app.app_context():
        token = accounts.password_reset_token(db.session.get(LmsUser, user_id))
        db.session.remove()
    phone.goto(f"{live_url}/reset-password/{token}")
    problems += _violations(phone) + _fits(phone)
    phone.fill("#password", "a-keyboard-passphrase")
    phone.fill("#conf_password", "a-keyboard-passphrase")
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"{live_url}/login/")
    assert phone.locator(".auth-flash-success").count() == 1
    assert not problems, "\n".join(problems)
