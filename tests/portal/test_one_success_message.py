"""One success message: after each portal flow (enrol in a free course, buy a course, subscribe, start
a trial, hand in an assignment, finish a quiz, mark a lesson complete) the page the learner lands on
confirms it exactly once, in English and in Arabic."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.portal.test_assessments import _setup, _start, _student, _submit
from tests.portal.test_billing import plans, student
from tests.portal.test_checkout_return import _pay
from tests.portal_helpers import course_with_lessons, enrol, page_text

SUCCESS = re.compile(r'<(p|div)\b[^>]*class="[^"]*\bflash-success\b[^"]*"[^>]*>(.*?)</\1>', re.S)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (a payment's invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


def success_messages(page: str) -> list[str]:
    """The texts of the page's success messages (the portal's one style for them)."""
    return [" ".join(html.unescape(TAG.sub(" ", inner)).split()) for _tag, inner in SUCCESS.findall(page)]


def landed(browser: FlaskClient, response: Any) -> str:
    """The page a form post's redirect leads to (what the learner sees next)."""
    assert response.status_code == 302, page_text(response)
    return page_text(browser.get(response.headers["Location"]))


def in_language(browser: FlaskClient, language: str) -> None:
    browser.get(f"/lang/{language}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_enrolling_in_a_free_course(app, login_as, language):
    course = course_with_lessons(app, title="Free To Join")
    browser = login_as("Student")
    in_language(browser, language)
    page = landed(browser, browser.post(f"/courses/{course['slug']}/enroll"))
    assert len(success_messages(page)) == 1, success_messages(page)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_buying_a_course(app, language):
    course = course_with_lessons(app, title="Worth Buying", price=49, included_in_subscription=False)
    browser, _user_id = student(app)
    in_language(browser, language)
    started = browser.post(f"/courses/{course['slug']}/buy")
    page = page_text(browser.get(_pay(browser, started.headers["Location"])))
    assert len(success_messages(page)) == 1, success_messages(page)


@pytest.mark.parametrize("plan", ["premium", "basic"])  # paid through the checkout, or a trial
def test_subscribing(app, plan):
    codes = plans(app)
    browser, _user_id = student(app)
    started = browser.post(f"/plans/{codes[plan]}/subscribe")
    location = started.headers["Location"]
    if "/billing/sandbox/checkout/" in location:
        location = _pay(browser, location)
    page = page_text(browser.get(location))
    assert len(success_messages(page)) == 1, success_messages(page)


@pytest.mark.parametrize("review", ["never", "immediately"])  # results hidden, or shown at once
def test_finishing_a_quiz(app, login_as, review):
    data = _setup(app, {"review_option": review})
    browser = _student(app, login_as, data)
    attempt_id = _start(browser, data)
    page = landed(browser, _submit(browser, attempt_id, data))
    assert success_messages(page) == ["Your answers were submitted."]


def test_handing_in_an_assignment(app, login_as):
    data = _setup(app)
    browser = _student(app, login_as, data)
    response = browser.post(f"/assignments/{data['assignment']}", data={"text": "Rivers run to the sea."})
    page = landed(browser, response)
    assert success_messages(page) == ["Your work was handed in."]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_marking_a_lesson_complete(app, login_as, language):
    course = course_with_lessons(app, title="Done Once")
    browser = login_as("Student")
    enrol(app, browser.user_id, course["id"])
    in_language(browser, language)
    page = landed(browser, browser.post(f"/courses/{course['slug']}/lessons/{course['third']}/complete"))
    done = {"en": "✓ You completed this lesson.", "ar": "✓ أكملت هذا الدرس."}[language]
    assert success_messages(page) == [done]
    assert TAG.sub("", page).count(done.lstrip("✓ ")) == 1, "said once, where the button was"
