"""Portal billing pages: plans, subscribing through the sandbox checkout, My subscription (trial,
grace, auto-renew, change, cancel), My payments with invoices, and buying a course."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.billing.models import Invoice, Payment, Plan, Subscription
from app.billing.services.periods import add_months, current_subscription
from app.core.formatters import format_user_datetime
from app.core.models import utcnow
from app.courses.services import has_purchased
from app.extensions import db
from app.security.models import LmsUser
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import login
from tests.factories import make_user
from tests.portal_helpers import course_with_lessons, page_text


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (the invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


def plans(app: Flask) -> dict[str, str]:
    """Demo-like plans: Basic (trial), Premium (paid at once), Enterprise (annual), one inactive."""
    with app.app_context():
        basic = make_plan(
            "basic",
            "9.99",
            trial_days=7,
            name="Basic",
            features={"course_access": 5, "downloads": 10, "event_registrations": 2},
        )
        premium = make_plan(
            "premium",
            "24.99",
            name="Premium",
            features={"course_access": None, "downloads": 100, "certificates": None, "chat_access": None},
        )
        make_plan("enterprise", "499", cycle="annual", name="Enterprise", features={"downloads": None})
        make_plan("retired", "5", name="Retired", is_active=False)
        premium.translations = {
            "en": {"name": "Premium", "description": "Unlimited courses and certificates."},
            "ar": {"name": "المميزة", "description": "دورات بلا حدود وشهادات."},
        }
        db.session.commit()
        codes = {"basic": basic.code, "premium": premium.code}
        db.session.remove()
    return codes


def student(app: Flask, **fields: Any) -> tuple[FlaskClient, int]:
    """A signed-in student's browser and id."""
    with app.app_context():
        user = make_user("Student", **fields)
        user_id, username = user.id, user.username
        db.session.remove()
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser, user_id


def checkout(browser: FlaskClient, location: str, action: str = "pay") -> str:
    """Follow the sandbox checkout page's form like a buyer: press Pay (or Decline)."""
    assert "/billing/sandbox/checkout/" in location, location
    page = page_text(browser.get(location))
    form = re.search(r'<form method="post" action="([^"]+)"', page)
    assert form, page
    response = browser.post(form.group(1), data={"action": action})
    assert response.status_code == 302
    return page_text(browser.get(response.headers["Location"]))


def current(app: Flask, user_id: int) -> tuple[str | None, str | None]:
    """(status code, plan code) of the user's current subscription."""
    with app.app_context():
        subscription = current_subscription(user_id)
        result = (None, None)
        if subscription is not None:
            result = (subscription.status.code, db.session.get(Plan, subscription.plan_id).code)
        db.session.remove()
    return result


# ---- plans ----------------------------------------------------------------------------------------
def test_plans_page_lists_active_plans_with_features_in_english_and_arabic(app, client):
    plans(app)
    page = page_text(client.get("/plans/"))
    assert page.index("Basic") < page.index("Premium") < page.index("Enterprise")
    assert "Retired" not in page
    # Each price is isolated (U+2068 ... U+2069) from the words of its phrase.
    assert "\u2068$9.99\u2069 / month" in page and "\u2068$499.00\u2069 / year" in page
    assert "7-day free trial" in page
    assert "Unlimited courses and certificates." in page
    downloads = re.search(r'<tr data-feature="downloads">(.*?)</tr>', page, re.S).group(1)
    assert "Downloads" in downloads and ">10<" in downloads and ">100<" in downloads
    assert "Unlimited" in downloads
    chat = re.search(r'<tr data-feature="chat_access">(.*?)</tr>', page, re.S).group(1)
    assert "✓" in chat and "—" in chat
    assert 'data-feature="priority_support"' not in page, "no plan has it"
    assert '<link rel="canonical" href="http://localhost/plans/?_l_=en">' in page
    assert 'hreflang="ar" href="http://localhost/plans/?_l_=ar"' in page
    assert 'hreflang="x-default"' in page and '<meta name="description"' in page
    assert "/login/?next=/plans/" in page, "visitors sign in first"
    assert "Start free trial" in page and "Subscribe" in page

    arabic = page_text(client.get("/plans/?_l_=ar"))
    assert 'dir="rtl"' in arabic
    assert "المميزة" in arabic and "دورات بلا حدود وشهادات." in arabic and "Basic (ع)" in arabic
    assert "التنزيلات" in arabic and "الوصول إلى الدورات" in arabic and "الشهادات" in arabic


