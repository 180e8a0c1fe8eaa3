"""The back office's date picker in headless Chromium: Arabic month and day names on Arabic pages, the
week starting on the day the configured region's calendar says (Saturday for the default `ar_EG`),
English names on English pages; the picked date lands in the field, in a form axe-core accepts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from babel import Locale
from playwright.sync_api import Page, expect

from tests.browser.test_back_office import _sign_in, browser, live_url, page  # noqa: F401  (shared fixtures)

AXE = Path(__file__).parents[2] / "app" / "static" / "vendor" / "axe-core" / "axe.min.js"


def _open_picker(page: Page, live_url: str, language: str) -> None:  # noqa: F811
    page.goto(f"{live_url}/lang/{language}")
    page.goto(f"{live_url}/quizmodelview/add")
    page.click("input[name=opens_at]")
    expect(page.locator(".datepicker-days")).to_be_visible()


def _column_heads(page: Page) -> list[str]:  # noqa: F811
    return page.locator(".datepicker-days thead th.dow").all_inner_texts()


def test_arabic_picker_names_in_arabic_from_saturday(page: Page, live_url, user_factory, app):  # noqa: F811
    assert app.config["CALENDAR_LOCALES"]["ar"] == "ar_EG"  # the default region
    arabic = Locale.parse("ar")
    saturday_first = Locale.parse("ar_EG").first_week_day == 5
    assert saturday_first, "CLDR: the week starts on Saturday in Egypt"
    _, username = user_factory("Admin")
    _sign_in(page, live_url, username)
    _open_picker(page, live_url, "ar")
    month = arabic.months["format"]["wide"][date.today().month]
    expect(page.locator(".datepicker-days .datepicker-switch")).to_contain_text(month)
    heads = _column_heads(page)
    narrow = arabic.days["stand-alone"]["narrow"]
    assert heads[0] == narrow[5] == "س"  # السبت, Saturday
    assert heads == [narrow[day] for day in (5, 6, 0, 1, 2, 3, 4)]
    assert page.locator(".datepicker").first.evaluate("el => el.classList.contains('datepicker-rtl')")
    # Picking a day fills the field with the day in ISO form; the date-and-time field keeps a time.
    page.locator(".datepicker-days td.day:not(.old):not(.new)", has_text="15").first.click()
    expect(page.locator("input[name=opens_at]")).to_have_value(f"{date.today():%Y-%m}-15 00:00:00")
    page.fill("input[name=opens_at]", f"{date.today():%Y-%m}-15 09:30:00")
    page.click("input[name=opens_at]")
    page.locator(".datepicker-days td.day:not(.old):not(.new)", has_text="20").first.click()
    page.keyboard.press("Escape")
    page.locator("input[name=opens_at]").blur()  # closing the picker leaves the field as it is
    expect(page.locator("input[name=opens_at]")).to_have_value(f"{date.today():%Y-%m}-20 09:30:00")


def test_english_picker_keeps_english_names_from_sunday(page: Page, live_url, user_factory):  # noqa: F811
    _, username = user_factory("Admin")
    _sign_in(page, live_url, username)
    _open_picker(page, live_url, "en")
    month = date.today().strftime("%B")
    expect(page.locator(".datepicker-days .datepicker-switch")).to_contain_text(month)
    assert _column_heads(page) == ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"]  # en_US starts on Sunday


def test_the_open_arabic_picker_passes_axe(browser, live_url, user_factory):  # noqa: F811
    _, username = user_factory("Admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=AXE)
    tab = context.new_page()
    try:
        _sign_in(tab, live_url, username)
        _open_picker(tab, live_url, "ar")
        result = tab.evaluate("axe.run({resultTypes: ['violations']})")
        blocking = [
            (violation["id"], [node["target"] for node in violation["nodes"]])
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert blocking == []
    finally:
        context.close()
