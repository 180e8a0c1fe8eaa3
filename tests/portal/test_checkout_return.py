"""After paying, the checkout sends the learner to what they bought: a course to its page, a
subscription to the page it was started from (only when that is a page of this site) or to My
subscription, which shows it active. Nothing a form or link carries can send them to another site."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.billing.models import Payment
from app.billing.services import checkout
from app.courses.models import Course
from app.extensions import db
from tests.portal.test_billing import current, plans, student
from tests.portal_helpers import course_with_lessons, page_text

# Addresses a crafted link could carry: other hosts, other schemes, and look-alikes browsers would
# read as another host (a backslash, a tab between the slashes), and an over-long path.
OFF_SITE = (
    "https://evil.example/courses/x",
    "//evil.example/courses/x",
    "/\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/" + "a" * 600,
)


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (the invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


def _pay(browser: FlaskClient, checkout_url: str, action: str = "pay") -> str:
    """Press Pay (or Decline) on the sandbox's page; where the answer sends the buyer."""
    assert "/billing/sandbox/checkout/" in checkout_url, checkout_url
    page = page_text(browser.get(checkout_url))
    form = re.search(r'<form method="post" action="([^"]+)"', page)
    assert form, page
    response = browser.post(form.group(1), data={"action": action})
    assert response.status_code == 302
    return response.headers["Location"]


def _last_payment(app, user_id: int) -> Payment:
    with app.app_context():
        payment = db.session.scalar(
            select(Payment).where(Payment.user_id == user_id).order_by(Payment.id.desc()).limit(1)
        )
        db.session.expunge(payment)
        db.session.remove()
    return payment


def test_a_bought_course_sends_the_buyer_to_its_page_under_its_current_slug(app):
    course = course_with_lessons(app, title="Bought Here", price=49, included_in_subscription=False)
    browser, user_id = student(app)
    started = browser.post(f"/courses/{course['slug']}/buy")
    with app.app_context():  # renamed while the buyer is at the checkout: the current slug, no hop
        db.session.get(Course, course["id"]).slug = "bought-here-renamed"
        db.session.commit()
        db.session.remove()
    landing = _pay(browser, started.headers["Location"])
    assert landing == "/courses/bought-here-renamed"
    page = page_text(browser.get(landing))
    assert "Payment received. Thank you!" in page and "You are enrolled." in page
    assert 'href="/courses/bought-here-renamed/continue"' in page, "ready to start"
    again = browser.post(started.headers["Location"], data={"action": "pay"})
    assert again.headers["Location"] == "/courses/bought-here-renamed", "a second click: there too"
    assert "already settled" in page_text(browser.get(again.headers["Location"]))
    assert _last_payment(app, user_id).details.get(checkout.RETURN_KEY) is None


def test_a_subscription_sends_the_subscriber_to_my_subscription_showing_it_active(app):
    codes = plans(app)
    browser, user_id = student(app)
    started = browser.post(f"/plans/{codes['premium']}/subscribe")
    landing = _pay(browser, started.headers["Location"])
    assert landing == "/my/subscription"
    page = page_text(browser.get(landing))
    assert 'data-status="active"' in page and "Premium" in page and "Payment received" in page
    assert current(app, user_id) == ("active", "premium")


def test_a_subscription_started_from_a_course_comes_back_to_that_course(app):
    codes = plans(app)
    course = course_with_lessons(app, title="Plan Opens It", price=30, included_in_subscription=True)
    browser, user_id = student(app)
    course_page = f"/courses/{course['slug']}"
    plans_link = f'href="/plans/?next={course_page}"'
    assert plans_link in page_text(browser.get(course_page)), "the course page links to the plans"
    listing = page_text(browser.get(f"/plans/?next={course_page}"))
    assert f'<input type="hidden" name="next" value="{course_page}">' in listing
    started = browser.post(f"/plans/{codes['premium']}/subscribe", data={"next": course_page})
    assert _last_payment(app, user_id).details[checkout.RETURN_KEY] == course_page
    landing = _pay(browser, started.headers["Location"])
    assert landing == course_page
    page = page_text(browser.get(landing))
    assert "Payment received" in page and 'id="enroll-button"' in page and "Enrol with my plan" in page


def test_a_trial_started_from_a_course_comes_back_to_it_and_one_from_the_plans_to_my_subscription(app):
    codes = plans(app)
    course = course_with_lessons(app, title="Trial Opens It", price=30, included_in_subscription=True)
    browser, _user_id = student(app)
    back = browser.post(f"/plans/{codes['basic']}/subscribe", data={"next": f"/courses/{course['slug']}"})
    assert back.headers["Location"] == f"/courses/{course['slug']}"
    assert "Your free trial of Basic has started" in page_text(browser.get(back.headers["Location"]))
    other, _other_id = student(app)
    plain = other.post(f"/plans/{codes['basic']}/subscribe")
    assert plain.headers["Location"] == "/my/subscription"


@pytest.mark.parametrize("target", OFF_SITE)
def test_no_return_address_leaves_the_site(app, target):
    codes = plans(app)
    browser, user_id = student(app)
    listing = page_text(browser.get("/plans/", query_string={"next": target}))
    assert 'name="next"' not in listing and "evil.example" not in listing
    trial = browser.post(f"/plans/{codes['basic']}/subscribe", data={"next": target})
    assert trial.headers["Location"] == "/my/subscription"
    # A paid plan after the trial: the payment keeps no return address, the checkout ignores one.
    browser.post("/my/subscription/cancel", data={"when": "now", "confirm": "1"})
    started = browser.post(f"/plans/{codes['premium']}/subscribe", data={"next": target})
    payment = _last_payment(app, user_id)
    assert payment.purpose == "subscription" and checkout.RETURN_KEY not in payment.details
    assert _pay(browser, started.headers["Location"]) == "/my/subscription"


def test_a_return_address_written_into_a_payment_is_checked_again_when_used(app):
    codes = plans(app)
    browser, user_id = student(app)
    started = browser.post(f"/plans/{codes['premium']}/subscribe", data={"next": "/my/learning"})
    with app.app_context():  # as if the stored details had been edited
        payment = db.session.scalar(select(Payment).where(Payment.user_id == user_id))
        payment.details = {**payment.details, checkout.RETURN_KEY: "//evil.example/"}
        db.session.commit()
        db.session.remove()
    assert _pay(browser, started.headers["Location"]) == "/my/subscription"


def test_a_declined_checkout_stays_on_the_checkout_page_and_says_it_once(app):
    course = course_with_lessons(app, title="Declined Here", price=49, included_in_subscription=False)
    browser, _user_id = student(app)
    started = browser.post(f"/courses/{course['slug']}/buy")
    landing = _pay(browser, started.headers["Location"], "decline")
    assert landing == started.headers["Location"]
    page = page_text(browser.get(landing))
    assert 'data-state="failed"' in page and page.count("Nothing was charged") == 1
    assert f'href="/courses/{course["slug"]}"' in page, "back to the course"


def test_return_path_keeps_only_paths_of_this_site(app):
    with app.test_request_context():
        assert checkout.return_path("/courses/python?tab=1") == "/courses/python?tab=1"
        assert checkout.return_path("  /my/learning ") == "/my/learning"
        for target in (*OFF_SITE, None, "", 42, ["/my/learning"]):
            assert checkout.return_path(target) is None, target
