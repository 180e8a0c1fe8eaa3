"""An instructor builds a course in the outline editor in headless Chromium (CSRF on): two sections,
three lessons, a quiz with a multiple-choice question made in the question editor; reorders by
dragging and by keyboard; previews it as a learner. In English on a desktop and in Arabic on a phone,
with axe-core finding no serious violation on the editor pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.assessments.models import Question, QuizQuestion
from app.courses.models import CourseSection, Lesson
from app.extensions import db
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import _sign_in, browser, live_url  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course
from tests.factories import make_user

WORDS = {
    "en": {"questions": "Questions", "save": "Save", "moved": "Moved."},
    "ar": {"questions": "الأسئلة", "save": "حفظ", "moved": "تم النقل."},
}


@pytest.fixture
def instructor_page(browser: Browser, live_url, app, monkeypatch, request) -> Iterator[tuple[Page, int, str]]:  # noqa: F811
    """An instructor signed in, in the asked language and width, with an empty draft course."""
    language, width = request.param
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.app_context():
        teacher = make_user("Instructor")
        course = make_course(
            instructors=[teacher], title="Web basics", title_ar="أساسيات الويب", status="draft"
        )
        username, course_id = teacher.username, course.id
        db.session.remove()
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=AXE)
    page = context.new_page()
    _sign_in(page, live_url, username)
    page.goto(f"{live_url}/lang/{language}")
    yield page, course_id, language
    context.close()


def _no_serious_violations(page: Page) -> None:
    found = _violations(page)
    assert found == [], "\n".join(found)


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def _add(page: Page, holder, key: str, titles: tuple[str, str], shown: str, what: str | None = None) -> None:
    """Open an add form, fill both titles (and what to add) and wait for the new item in the tree."""
    holder.locator(f"summary[data-focus-key^='{key}']").first.click()
    form = holder.locator(f"summary[data-focus-key^='{key}'] + form").first
    if what:
        form.locator("select[name=kind_type]").select_option(what)
    form.locator("input[name=title_en]").fill(titles[0])
    form.locator("input[name=title_ar]").fill(titles[1])
    form.locator("button[type=submit]").click()
    expect(page.locator(".outline-name", has_text=shown)).to_have_count(1)


def _section(page: Page, title: str):
    return page.locator("li.outline-section").filter(has=page.locator(".outline-name", has_text=title)).first


def _lesson(page: Page, title: str):
    return page.locator("li.outline-lesson").filter(has=page.locator(".outline-name", has_text=title)).first


def _order(app, course_id: int) -> list[tuple[str, list[str]]]:
    with app.app_context():
        sections = db.session.scalars(
            select(CourseSection).where(CourseSection.course_id == course_id).order_by(CourseSection.position)
        ).all()
        result = []
        for section in sections:
            lessons = db.session.scalars(
                select(Lesson).where(Lesson.section_id == section.id).order_by(Lesson.position)
            ).all()
            result.append(
                (section.translations["en"]["title"], [x.translations["en"]["title"] for x in lessons])
            )
        db.session.remove()
    return result


@pytest.mark.parametrize("instructor_page", [("en", 1280), ("ar", 390)], indirect=True)
def test_instructor_builds_reorders_and_previews_a_course(instructor_page, live_url, app):  # noqa: F811
    page, course_id, language = instructor_page
    words = WORDS[language]

    def shown(english: str, arabic: str) -> str:
        return arabic if language == "ar" else english

    page.goto(f"{live_url}/courseoutline/{course_id}")
    assert page.get_attribute("html", "dir") == shown("ltr", "rtl")
    _no_serious_violations(page)

    # Two sections, three lessons (two in the first), all with English and Arabic titles.
    names = {
        "html": ("HTML", "لغة HTML"),
        "css": ("CSS", "لغة CSS"),
        "tags": ("Tags", "الوسوم"),
        "forms": ("Forms", "النماذج"),
        "selectors": ("Selectors", "المحددات"),
        "quiz": ("Tags quiz", "اختبار الوسوم"),
    }
    html, css, tags, forms, selectors, quiz = (shown(*names[key]) for key in names)
    _add(page, page, "add-section", names["html"], html)
    _add(page, page, "add-section", names["css"], css)
    _add(page, _section(page, html), "add-in-section", names["tags"], tags, "lesson:text")
    _add(page, _section(page, html), "add-in-section", names["forms"], forms, "lesson:video")
    _add(page, _section(page, css), "add-in-section", names["selectors"], selectors, "lesson:text")
    _add(page, _lesson(page, tags), "add-in-lesson", names["quiz"], quiz, "quiz:")
    assert _order(app, course_id) == [("HTML", ["Tags", "Forms"]), ("CSS", ["Selectors"])]
    _fits(page)

    # A multiple-choice question, made in the question editor.
    page.locator("li.outline-quiz").first.get_by_role("link", name=words["questions"], exact=True).click()
    page.locator("a[href$='/new/multiple_choice']").click()
    _no_serious_violations(page)
    _fits(page)
    # the question is rich text: typed into the editors that replace the two textareas
    page.locator("#text_en-editor").click()
    page.keyboard.type("Which tag makes a link?")
    page.locator("#text_ar-editor").click()
    page.keyboard.type("أي وسم ينشئ رابطًا؟")
    page.fill("#option-0-text_en", "<a>")
    page.fill("#option-1-text_en", "<p>")
    page.check("#option-0-correct")
    page.locator("[data-add-row]").click()  # a third choice, added by the script
    page.fill("#option-2-text_en", "<div>")
    page.get_by_role("button", name=words["save"], exact=True).click()
    question_text = shown("Which tag makes a link?", "أي وسم ينشئ رابطًا؟")
    expect(page.locator(".outline-name", has_text=question_text)).to_have_count(1)
    with app.app_context():
        [question] = db.session.scalars(
            select(Question).join(QuizQuestion, QuizQuestion.question_id == Question.id)
        ).all()
        assert question.type_code == "multiple_choice"
        # typed as plain text, stored as escaped HTML (a learner reads "<a>", not a link)
        assert [(o.translations["en"]["text"], o.is_correct) for o in question.options] == [
            ("&lt;a&gt;", True),
            ("&lt;p&gt;", False),
            ("&lt;div&gt;", False),
        ]
        db.session.remove()
    page.locator(".breadcrumb a").first.click()
    page.wait_for_url(f"{live_url}/courseoutline/{course_id}")

    # Drag "Forms" into the second section, above "Selectors"; then drag "CSS" above "HTML".
    status = page.locator("#outline-status")
    _lesson(page, forms).locator(".outline-handle").first.drag_to(
        _lesson(page, selectors).locator(".outline-head-row").first, target_position={"x": 20, "y": 2}
    )
    expect(status).to_have_text(words["moved"])
    expect(_section(page, css).locator("li.outline-lesson .outline-name", has_text=forms)).to_have_count(1)
    assert _order(app, course_id) == [("HTML", ["Tags"]), ("CSS", ["Forms", "Selectors"])]
    _section(page, css).locator(".outline-handle").first.drag_to(
        _section(page, html).locator(".outline-head-row").first, target_position={"x": 20, "y": 2}
    )
    expect(status).to_have_text(words["moved"])
    expect(page.locator("li.outline-section .outline-head-row .outline-name").first).to_have_text(css)
    assert [name for name, _lessons in _order(app, course_id)] == ["CSS", "HTML"]

    # By keyboard: "Move Selectors up" with Enter; focus stays on the arrows of the moved lesson.
    _lesson(page, selectors).locator("button[data-focus-key^='up-lesson']").first.focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text(words["moved"])
    expect(_section(page, css).locator("li.outline-lesson .outline-name").first).to_have_text(selectors)
    assert _order(app, course_id)[0] == ("CSS", ["Selectors", "Forms"])
    focused = page.evaluate("document.activeElement.getAttribute('data-focus-key') || ''")
    assert focused.startswith("down-lesson-")  # it is first now: "up" is disabled, "down" has the focus
    _no_serious_violations(page)
    _fits(page)

    # Preview as a learner: the course page lists the sections and lessons in the new order.
    page.locator(".outline-tools a[href*='/courses/']").first.click()
    page.wait_for_url(f"{live_url}/courses/**")
    expect(page.locator(".syllabus-section summary").first).to_contain_text(css)
    first_lesson = page.locator(".syllabus-section").first.locator(".syllabus-lessons li").first
    expect(first_lesson).to_contain_text(selectors)
