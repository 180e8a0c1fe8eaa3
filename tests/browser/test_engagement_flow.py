"""Issue 14's whole engagement flow in headless Chromium (CSRF on, tasks inline): a student on a phone,
in Arabic, favorites a paid course and a comment on it by keyboard, copies the course's share link;
a second visitor opens that link, signs up, confirms their address from the mail, buys the course
through the sandbox checkout; the student's "My referrals" shows the sign-up, the enrolment and the
purchase, and an admin's referral figures name the student as the sharer."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.engagement import services
from app.engagement.models import ReferralConversion
from app.extensions import db
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import browser, live_url  # noqa: F401  (shared fixtures)
from tests.browser.test_billing import _watch
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import PASSWORD, make_user
from tests.security.accounts_support import link_path, to

PHONE = {"width": 390, "height": 844}
# A person's browser: headless Chromium says "HeadlessChrome" in its user agent, which the referral
# and view counting rightly take for a bot.
DESKTOP_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
NEW_PASSWORD = "a-referred-learner-2026"


@pytest.fixture
def contexts(browser: Browser, app, monkeypatch) -> Iterator[list[BrowserContext]]:  # noqa: F811
    """Browser contexts made by the test, closed at its end; real CSRF tokens, tasks inline."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # mails and the payment's follow-ups inline
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def _data(app) -> dict[str, object]:
    with app.app_context():
        teacher = make_user("Instructor", first_name="Huda", last_name="Karim")
        student = make_user("Student", username="engagement_sharer")
        admin = make_user("Admin", username="engagement_admin")
        course = make_course(
            instructors=[teacher], title="Machine learning basics", title_ar="أساسيات تعلم الآلة", price=49
        )
        make_lesson(make_section(course, "Getting started"), "What a model is")
        make_enrollment(student, course)  # enrolled: may take part in the course's discussion
        comment = services.add_comment(teacher, "course", course.id, "<p>ابدأ بالفصل الأول</p>")
        db.session.commit()
        data = {
            "slug": course.slug,
            "course_id": course.id,
            "comment_id": comment.id,
            "student_id": student.id,
            "admin": admin.username,
        }
        db.session.remove()
    return data