# ---- trial ----------------------------------------------------------------------------------------
def test_trial_starts_at_once_and_my_subscription_shows_it(app):
    codes = plans(app)
    browser, user_id = student(app)
    response = browser.post(f"/plans/{codes['basic']}/subscribe")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/subscription")
    page = page_text(browser.get("/my/subscription"))
    assert 'data-status="trial"' in page and 'id="sub-trial"' in page
    # One date style on the page: the trial's end is a day, like the period's dates.
    trial_end = re.search(r'<dd id="sub-trial">(.*?)</dd>', page, re.S).group(1)
    period = re.search(r'<dd id="sub-period">(.*?)</dd>', page, re.S).group(1)
    assert ":" not in trial_end and trial_end.split()[-1] in period  # a day and a year, no time
    assert "Your free trial of Basic has started" in page
    assert re.search(r'<tr data-feature="downloads">.*?>10<.*?>10<', page, re.S), "10 of 10 left"
    assert current(app, user_id) == ("trial", "basic")
    assert 'id="nav-my-subscription"' in page

    listing = page_text(browser.get("/plans/"))
    assert "Your plan" in listing and "Change to this plan" in listing
    assert "/my/subscription#change-premium" in listing, "the cost is shown before any charge"
    again = browser.post(f"/plans/{codes['premium']}/subscribe", follow_redirects=True)
    assert "already have a subscription" in page_text(again)

    # Cancelling a trial now: the confirmation says nothing is refunded, then it ends.
    confirm = page_text(browser.get("/my/subscription/cancel?when=now"))
    assert "free trial: nothing was charged" in confirm and 'name="confirm" value="1"' in confirm
    done = browser.post(
        "/my/subscription/cancel", data={"when": "now", "confirm": "1"}, follow_redirects=True
    )
    assert "Your subscription is cancelled." in page_text(done)
    assert 'id="no-subscription"' in page_text(done)
    assert current(app, user_id) == (None, None)


def test_a_second_subscribe_after_a_trial_goes_to_checkout(app):
    codes = plans(app)
    browser, user_id = student(app)
    with app.app_context():
        basic = db.session.scalar(select(Plan).where(Plan.code == codes["basic"]))
        start = utcnow() - timedelta(days=30)
        make_subscription(user_id, basic, "expired", start, start + timedelta(days=7), trial_ends_at=start)
        db.session.remove()
    listing = page_text(browser.get("/plans/"))
    assert "Start free trial" not in listing, "one trial per user"
    response = browser.post(f"/plans/{codes['basic']}/subscribe")
    assert "/billing/sandbox/checkout/" in response.headers["Location"]


