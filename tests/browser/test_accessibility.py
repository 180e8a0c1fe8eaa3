"""The back office for an admin on the demo data, in English and Arabic: axe-core finds no serious or
critical violation (WCAG 2.2 AA and best practices), and lists, show pages and forms fit a 390 px
phone without scrolling the page sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from app.cli import initialize
from app.extensions import db
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.factories import PASSWORD

AXE = Path(__file__).parents[2] / "app" / "static" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
LANGUAGES = ("en", "ar")
# Menu links that are actions, not pages.
SKIPPED = ("/lang/", "/logout")


@pytest.fixture
def admin(app, user_factory, monkeypatch) -> str:
    """The demo data (courses, assessments, plans, ...) and an admin to browse it."""
    # Static files cached by the browser, not revalidated on each of some 200 pages: the one-thread
    # server then answers about one request per page instead of twenty.
    monkeypatch.setitem(app.config, "SEND_FILE_MAX_AGE_DEFAULT", 3600)
    with app.app_context():
        initialize(with_demo=True)
        db.session.remove()
    return user_factory("Admin")[1]


def _signed_in(browser: Browser, live_url: str, username: str, width: int) -> Iterator[Page]:  # noqa: F811
    # axe is injected by the browser into every page (the CSP would refuse it as a page script).
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=AXE)
    page = context.new_page()
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}/admin/")
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_url, admin) -> Iterator[Page]:  # noqa: F811
    yield from _signed_in(browser, live_url, admin, 1280)


@pytest.fixture
def phone(browser, live_url, admin) -> Iterator[Page]:  # noqa: F811
    yield from _signed_in(browser, live_url, admin, 390)


def _menu_links(page: Page, live_url: str) -> list[str]:  # noqa: F811
    """The back-office pages the navbar leads to (not the language switch nor the logout)."""
    hrefs = page.eval_on_selector_all(".navbar-nav a[href]", "links => links.map(a => a.href)")
    pages = []
    for href in hrefs:
        path = urlsplit(href).path
        if href.startswith(live_url) and path != "/" and not path.startswith(SKIPPED):
            pages.append(href)
    return list(dict.fromkeys(pages))


def _record_pages(page: Page) -> list[str]:
    """On a list page: its first record's show page and edit form, or else its add form."""
    found = page.eval_on_selector_all(
        "table a[href*='/show/'], table a[href*='/edit/']", "links => links.slice(0, 2).map(a => a.href)"
    )
    if not any("/edit/" in href for href in found):
        found += page.eval_on_selector_all(
            ".well a[href*='/add']", "links => links.slice(0, 1).map(a => a.href)"
        )
    return found


def _violations(page: Page) -> list[str]:
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} {violation['impact']} {violation['id']}: {node['target']} {violation['help']}"
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


def test_back_office_pages_have_no_serious_accessibility_violations(desktop: Page, live_url):  # noqa: F811
    violations: list[str] = []
    for language in LANGUAGES:
        desktop.goto(f"{live_url}/lang/{language}")
        visited = {desktop.url}
        violations += _violations(desktop)
        for url in _menu_links(desktop, live_url):
            desktop.goto(url, wait_until="domcontentloaded")
            violations += _violations(desktop)
            for record in _record_pages(desktop):
                if record not in visited:
                    visited.add(record)
                    desktop.goto(record, wait_until="domcontentloaded")
                    violations += _violations(desktop)
        # The filter rows the search form adds in the browser.
        desktop.goto(f"{live_url}/lookupmodelview/list/?_flt_0_code=active")
        desktop.click("a.accordion-toggle[href='#accordion1_href']")
        desktop.wait_for_selector("#accordion1_href.in")  # opened, not half-way
        desktop.click("#filter_form .dropdown-toggle")
        desktop.click("#filter_form a.filter[name=name_en]")
        violations += _violations(desktop)
    assert not violations, "\n".join(violations)


def test_back_office_fits_a_phone(phone: Page, live_url):  # noqa: F811
    for language in LANGUAGES:
        phone.goto(f"{live_url}/lang/{language}")
        toggle = phone.locator(".navbar-toggle")
        menu = phone.locator(".navbar-collapse .navbar-nav").first
        assert toggle.is_visible() and not menu.is_visible(), "the menu collapses behind its button"
        toggle.click()
        menu.wait_for(state="visible")
        phone.goto(f"{live_url}/coursemodelview/list/")
        pages = [phone.url, *_record_pages(phone)]
        assert len(pages) == 3, pages  # the list, a show page and an edit form
        for url in pages:
            phone.goto(url)
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{url} scrolls sideways by {overflow}px in {language}"
