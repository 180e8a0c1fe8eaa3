"""A person's name in Arabic and gender (for Arabic certificates): the back-office user screens and
each user's own profile form."""

from __future__ import annotations

import re

from app.extensions import db
from app.lookups.services import lookup_id
from app.security.models import LmsUser
from tests.conftest import login


def _input(html: str, name: str) -> str:
    """The rendered <input> or <select> tag named `name`."""
    match = re.search(rf'<(?:input|select)[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


def test_an_admin_gives_a_user_an_arabic_name_and_gender(app, login_as, user_factory):
    user_id, username = user_factory("Student", first_name="Layla", last_name="Haddad")
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        form = {
            "first_name": "Layla",
            "last_name": "Haddad",
            "username": username,
            "active": "y",
            "email": user.email,
            "roles": [str(role.id) for role in user.roles],
            "status": str(user.status_id),
            "locale": "ar",
            "timezone": "Asia/Riyadh",
            "name_ar": "  ليلى حداد  ",
            "gender": str(lookup_id("genders", "female")),
        }
        db.session.remove()
    admin = login_as("Admin")
    admin.get("/lang/ar")
    edit_page = admin.get(f"/users/edit/{user_id}").get_data(as_text=True)
    assert 'dir="rtl"' in _input(edit_page, "name_ar") and 'lang="ar"' in _input(edit_page, "name_ar")
    gender_select = re.search(r'<select[^>]*name="gender".*?</select>', edit_page, re.S).group(0)
    assert "ذكر" in gender_select and "أنثى" in gender_select

    assert admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    with app.app_context():
        saved = db.session.get(LmsUser, user_id)
        assert (saved.name_ar, saved.gender_code) == ("ليلى حداد", "female")
        db.session.remove()
    shown = admin.get(f"/users/show/{user_id}").get_data(as_text=True)
    assert "ليلى حداد" in shown and "أنثى" in shown
    assert "الاسم الكامل بالعربية" in shown  # the field's label, translated


def test_each_user_sets_their_own_arabic_name_and_gender(app, user_factory):
    # Staff edit themselves in the back office; learners in the portal (tests/portal/test_profile.py).
    user_id, username = user_factory("Instructor", first_name="Omar", last_name="Farouk", locale="ar")
    browser = app.test_client()
    login(browser, username)
    page = browser.get("/lmsuserinfoeditview/form").get_data(as_text=True)
    assert 'dir="rtl"' in _input(page, "name_ar")
    gender_select = re.search(r'<select[^>]*name="gender_id".*?</select>', page, re.S).group(0)
    assert "ذكر" in gender_select and "أنثى" in gender_select
    assert "أفضّل عدم التحديد" in gender_select

    with app.app_context():
        male = lookup_id("genders", "male")
    data = {"first_name": "Omar", "last_name": "Farouk", "locale": "ar", "timezone": "Africa/Cairo"}
    assert (
        browser.post(
            "/lmsuserinfoeditview/form", data={**data, "name_ar": "عمر فاروق", "gender_id": str(male)}
        ).status_code
        == 302
    )
    with app.app_context():
        saved = db.session.get(LmsUser, user_id)
        assert (saved.name_ar, saved.gender_code) == ("عمر فاروق", "male")
        db.session.remove()
    page = browser.get("/lmsuserinfoeditview/form").get_data(as_text=True)
    assert 'value="عمر فاروق"' in _input(page, "name_ar")
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{male}"|<option[^>]*value="{male}"[^>]*selected', page
    )

    # Both are optional: cleared, the certificates fall back to the Latin name and neutral wording.
    assert (
        browser.post("/lmsuserinfoeditview/form", data={**data, "name_ar": " ", "gender_id": ""}).status_code
        == 302
    )
    with app.app_context():
        saved = db.session.get(LmsUser, user_id)
        assert (saved.name_ar, saved.gender_id) == (None, None)
        db.session.remove()


def test_a_gender_that_is_not_offered_is_refused(app, user_factory):
    user_id, username = user_factory("Instructor", locale="en")
    browser = app.test_client()
    login(browser, username)
    data = {"first_name": "A", "last_name": "B", "locale": "en", "timezone": "UTC"}
    with app.app_context():
        not_a_gender = lookup_id("user_status", "active")
    response = browser.post("/lmsuserinfoeditview/form", data={**data, "gender_id": str(not_a_gender)})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LmsUser, user_id).gender_id is None
        db.session.remove()


def test_saving_a_user_without_a_role_is_a_form_error_not_a_crash(app, login_as, user_factory):
    user_id, username = user_factory("Student")
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        form = {"first_name": "A", "last_name": "B", "username": username, "active": "y", "email": user.email}
        form |= {"status": str(user.status_id), "locale": "en", "timezone": "UTC"}
        roles_before = [role.name for role in user.roles]
        db.session.remove()
    response = login_as("Admin").post(f"/users/edit/{user_id}", data=form)
    assert response.status_code == 200 and "Choose at least one role." in response.get_data(as_text=True)
    with app.app_context():
        assert [role.name for role in db.session.get(LmsUser, user_id).roles] == roles_before
        db.session.remove()