# ---- paid subscription through checkout -----------------------------------------------------------
def test_paid_subscription_opens_a_course_and_its_invoice_is_the_owners(app):
    codes = plans(app)
    course = course_with_lessons(app, title="Data", price=30, included_in_subscription=True)
    browser, user_id = student(app)
    response = browser.post(f"/plans/{codes['premium']}/subscribe")
    assert response.status_code == 302
    paid = checkout(browser, response.headers["Location"])
    assert 'id="subscription"' in paid and 'data-status="active"' in paid, "paid: on My subscription"
    assert current(app, user_id) == ("active", "premium")

    page = page_text(browser.get("/my/subscription"))
    assert 'data-status="active"' in page and "Renews automatically on" in page
    assert 'id="grace-notice"' not in page

    # The subscription opens subscription courses: enrol, then a lesson opens.
    assert browser.get(f"/courses/{course['slug']}/lessons/{course['second']}").status_code != 200
    enrolled = browser.post(f"/courses/{course['slug']}/enroll", follow_redirects=True)
    assert "You are enrolled" in page_text(enrolled)
    assert browser.get(f"/courses/{course['slug']}/lessons/{course['second']}").status_code == 200

    # My payments: the payment and its invoice, downloadable by its owner only.
    history = page_text(browser.get("/my/payments"))
    assert "Subscription: Premium" in history and "$24.99" in history and 'data-status="completed"' in history
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.user_id == user_id))
        invoice_id, number, issued_at = invoice.id, invoice.number, invoice.issued_at
        assert invoice.media_id is not None
        db.session.remove()
    assert number in history and f"/my/invoices/{invoice_id}/download" in history
    # One date style on the page: the invoice's time is written like the payment's.
    with app.test_request_context():
        issued = format_user_datetime(issued_at)
    item = re.search(rf'<li class="invoice" data-number="{number}">(.*?)</li>', history, re.S).group(1)
    assert issued in item
    link = browser.get(f"/my/invoices/{invoice_id}/download")
    assert link.status_code == 302
    pdf = browser.get(link.headers["Location"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    other, _other_id = student(app)
    assert other.get(f"/my/invoices/{invoice_id}/download").status_code == 404
    assert other.get("/my/invoices/999999/download").status_code == 404
    assert number not in page_text(other.get("/my/payments"))
    assert app.test_client().get("/my/payments").status_code == 302, "visitors sign in"


def test_a_declined_checkout_leaves_no_subscription(app):
    codes = plans(app)
    browser, user_id = student(app)
    response = browser.post(f"/plans/{codes['premium']}/subscribe")
    declined = checkout(browser, response.headers["Location"], "decline")
    assert 'data-state="failed"' in declined
    assert current(app, user_id) == (None, None)
    assert 'id="no-subscription"' in page_text(browser.get("/my/subscription"))
    assert 'data-status="failed"' in page_text(browser.get("/my/payments"))


# ---- managing a subscription ----------------------------------------------------------------------
def test_cancel_at_period_end_after_confirming_and_the_auto_renew_toggle(app):
    plans(app)
    browser, user_id = student(app)
    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.code == "premium"))
        subscription_id = make_subscription(user_id, plan, auto_renew=True).id
        db.session.remove()

    confirm = page_text(browser.get("/my/subscription/cancel?when=period_end"))
    assert "will not renew" in confirm and 'value="period_end"' in confirm
    unconfirmed = browser.post("/my/subscription/cancel", data={"when": "period_end"})
    assert unconfirmed.status_code == 200 and 'id="cancel-confirm"' in page_text(unconfirmed)
    done = browser.post("/my/subscription/cancel", data={"when": "period_end", "confirm": "1"})
    assert done.status_code == 302
    page = page_text(browser.get("/my/subscription"))
    assert "You keep access until then" in page and "Cancelled: your subscription ends on" in page

    def stored() -> Subscription:
        return db.session.get(Subscription, subscription_id, populate_existing=True)

    with app.app_context():
        assert stored().cancel_at_period_end and stored().is_current
        db.session.remove()
    browser.post("/my/subscription/auto-renew", data={"on": "1"})
    with app.app_context():
        assert stored().auto_renew and not stored().cancel_at_period_end, "renewal withdraws the cancel"
        db.session.remove()
    page = page_text(browser.post("/my/subscription/auto-renew", data={"on": "0"}, follow_redirects=True))
    assert "Automatic renewal is off" in page and "Turn on automatic renewal" in page
    with app.app_context():
        assert not stored().auto_renew
        db.session.remove()


def test_cancel_now_explains_the_refund_and_refunds(app):
    codes = plans(app)
    browser, user_id = student(app)
    response = browser.post(f"/plans/{codes['premium']}/subscribe")
    checkout(browser, response.headers["Location"])
    confirm = page_text(browser.get("/my/subscription/cancel?when=now"))
    assert "unused part of the current period" in confirm and 'id="refund-amount"' in confirm
    done = browser.post(
        "/my/subscription/cancel", data={"when": "now", "confirm": "1"}, follow_redirects=True
    )
    assert "will be refunded" in page_text(done)
    assert current(app, user_id) == (None, None)
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.user_id == user_id))
        assert payment.refunded_amount > Decimal("24")  # nearly the whole period was unused
        db.session.remove()


