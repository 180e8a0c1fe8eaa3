"""Key back-office flows in headless Chromium, in Arabic and English, with CSRF on."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests.factories import PASSWORD, make_lookup, make_lookup_type

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def without_socketio(app: Any) -> Any:
    """`app` answering 204 at /socket.io/ (other paths unchanged)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/socket.io"):
            start_response("204 No Content", [])
            return [b""]
        return app(environ, start_response)

    return wsgi


@pytest.fixture(scope="module")
def live_url(app) -> Iterator[str]:
    """The app served over real HTTP on loopback (one request at a time, like the tests).

    The bell's Socket.IO long poll would hold the only thread for its whole poll: here it gets a
    quick empty answer (204: no console error; the client retries later, the page keeps its
    server-rendered count). tests/browser/test_notifications.py
    serves the real-time bell on its own threaded server.
    """
    server = make_server("127.0.0.1", 0, without_socketio(app), threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, app, monkeypatch) -> Iterator[Page]:
    """A fresh browser page; forms need their real CSRF tokens here."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _sign_in(page: Page, live_url: str, username: str, lands_on: str = "/admin/") -> None:
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}{lands_on}")


def test_admin_works_in_arabic_right_to_left(page: Page, live_url, user_factory):
    _, username = user_factory("Admin")
    _sign_in(page, live_url, username)
    page.goto(f"{live_url}/lang/ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > 640, "the brand sits on the right in Arabic"
    page.click("text=الإعدادات")  # Settings menu
    menu = page.locator(".dropdown-menu:visible").first.bounding_box()
    assert menu["x"] > 640, "the dropdown opens under its menu, on the right"
    page.click("text=أنواع القيم المرجعية")  # Lookup Types
    page.wait_for_selector("th:has-text('الرمز')")  # the "Code" column header, in Arabic


def test_admin_bulk_delete_and_restore_through_the_screens(page: Page, live_url, user_factory, app):
    with app.app_context():
        ltype = make_lookup_type()
        value = make_lookup(ltype, code="browser_value")
        value_id, type_id = value.id, ltype.id
    _, username = user_factory("Admin")
    _sign_in(page, live_url, username)
    page.goto(f"{live_url}/lookupmodelview/list/?_flt_0_type={type_id}")
    page.check(f"input[name=rowid][value='{value_id}']")
    page.click("button.dropdown-toggle:has-text('Actions')")
    page.click(".soft_delete_selected_menu_item")
    with page.expect_response(lambda r: "/action_post" in r.url and r.request.method == "POST"):
        page.click("#modal-confirm-ok")
    # FAB redirects to the page visited before the list and flashes the outcome there: wait for that
    # page, so that the next navigation does not race the redirect.
    page.wait_for_selector("text=record(s) deleted")
    page.goto(f"{live_url}/lookupmodelview/list/?_flt_0_type={type_id}")
    assert page.locator(f"input[name=rowid][value='{value_id}']").count() == 0
    page.goto(f"{live_url}/admin/trash/lookup/")
    page.check(f"input[name=rowid][value='{value_id}']")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_url}/lookupmodelview/show/{value_id}")
    assert page.locator("text=browser_value").count() >= 1


def test_student_sees_only_their_own_account(page: Page, live_url, user_factory):
    _, username = user_factory("Student")
    _sign_in(page, live_url, username, lands_on="/my/learning")
    page.goto(f"{live_url}/admin/")
    menus = page.locator(".navbar .dropdown-toggle").all_inner_texts()
    assert not any("Security" in m or "Settings" in m for m in menus)
    page.goto(f"{live_url}/admin/my-activity/list/")
    assert page.locator("td", has_text=username).count() >= 1
    response = page.goto(f"{live_url}/lookupmodelview/list/")
    assert response is not None and response.status == 403


def test_storage_browser_bulk_delete_works_under_the_csp(page: Page, live_url, user_factory, app):
    from tests.security.test_defects import storage_browser_root

    target = storage_browser_root(app) / "browser-bulk-delete.txt"
    target.write_text("bye", encoding="utf-8")
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security" in message.text else None,
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))  # "Are you sure?"
    try:
        _, username = user_factory("Admin")
        _sign_in(page, live_url, username)
        page.goto(f"{live_url}/admin/files/local/")
        page.check("input[name=rowid][value='browser-bulk-delete.txt']")
        with page.expect_navigation():
            page.click("button[data-action=delete]")
        assert dialogs == ["confirm"] and not target.exists()
        assert page.locator("input[name=rowid][value='browser-bulk-delete.txt']").count() == 0
        assert not blocked, blocked
    finally:
        target.unlink(missing_ok=True)
