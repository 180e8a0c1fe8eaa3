"""Text lessons in headless Chromium (CSRF on), in English and Arabic: opening one does not complete
it, reading to its end does (without a reload, said in a live region), and the button works from the
keyboard without any script."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.courses.models import LessonContent
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import _sign_in, browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user

DONE = {"en": "✓ You completed this lesson.", "ar": "✓ أكملت هذا الدرس."}
PARAGRAPHS = 60  # several screens of text: its end is far below the first view


def _reading_course(app) -> dict[str, str]:
    """A course of two long text lessons and a learner enrolled in it."""
    with app.app_context():
        student = make_user("Student")
        course = make_course(title="Reading closely", title_ar="القراءة المتأنية")
        section = make_section(course, "Texts")
        lessons = [make_lesson(section, "A long read"), make_lesson(section, "Another long read")]
        for lesson in lessons:
            db.session.add(
                LessonContent(
                    lesson_id=lesson.id,
                    kind_id=require_lookup_id("content_types", "text"),
                    translations={
                        "en": {
                            "body": "".join(f"<p>Paragraph {n} of the text.</p>" for n in range(PARAGRAPHS))
                        },
                        "ar": {"body": "".join(f"<p>الفقرة {n} من النص.</p>" for n in range(PARAGRAPHS))},
                    },
                )
            )
        db.session.commit()
        make_enrollment(student, course)
        data = {
            "student": student.username,
            "first": f"/courses/{course.slug}/lessons/{lessons[0].id}",
            "second": f"/courses/{course.slug}/lessons/{lessons[1].id}",
        }
        db.session.remove()
    return data


@pytest.fixture
def page(browser: Browser, app, monkeypatch) -> Iterator[Page]:  # noqa: F811
    """A fresh page with axe-core loaded and real CSRF tokens."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=AXE)
    page = context.new_page()
    yield page
    # Leaving the player sends its last heartbeat: give it a moment to be answered while the test's
    # data is still there (it is not always sent, so nothing waits for it).
    page.goto("about:blank")
    page.wait_for_timeout(500)
    context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_reading_to_the_end_completes_a_text_lesson_without_a_reload(
    app,
    live_url,  # noqa: F811
    page: Page,
    language: str,
):
    data = _reading_course(app)
    _sign_in(page, live_url, data["student"], lands_on="/my/learning")
    page.goto(f"{live_url}/lang/{language}")
    page.goto(f"{live_url}{data['first']}")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    current = page.locator(".player-outline li.current")
    status = page.locator("#lesson-status")

    # Opened, at the top of the text: not complete, however long the learner stays there.
    page.wait_for_timeout(2500)  # longer than the moment the end must stay in view
    expect(status).to_have_text("")
    expect(current).not_to_have_class(re.compile(r"\bdone\b"))
    assert page.locator("#read-end").bounding_box()["y"] > 900, "the end is below the first view"
    page.evaluate("window.lmsNoReload = true")

    # Scrolling to the end completes it, through the player's script: no reload, one live message.
    with page.expect_response(lambda r: r.url.endswith("/complete") and r.request.method == "POST") as done:
        page.keyboard.press("End")
    assert done.value.status == 200 and done.value.json()["completed"] is True
    expect(status).to_have_text(DONE[language])
    expect(status).to_have_attribute("role", "status")
    expect(page.locator(".flash-success")).to_have_count(1)
    expect(current).to_have_class(re.compile(r"\bdone\b"))
    expect(page.locator("#mark-complete")).to_have_count(0)
    assert page.evaluate("window.lmsNoReload") is True, "the page was not reloaded"
    assert _violations(page) == []

    # The server kept it: the lesson is complete when opened again.
    page.reload()
    expect(page.locator("#lesson-status")).to_have_text(DONE[language])
    expect(page.locator("#read-end")).to_have_count(0)

    # The next lesson, by keyboard only and without the script: Tab to the button, press Enter.
    page.goto(f"{live_url}{data['second']}")
    page.evaluate("document.getElementById('read-end').remove()")  # as if the script never ran
    expect(page.locator("#lesson-status")).to_have_text("")
    button = page.locator("#mark-complete")
    button.focus()
    expect(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"{data['second']}#lesson-completion")
    expect(page.locator("#lesson-status")).to_have_text(DONE[language])
    expect(page.locator(".flash-success")).to_have_count(1)