def test_change_plan_upgrades_now_downgrades_later_and_a_decline_keeps_the_plan(app):
    plans(app)
    browser, user_id = student(app)
    decliner, decliner_id = student(app, email="lina+decline@example.test")
    with app.app_context():
        basic = db.session.scalar(select(Plan).where(Plan.code == "basic"))
        make_subscription(user_id, basic)
        make_subscription(decliner_id, basic)
        db.session.remove()
    page = page_text(browser.get("/my/subscription"))
    assert "Upgrade now for" in page

    upgraded = browser.post("/my/subscription/change", data={"plan": "premium"}, follow_redirects=True)
    assert "You are now on Premium. We charged" in page_text(upgraded)
    assert current(app, user_id) == ("active", "premium")
    later = browser.post("/my/subscription/change", data={"plan": "basic"}, follow_redirects=True)
    assert "Your plan changes to Basic on" in page_text(later) and 'id="sub-pending"' in page_text(later)
    kept = browser.post("/my/subscription/change", data={"plan": "premium"}, follow_redirects=True)
    assert "scheduled plan change is cancelled" in page_text(kept)
    unknown = browser.post("/my/subscription/change", data={"plan": "nope"}, follow_redirects=True)
    assert "This plan is not available." in page_text(unknown)

    declined = decliner.post("/my/subscription/change", data={"plan": "premium"}, follow_redirects=True)
    assert "was declined" in page_text(declined)
    assert current(app, decliner_id) == ("active", "basic")


def test_grace_notice_when_the_period_ended_within_the_grace_days(app):
    plans(app)
    browser, user_id = student(app)
    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.code == "premium"))
        end = utcnow() - timedelta(days=1)
        make_subscription(user_id, plan, start=add_months(end, -1), end=end)
        db.session.remove()
    page = page_text(browser.get("/my/subscription"))
    assert 'id="grace-notice"' in page and "We could not renew your subscription" in page


def test_pages_need_a_sign_in_and_say_when_there_is_no_subscription(app, client):
    plans(app)
    for url in ("/my/subscription", "/my/payments", "/my/subscription/cancel"):
        assert "/login/" in client.get(url).headers["Location"]
    assert "/login/" in client.post("/plans/premium/subscribe").headers["Location"]
    browser, _user_id = student(app)
    assert 'id="no-subscription"' in page_text(browser.get("/my/subscription"))
    for url, data in (
        ("/my/subscription/auto-renew", {"on": "1"}),
        ("/my/subscription/change", {"plan": "basic"}),
    ):
        page = page_text(browser.post(url, data=data, follow_redirects=True))
        assert "You have no subscription" in page
    missing = browser.post("/plans/nope/subscribe", follow_redirects=True)
    assert "This plan is not available." in page_text(missing)


# ---- buying a course ------------------------------------------------------------------------------
def test_buying_a_course_through_checkout_gives_lifetime_access(app, client):
    course = course_with_lessons(app, title="Costly", price=49, included_in_subscription=False)
    free = course_with_lessons(app, title="Gratis")
    assert "Sign in to buy" in page_text(client.get(f"/courses/{course['slug']}"))
    browser, user_id = student(app)
    page = page_text(browser.get(f"/courses/{course['slug']}"))
    assert f'action="/courses/{course["slug"]}/buy"' in page and 'id="buy-button"' in page
    response = browser.post(f"/courses/{course['slug']}/buy")
    paid = checkout(browser, response.headers["Location"])
    assert "Payment received" in paid and "Continue learning" in paid, "paid: on the course's page"
    with app.app_context():
        assert has_purchased(user_id, course["id"])
        db.session.remove()
    assert browser.get(f"/courses/{course['slug']}/lessons/{course['second']}").status_code == 200
    assert 'id="buy-button"' not in page_text(browser.get(f"/courses/{course['slug']}"))
    again = browser.post(f"/courses/{course['slug']}/buy", follow_redirects=True)
    assert "already own" in page_text(again)
    assert "Course: Costly" in page_text(browser.get("/my/payments"))

    gratis = browser.post(f"/courses/{free['slug']}/buy", follow_redirects=True)
    assert "This course is free" in page_text(gratis)
    teacher = app.test_client()
    login(teacher, course["instructor"])
    assert 'id="buy-button"' not in page_text(teacher.get(f"/courses/{course['slug']}"))
    managed = teacher.post(f"/courses/{course['slug']}/buy", follow_redirects=True)
    assert "already open to you" in page_text(managed)
    with app.app_context():
        instructor = db.session.scalar(select(LmsUser).where(LmsUser.username == course["instructor"]))
        assert not db.session.scalar(select(Payment).where(Payment.user_id == instructor.id))
        db.session.remove()
