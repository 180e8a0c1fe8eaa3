"""Learners never need the back office: the portal's profile links lead to /my/profile, and FAB's
own-profile screens send a learner there; staff keep the back-office profile screen."""

from __future__ import annotations

from flask import url_for

from app.extensions import db
from app.security.models import LmsUser
from tests.portal_helpers import page_text


def fab_profile_urls(app) -> tuple[str, str]:
    with app.test_request_context():
        return url_for("LmsUserDBModelView.userinfo"), url_for("LmsUserInfoEditView.this_form_get")


def test_a_learner_opening_the_back_office_profile_lands_on_my_profile(app, login_as):
    browser = login_as("Student")
    for url in fab_profile_urls(app):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/my/profile")
    _, edit = fab_profile_urls(app)
    posted = browser.post(edit, data={"first_name": "Changed", "last_name": "Behind", "locale": "en"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/my/profile")
    with app.app_context():
        assert db.session.get(LmsUser, browser.user_id).first_name != "Changed"
        db.session.remove()


def test_staff_keep_the_back_office_profile_screen(app, login_as):
    browser = login_as("Instructor")
    info, edit = fab_profile_urls(app)
    assert browser.get(info).status_code == 200
    assert browser.get(edit).status_code == 200
    page = page_text(browser.get("/coursemodelview/list/"))
    assert f'href="{info}"' in page and 'id="nav-public-profile"' in page


def test_portal_pages_link_the_portal_profile_not_the_back_office(app, login_as):
    browser = login_as("Student")
    info, edit = fab_profile_urls(app)
    for url in ("/", "/my/learning", "/my/profile", "/courses/"):
        page = page_text(browser.get(url))
        assert 'id="nav-my-profile"' in page and 'href="/my/profile"' in page, url
        assert info not in page and edit not in page, url


def test_a_learner_in_a_back_office_page_is_offered_the_portal_profile(app, login_as):
    browser = login_as("Student")
    info, _ = fab_profile_urls(app)
    response = browser.get("/admin/my-activity/list/")
    assert response.status_code == 200
    page = page_text(response)
    assert f'href="{info}"' not in page and 'href="/my/profile"' in page
