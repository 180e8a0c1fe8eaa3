"""Fields that hold Latin text (e-mails, user names, URLs, slugs, codes, phones, external ids) take
`dir="auto"` on Arabic pages, in the back office's generated forms and shown values and in the
portal's forms; one-language fields (`name_ar`, `name_en`) take their language's direction."""

from __future__ import annotations

import re

from app.core.bidi import holds_latin_text
from tests.conftest import login


def _tag(html: str, name: str) -> str:
    """The rendered <input>/<textarea> named `name`."""
    match = re.search(rf'<(?:input|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def test_latin_names_are_recognised():
    for name in (
        "email",
        "username",
        "slug",
        "code",
        "phone",
        "transaction_id",
        "external_url",
        "feature_code",
    ):
        assert holds_latin_text(name), name
    for name in ("first_name", "title", "description", "bio", "name_ar", "reason"):
        assert not holds_latin_text(name), name


def test_arabic_back_office_user_forms_type_latin_fields_in_their_own_direction(app, login_as, user_factory):
    user_id, _ = user_factory("Student", phone="+966 50 123 4567")
    admin = login_as("Admin")
    admin.get("/lang/ar")
    add = admin.get("/users/add").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in add
    for name in ("username", "email"):
        assert 'dir="auto"' in _tag(add, name), name
    for name in ("first_name", "last_name"):  # a name follows the page
        assert "dir=" not in _tag(add, name), name
    assert 'dir="rtl"' in _tag(add, "name_ar") and 'lang="ar"' in _tag(add, "name_ar")
    edit = admin.get(f"/users/edit/{user_id}").get_data(as_text=True)
    for name in ("username", "email", "phone"):
        assert 'dir="auto"' in _tag(edit, name), name


def test_arabic_generated_forms_mark_codes_and_one_language_fields(app, login_as):
    admin = login_as("Admin")
    admin.get("/lang/ar")
    add = admin.get("/lookupmodelview/add").get_data(as_text=True)
    assert 'dir="auto"' in _tag(add, "code")
    assert 'dir="rtl"' in _tag(add, "name_ar") and 'lang="ar"' in _tag(add, "name_ar")
    assert 'dir="ltr"' in _tag(add, "name_en") and 'lang="en"' in _tag(add, "name_en")
    plan = admin.get("/planmodelview/add").get_data(as_text=True)
    assert 'dir="auto"' in _tag(plan, "code")  # (its currency is a list of choices)


def test_shown_latin_values_take_their_own_direction(app, login_as, user_factory):
    user_id, username = user_factory("Student")
    admin = login_as("Admin")
    admin.get("/lang/ar")
    shown = admin.get(f"/users/show/{user_id}").get_data(as_text=True)
    assert f'<span dir="auto">{username}@example.test</span>' in shown
    listed = admin.get(f"/users/list/?_flt_0_username={username}").get_data(as_text=True)
    assert f'<span dir="auto">{username}</span>' in listed
    # Exports keep the bare values.
    exported = admin.get("/lookupmodelview/export/csv?_flt_0_code=suspended").get_data(as_text=True)
    assert "suspended" in exported and "<span" not in exported


def test_portal_forms_type_latin_fields_in_their_own_direction(app, client, user_factory):
    register = client.get("/register/form?_l_=ar").get_data(as_text=True)
    for name in ("username", "email"):
        assert 'dir="auto"' in _tag(register, name), name
    assert 'type="email"' in _tag(register, "email")
    _, username = user_factory("Instructor", locale="ar")  # learners edit themselves in the portal
    login(client, username)
    profile = client.get("/lmsuserinfoeditview/form").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in profile
    assert 'dir="auto"' in _tag(profile, "phone") and 'type="tel"' in _tag(profile, "phone")
    assert 'dir="rtl"' in _tag(profile, "name_ar")
    client.get("/logout/")
    sign_in = client.get("/login/?_l_=ar").get_data(as_text=True)
    assert 'dir="auto"' in _tag(sign_in, "username")
