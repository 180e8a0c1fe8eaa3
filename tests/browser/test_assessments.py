"""A learner takes a timed quiz in Arabic in headless Chromium, passes, and downloads the certificate."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from app.courses.models import LessonContent
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.assessment_factories import make_bank, make_question, make_quiz, set_completion
from tests.browser.test_back_office import browser, live_url, page  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_enrollment, make_lesson, make_progress, make_section
from tests.factories import PASSWORD, make_user


def _sign_in(page: Page, live_url: str, username: str) -> None:  # noqa: F811
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_url}/my/learning")  # learners land on My learning


def _watch(page: Page, errors: list[str]) -> None:  # noqa: F811
    """Collect script errors, CSP refusals and failed requests (the favicon aside)."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location.get('url')}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))


def _course_with_quiz(app) -> dict[str, object]:
    """A course whose lessons the student has completed; a timed quiz on the last one remains."""
    with app.app_context():
        instructor = make_user("Instructor")
        student = make_user("Student", first_name="Layla", last_name="Haddad")
        course = make_course(instructors=[instructor], title="World capitals", title_ar="عواصم العالم")
        section = make_section(course, "Capitals")
        reading = make_lesson(section, "Reading: capitals of Europe")
        check = make_lesson(section, "Check your knowledge")
        db.session.add(
            LessonContent(
                lesson_id=check.id,
                kind_id=require_lookup_id("content_types", "text"),
                translations={
                    "en": {"body": "<p>Take the quiz.</p>"},
                    "ar": {"body": "<p>أجب عن الاختبار.</p>"},
                },
            )
        )
        db.session.commit()
        bank = make_bank(instructor, course)
        choice = make_question(
            bank,
            text="Which city is the capital of Italy?",
            text_ar="ما عاصمة إيطاليا؟",
            options=[("Rome", True), ("Milan", False), ("Naples", False)],
        )
        short = make_question(
            bank,
            "short_answer",
            text="Capital of France?",
            text_ar="ما عاصمة فرنسا؟",
            accepted=["باريس", "Paris"],
        )
        quiz = make_quiz(
            course,
            questions=[choice, short],
            lesson=check,
            title="Capitals quiz",
            time_limit_minutes=5,
            review_option="immediately",
        )
        set_completion(course, certificate_enabled=True)
        make_enrollment(student, course)
        for lesson in (reading, check):
            make_progress(student, lesson, completed=True)
        data = {
            "slug": course.slug,
            "lesson": check.id,
            "quiz": quiz.id,
            "student": student.username,
            "choice": choice.id,
            "short": short.id,
            "right": next(option.id for option in choice.options if option.is_correct),
        }
        db.session.remove()
    return data


def test_student_takes_a_timed_quiz_in_arabic_and_downloads_the_certificate(
    app,
    live_url,  # noqa: F811
    page,  # noqa: F811
    media_config,
    tmp_path: Path,
):
    assert not app.config.get("REDIS_URL"), "tasks run inline: the certificate is issued at completion"
    data = _course_with_quiz(app)
    errors: list[str] = []
    _watch(page, errors)
    _sign_in(page, live_url, data["student"])
    page.goto(f"{live_url}/lang/ar")

    # The lesson links its quiz; the quiz page shows the rules, right to left.
    page.goto(f"{live_url}/courses/{data['slug']}/lessons/{data['lesson']}")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click(f".lesson-assessments a[href='/quizzes/{data['quiz']}']")
    page.wait_for_url(f"{live_url}/quizzes/{data['quiz']}")
    expect(page.locator("h1")).to_have_text("اختبار")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

    # Start: the attempt page counts down from the server's five minutes.
    page.click("#start-quiz")
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    countdown = page.locator("#countdown")
    expect(countdown).to_have_text(re.compile(r"^0[45]:\d\d$"))
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != first, "the clock runs"

    # Each answer is saved as it changes (JSON with the CSRF header, allowed by the CSP).
    with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST") as saved:
        page.check(f"input[name='answer-{data['choice']}'][value='{data['right']}']")
    assert saved.value.status == 200 and saved.value.json()["saved"] is True
    assert 0 < saved.value.json()["seconds_left"] <= 300
    with page.expect_response(lambda r: "/state" in r.url) as state:
        page.evaluate("window.lmsQuiz.resync()")
    assert state.value.json()["state"] == "in_progress"
    with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST") as saved:
        page.fill(f"input[name='answer-{data['short']}']", "باريس")
        page.press(f"input[name='answer-{data['short']}']", "Tab")
    assert saved.value.status == 200
    expect(page.locator(f"#question-{data['short']} .save-note")).not_to_be_empty()

    # Hand in: the result is shown at once (review "immediately").
    page.click("#submit-attempt")
    page.wait_for_selector("#attempt-result")
    expect(page.locator("#result-score")).to_contain_text("2 / 2")
    expect(page.locator("#result-percent")).to_contain_text("100")
    expect(page.locator("#result-passed")).to_have_class(re.compile(r"\bpass\b"))
    expect(page.locator("article.question.correct")).to_have_count(2)

    # Passing the quiz completed the course: the certificate waits in My certificates.
    page.click("a[href='/my/certificates']")
    page.wait_for_url(f"{live_url}/my/certificates")
    row = page.locator("li.certificate.valid")
    expect(row).to_have_count(1)
    share = row.locator("input.share-url").input_value()
    assert re.search(r"/verify/CERT(-[0-9A-Z]{4}){4}$", share), share
    with page.expect_download() as download:
        row.locator("a.download").click()
    saved_pdf = tmp_path / "certificate.pdf"
    download.value.save_as(saved_pdf)
    assert saved_pdf.read_bytes().startswith(b"%PDF")

    # The share link opens the public verification page.
    assert share.startswith(live_url)
    response = page.goto(share)
    assert response is not None and response.status == 200
    expect(page.locator("#verify-result")).to_have_attribute("data-status", "valid")
    expect(page.locator("#verify-student")).to_have_text("Layla Haddad")
    assert not errors, errors  # no script error, no CSP refusal
