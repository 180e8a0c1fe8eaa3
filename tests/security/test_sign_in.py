"""Where signing in lands (the page asked for, My learning, the back office), safe `next`, the
sign-in and forgot-password pages in both languages."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.security.services import safe_next
from tests.conftest import login
from tests.factories import PASSWORD

UNSAFE_NEXT = [
    "//evil.com",
    "https://evil.com/",
    "javascript:alert(1)",
    "/\\evil.com",
    "/\t/evil.com",
    "evil.com/path",
    "http:/evil.com",
]


def sign_in(app, username, next_url=None):
    """POST the form (with `next` in the query string, as the page posts it); returns the Location."""
    url = "/login/" if next_url is None else f"/login/?next={quote(next_url, safe='')}"
    response = app.test_client().post(url, data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("url", ["/courses/", "/courses/python?tab=syllabus", "/admin/"])
def test_site_paths_are_safe_next_targets(url):
    assert safe_next(url) == url


@pytest.mark.parametrize("url", [*UNSAFE_NEXT, "", None])
def test_other_hosts_schemes_and_control_characters_are_refused(url):
    assert safe_next(url) is None


def test_learner_without_next_lands_on_my_learning(app, user_factory):
    _, student = user_factory("Student")
    assert sign_in(app, student) == "/my/learning"


def test_learner_returns_to_the_page_they_came_from(app, user_factory):
    _, student = user_factory("Student")
    page = "/courses/python-basics?tab=syllabus"
    assert sign_in(app, student, page) == page


@pytest.mark.parametrize("role", ["Admin", "Instructor", "Recruiter"])
def test_staff_and_accounts_that_do_not_learn_land_on_the_back_office(app, user_factory, role):
    _, username = user_factory(role)
    assert sign_in(app, username) == "/admin/"


@pytest.mark.parametrize(("role", "home"), [("Student", "/my/learning"), ("Admin", "/admin/")])
@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
def test_an_unsafe_next_is_ignored(app, user_factory, role, home, next_url):
    _, username = user_factory(role)
    assert sign_in(app, username, next_url) == home


def test_a_signed_in_visitor_of_the_sign_in_page_goes_on(app, user_factory):
    _, student = user_factory("Student")
    browser = app.test_client()
    assert login(browser, student).status_code == 302
    assert browser.get("/login/").headers["Location"] == "/my/learning"
    assert browser.get("/login/?next=/plans/").headers["Location"] == "/plans/"
    assert browser.get("/login/?next=//evil.com").headers["Location"] == "/my/learning"


def test_a_failed_sign_in_comes_back_with_a_safe_next_only(app, user_factory):
    _, student = user_factory("Student")
    browser = app.test_client()
    failed = browser.post("/login/?next=/plans/", data={"username": student, "password": "wrong password"})
    assert failed.headers["Location"] == "/login/?next=/plans/"
    assert "Invalid login" in browser.get(failed.headers["Location"]).get_data(as_text=True)
    failed = browser.post("/login/?next=//evil.com", data={"username": student, "password": "wrong password"})
    assert failed.headers["Location"] == "/login/"


def test_the_portal_sign_in_link_comes_back_to_the_page(client):
    html = client.get("/courses/?q=python").get_data(as_text=True)
    assert 'href="/login/?next=/courses/?q%3Dpython"' in html


@pytest.mark.parametrize(
    ("lang", "direction", "title", "forgot"),
    [
        ("en", "ltr", "Sign In", "Forgot your password?"),
        ("ar", "rtl", "تسجيل الدخول", "هل نسيت كلمة المرور؟"),
    ],
)
def test_sign_in_page_in_both_languages(client, lang, direction, title, forgot):
    html = client.get(f"/login/?_l_={lang}").get_data(as_text=True)
    assert f'dir="{direction}"' in html and f'<h1 id="auth-title">{title}</h1>' in html
    assert '<label for="username">' in html and '<label for="password">' in html
    assert 'autocomplete="current-password"' in html
    assert f'<a href="/forgot-password/">{forgot}</a>' in html
    assert "portal-header" in html and "img/logo.svg" in html  # the portal's look


@pytest.mark.parametrize(
    ("lang", "direction", "says"),
    [("en", "ltr", "we will send you a link"), ("ar", "rtl", "وسنرسل إليك رابطًا لاختيار كلمة مرور جديدة")],
)
def test_forgot_password_page_asks_for_the_email(client, lang, direction, says):
    response = client.get(f"/forgot-password/?_l_={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'dir="{direction}"' in html and says in html
    assert "<form" in html and 'type="email"' in html and 'autocomplete="email"' in html
    assert 'href="/login/"' in html


def test_signing_out_lands_on_the_portal_home(login_as):
    for role in ("Student", "Instructor"):
        browser = login_as(role)
        response = browser.get("/logout/")
        assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/")
        assert browser.get("/my/learning").status_code == 302  # signed out indeed
