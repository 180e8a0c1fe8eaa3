"""The rich text editor and the media picker in headless Chromium: an instructor writes an Arabic course
description (bold text, an English paragraph set left to right, an image from the library), saves it,
and the course page shows it sanitized; the form passes axe-core and fits a 390 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from app.core.transactions import transaction
from app.courses.models import Course
from app.extensions import db
from app.media import services as media_services
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import _sign_in, browser, live_url, page  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course
from tests.factories import make_user
from tests.media_fixtures import png_bytes


@pytest.fixture
def teaching(app, media_config) -> dict[str, str | int]:
    """An instructor's published course, an image of theirs and another instructor's private image."""
    with app.app_context(), app.test_request_context():
        instructor, other = make_user("Instructor"), make_user("Instructor")
        with transaction():
            media_services.upload_files(
                [("sunrise.png", png_bytes(color="orange"))], "attachment", instructor
            )
            media_services.upload_files([("secret.png", png_bytes(color="black"))], "attachment", other)
        course = make_course(instructors=[instructor], title="Light and colour", title_ar="الضوء واللون")
        data: dict[str, str | int] = {"id": course.id, "slug": course.slug, "username": instructor.username}
        db.session.remove()
    return data


def _editor_of(page: Page, field: str):  # noqa: F811
    """The editor wrapper of a textarea (its toolbar and its editable area)."""
    return page.locator(".lms-richtext").filter(has=page.locator(f"#{field}-editor"))


def test_instructor_writes_arabic_rich_text_with_a_library_image(
    app,
    live_url,  # noqa: F811
    page,  # noqa: F811
    teaching,
):
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    prompts: list[str] = []

    def answer(dialog: Dialog) -> None:
        prompts.append(dialog.message)
        dialog.accept("شروق الشمس")

    page.on("dialog", answer)
    _sign_in(page, live_url, str(teaching["username"]))
    page.goto(f"{live_url}/lang/ar")
    page.goto(f"{live_url}/coursemodelview/edit/{teaching['id']}")
    arabic = _editor_of(page, "description_ar")
    expect(arabic).to_have_count(1)
    area = page.locator("#description_ar-editor")
    assert area.get_attribute("dir") == "rtl" and area.get_attribute("lang") == "ar"
    assert area.get_attribute("aria-labelledby") == "description_ar-label"
    expect(page.locator("#description_ar")).to_be_hidden()  # kept in the form, holding the HTML

    # Bold text typed in the Arabic editor.
    area.click()
    page.keyboard.type("نص ")
    bold = arabic.get_by_role("button", name="غامق")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("عريض")
    # An English paragraph, set left to right.
    page.keyboard.press("Enter")
    if bold.get_attribute("aria-pressed") == "true":  # the new line goes on in bold, as in word processors
        bold.click()
    expect(bold).to_have_attribute("aria-pressed", "false")
    page.keyboard.type("An English paragraph")
    arabic.get_by_role("button", name="فقرة من اليسار إلى اليمين").click()
    # An image from the library: only the instructor's own files are offered.
    page.keyboard.press("End")
    arabic.get_by_role("button", name="صورة من مكتبة الوسائط").click()
    dialog = page.locator("dialog.lms-media-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".lms-media-title")).to_have_text("اختر صورة")
    expect(dialog.locator(".lms-media-item")).to_have_count(1)
    expect(dialog.locator(".lms-media-item")).to_contain_text("sunrise.png")
    dialog.locator(".lms-media-item").click()
    expect(dialog).to_be_hidden()
    expect(area.locator("img")).to_have_count(1)
    assert prompts == ["صف الصورة لمن لا يستطيع رؤيتها:"]

    html = page.eval_on_selector("#description_ar", "t => t.value")
    assert "<strong>عريض</strong>" in html
    assert '<p dir="ltr">An English paragraph' in html
    assert 'alt="شروق الشمس"' in html and 'src="/media/image/' in html

    page.locator("#model_form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    with app.app_context():
        stored = db.session.get(Course, teaching["id"]).translations["ar"]["description"]
        db.session.remove()
    assert "<strong>عريض</strong>" in stored and '<p dir="ltr">An English paragraph' in stored
    assert "&nbsp;" not in stored  # spaces stay spaces: lines wrap on the page

    # The course page shows it, sanitized, with the image loaded from its stable address.
    page.goto(f"{live_url}/courses/{teaching['slug']}")
    text = page.locator(".course-description .rich-text")
    expect(text.locator("strong")).to_have_text("عريض")
    expect(text.locator("p[dir=ltr]")).to_contain_text("An English paragraph")
    image = text.locator("img[alt='شروق الشمس']")
    expect(image).to_have_count(1)
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert not blocked, blocked


def _signed_in(browser: Browser, live_url: str, username: str, width: int) -> Page:  # noqa: F811
    """A new browser window of the given width with axe-core, signed in (close its context after)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=AXE)  # injected by the browser: the CSP would refuse it as a page script
    window = context.new_page()
    _sign_in(window, live_url, username)
    return window


def test_the_editor_form_is_accessible_keyboard_usable_and_fits_a_phone(
    app,
    browser,  # noqa: F811
    live_url,  # noqa: F811
    teaching,
):
    url = f"{live_url}/coursemodelview/edit/{teaching['id']}"
    for language in ("ar", "en"):
        desktop = _signed_in(browser, live_url, str(teaching["username"]), 1280)
        desktop.goto(f"{live_url}/lang/{language}")
        desktop.goto(url)
        expect(desktop.locator(".lms-richtext")).to_have_count(2)
        assert _violations(desktop) == [], language
        # English and Arabic side by side: English on the left in English, on the right in Arabic.
        english = desktop.locator("#description_en-editor").bounding_box()
        arabic = desktop.locator("#description_ar-editor").bounding_box()
        assert abs(english["y"] - arabic["y"]) < 2
        assert (english["x"] < arabic["x"]) == (language == "en")
        # The toolbar is one Tab stop; arrows move along it in reading order.
        first = desktop.locator("#description_ar-editor").locator("xpath=../..").locator("button").first
        first.focus()
        desktop.keyboard.press("ArrowLeft" if language == "ar" else "ArrowRight")
        assert desktop.evaluate("document.activeElement.getAttribute('aria-pressed')") == "false"
        assert desktop.evaluate("document.activeElement.tabIndex") == 0
        assert first.evaluate("b => b.tabIndex") == -1
        # Tab leaves the editor (no keyboard trap).
        desktop.locator("#description_ar-editor").click()
        desktop.keyboard.press("Tab")
        assert desktop.evaluate("document.activeElement.id") != "description_ar-editor"
        # The media picker dialog, opened from the cover field.
        desktop.locator("[data-media-picker] [data-media-choose]").click()
        expect(desktop.locator("dialog.lms-media-dialog .lms-media-item")).to_have_count(1)
        assert _violations(desktop) == [], f"{language}, dialog open"
        desktop.keyboard.press("Escape")
        desktop.context.close()

        phone = _signed_in(browser, live_url, str(teaching["username"]), 390)
        phone.goto(f"{live_url}/lang/{language}")
        phone.goto(url)
        expect(phone.locator(".lms-richtext")).to_have_count(2)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the form scrolls sideways by {overflow}px in {language}"
        english = phone.locator("#description_en-editor").bounding_box()
        arabic = phone.locator("#description_ar-editor").bounding_box()
        assert arabic["y"] > english["y"] + english["height"] - 1, "stacked on a phone"
        phone.context.close()
