"""A student subscribes through the sandbox checkout in headless Chromium (CSRF on), opens a
subscription course and downloads the invoice."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from app.courses.models import LessonContent
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.billing_factories import make_plan
from tests.browser.test_back_office import browser, live_url, page  # noqa: F401  (shared fixtures)
from tests.course_factories import make_course, make_lesson, make_section
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


def _shop(app) -> dict[str, object]:
    """Plans (one with a trial, one paid at once), a subscription course with a reading, a student."""
    with app.app_context():
        make_plan("starter", "9.99", trial_days=7, name="Starter")
        make_plan("pro", "24.99", name="Pro", features={"course_access": None, "downloads": 50})
        instructor = make_user("Instructor")
        student = make_user("Student", first_name="Omar", last_name="Saleh")
        course = make_course(
            instructors=[instructor],
            title="Statistics with Python",
            title_ar="الإحصاء مع بايثون",
            price=59,
            included_in_subscription=True,
        )
        section = make_section(course, "Describing data")
        lesson = make_lesson(section, "Reading: the mean and the median")
        db.session.add(
            LessonContent(
                lesson_id=lesson.id,
                kind_id=require_lookup_id("content_types", "text"),
                translations={"en": {"body": "<p>The median is the middle value.</p>"}},
            )
        )
        db.session.commit()
        data = {"slug": course.slug, "lesson": lesson.id, "student": student.username}
        db.session.remove()
    return data


def test_student_subscribes_through_the_sandbox_opens_a_course_and_downloads_the_invoice(
    app,
    live_url,  # noqa: F811
    page,  # noqa: F811
    media_config,
    smtp_server,
    tmp_path: Path,
):
    assert not app.config.get("REDIS_URL"), (
        "tasks run inline: the invoice is issued when the payment completes"
    )
    data = _shop(app)
    errors: list[str] = []
    _watch(page, errors)
    _sign_in(page, live_url, data["student"])

    # The plans page: the paid plan without a trial offers Subscribe.
    page.goto(f"{live_url}/plans/")
    pro = page.locator("section.plan-card[data-plan='pro']")
    expect(pro.locator(".plan-price")).to_have_text("\u2068$24.99\u2069 / month")  # the price isolated
    expect(pro.locator(".subscribe-button")).to_have_text("Subscribe")
    expect(page.locator("section.plan-card[data-plan='starter'] .subscribe-button")).to_have_text(
        "Start free trial"
    )
    pro.locator(".subscribe-button").click()

    # The sandbox's hosted checkout: pay (a CSRF-protected post; a signed webhook completes it).
    page.wait_for_url(f"{live_url}/billing/sandbox/checkout/**")
    expect(page.locator("#checkout-amount")).to_have_text("$24.99")
    page.click("#pay-button")

    # Paid: straight to My subscription, active on Pro, said once.
    page.wait_for_url(f"{live_url}/my/subscription")
    expect(page.locator(".flash-success")).to_have_count(1)
    expect(page.locator("#subscription")).to_have_attribute("data-status", "active")
    expect(page.locator("#sub-plan")).to_contain_text("Pro")

    # The catalog leads to the course; the plan enrols the student; the lesson opens.
    page.goto(f"{live_url}/courses/")
    page.locator(".course-card", has_text="Statistics with Python").locator("a").first.click()
    page.wait_for_url(f"{live_url}/courses/{data['slug']}")
    expect(page.locator("#enroll-button")).to_contain_text("Enrol with my plan")
    page.click("#enroll-button")
    page.wait_for_url(f"{live_url}/courses/{data['slug']}")
    expect(page.locator(".flash-success")).to_have_count(1)
    page.click(f"a[href='/courses/{data['slug']}/continue']")
    page.wait_for_url(f"{live_url}/courses/{data['slug']}/lessons/{data['lesson']}")
    expect(page.locator(".rich-text")).to_contain_text("The median is the middle value.")

    # My payments: the completed payment and its invoice PDF.
    page.goto(f"{live_url}/my/subscription")
    page.click("a[href='/my/payments']")
    page.wait_for_url(f"{live_url}/my/payments")
    expect(page.locator("tr.payment[data-status='completed']")).to_contain_text("Subscription: Pro")
    invoice = page.locator("li.invoice")
    expect(invoice).to_have_count(1)
    with page.expect_download() as download:
        invoice.locator("a.download").click()
    saved = tmp_path / "invoice.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert smtp_server, "the invoice was e-mailed too"
    assert not errors, errors  # no script error, no CSP refusal