def _sign_in(page: Page, live_url: str, username: str, password: str = PASSWORD) -> None:  # noqa: F811
    page.goto(f"{live_url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def _press(page: Page, selector: str) -> None:
    """Focus a favorite button and press Enter: its form posts and the page comes back."""
    button = page.locator(selector)
    assert button.get_attribute("aria-pressed") == "false"
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(selector).get_attribute("aria-pressed") == "true"


def _share_count(app, course_id: int) -> int:
    with app.app_context():
        count = services.share_count("course", course_id)
        db.session.remove()
    return int(count)


def test_shared_link_brings_a_sign_up_and_a_purchase_credited_to_the_sharer(
    app,
    browser: Browser,  # noqa: F811
    live_url,  # noqa: F811
    contexts,
    mailbox,
):
    data = _data(app)
    course_url = f"{live_url}/courses/{data['slug']}"
    errors: list[str] = []

    # 1. The student, on a phone, in Arabic: both favorites by keyboard.
    sharer_context = browser.new_context(viewport=PHONE, user_agent=PHONE_AGENT)
    contexts.append(sharer_context)
    sharer_context.add_init_script(path=AXE)
    sharer_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    student = sharer_context.new_page()
    _watch(student, errors)
    _sign_in(student, live_url, "engagement_sharer")
    assert student.url == f"{live_url}/my/learning"
    student.goto(f"{live_url}/lang/ar")
    student.goto(course_url)
    assert student.get_attribute("html", "dir") == "rtl"
    _press(student, ".course-favorite .favorite-toggle")
    _press(student, f"#comment-{data['comment_id']} .favorite-toggle")
    assert "ابدأ بالفصل الأول" in student.inner_text(f"#comment-{data['comment_id']}")
    problems = _violations(student)

    # 2. The share dialog: Copy puts the course's link with the student's code on the clipboard.
    student.click(".share-open")
    dialog = student.locator("dialog.share-dialog")
    expect(dialog).to_be_visible()
    problems += _violations(student)
    with student.expect_response(lambda r: "/shares/course/" in r.url) as beacon:
        dialog.locator("[data-share-copy]").click()  # records a `copy` share with a beacon
    assert beacon.value.status == 200
    expect(dialog.locator("[data-share-status]")).to_have_text("تم نسخ الرابط.")
    link = student.evaluate("() => navigator.clipboard.readText()")
    assert link == dialog.locator("input.share-link").input_value()
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == course_url
    code = parse_qs(parts.query)["ref"][0]
    with app.app_context():
        assert services.sharer_of(code) == data["student_id"]
        db.session.remove()
    assert _share_count(app, data["course_id"]) == 1

    # 3. A visitor opens the link, signs up, confirms the address from the mail, signs in.
    visitor_context = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=DESKTOP_AGENT)
    contexts.append(visitor_context)
    visitor = visitor_context.new_page()
    _watch(visitor, errors)
    visitor.goto(link)
    expect(visitor.locator("#buy-button")).to_have_text("Sign in to buy")
    with visitor.expect_navigation():
        visitor.click("#buy-button")  # a link to the sign-in page, which offers the sign-up
    with visitor.expect_navigation():
        visitor.click("a[href='/register/form']")
    visitor.fill("#username", "referred_learner")
    visitor.fill("#first_name", "Layla")
    visitor.fill("#last_name", "Nasser")
    visitor.fill("#email", "layla@example.com")
    visitor.fill("#password", NEW_PASSWORD)
    visitor.fill("#conf_password", NEW_PASSWORD)
    with visitor.expect_navigation():
        visitor.click("form [type=submit]")
    assert visitor.url == f"{live_url}/login/", visitor.inner_text("body")
    mails = to(mailbox, "layla@example.com")
    assert len(mails) == 1, "the verification mail"
    visitor.goto(f"{live_url}{link_path(mails[0], 'verify-email')}")
    expect(visitor.locator("body")).to_contain_text("your e-mail address is verified")
    _sign_in(visitor, live_url, "referred_learner", NEW_PASSWORD)
    assert visitor.url == f"{live_url}/my/learning"

    # 4. Back on the course page (from the link), the visitor buys it through the sandbox.
    visitor.goto(link)
    expect(visitor.locator("#buy-button")).to_contain_text("Buy for")
    with visitor.expect_navigation():
        visitor.click("#buy-button")
    visitor.wait_for_url(f"{live_url}/billing/sandbox/checkout/**")
    expect(visitor.locator("#checkout-amount")).to_have_text("$49.00")
    visitor.click("#pay-button")
    visitor.wait_for_url(course_url)  # straight to what was bought
    expect(visitor.locator(".flash-success")).to_have_count(1)
    expect(visitor.locator("main")).to_contain_text("You are enrolled.")

    # 5. The sharer sees what their link brought.
    student.goto(f"{live_url}/my/referrals")
    results = student.locator("#referral-results")
    expect(results.locator("td[data-result=visits]")).to_have_text("1")
    expect(results.locator("td[data-result=signups]")).to_have_text("1")
    expect(results.locator("td[data-result=enrollments]")).to_have_text("1")  # the purchase enrolled
    expect(results.locator("td[data-result=purchases]")).to_have_text("1")
    problems += _violations(student)
    with app.app_context():
        purchase = db.session.query(ReferralConversion).filter_by(kind="purchase").one()
        assert (purchase.first_sharer_id, purchase.last_sharer_id) == (data["student_id"],) * 2
        assert (purchase.target_type, purchase.target_id) == ("course", data["course_id"])
        assert str(purchase.amount) == "49.00"
        db.session.remove()
    # The course page's social proof, in Arabic: shared once, one learner joined through it.
    student.goto(course_url)
    proof = student.locator(".share-proof")
    expect(proof).to_contain_text("تمت المشاركة مرة واحدة")  # shared once
    expect(proof).to_contain_text("انضم متعلم واحد عبر المشاركات")  # one learner joined through shares

    # 6. An admin's referral figures name the student as the sharer of the course.
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    contexts.append(admin_context)
    admin = admin_context.new_page()
    _watch(admin, errors)
    _sign_in(admin, live_url, str(data["admin"]))
    admin.goto(f"{live_url}/referralfigures/")
    row = admin.locator("#figures-sharer tbody tr", has_text="engagement_sharer")
    expect(row).to_have_count(1)
    # Sharer, visits, sign-ups, enrolments, purchases, revenue (credited to the last touch).
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("1")
    expect(row.locator("td").nth(3)).to_have_text("1")
    expect(row.locator("td").nth(4)).to_have_text("1")
    expect(row.locator("td").nth(5)).to_contain_text("49")
    course_row = admin.locator("#figures-course tbody tr", has_text="Machine learning basics")
    expect(course_row.locator("td").nth(1)).to_have_text("1")  # shared once

    assert not problems, "\n".join(problems)
    assert not errors, errors  # no script error, no CSP refusal
