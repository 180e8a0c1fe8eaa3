"""Security of accounts: who may sign in, moderation, registration, passwords, locale and timezone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.core.transactions import transaction
from app.extensions import appbuilder, db
from app.security import services
from app.security.models import LmsUser
from app.security.passwords import password_problem, validate_password
from tests.conftest import jwt_headers, login
from tests.factories import PASSWORD

JWT_LOGIN = "/api/v1/security/login"
USERS_API = "/api/v1/security/users"
FAST_HASH = "pbkdf2:sha256:1000"  # hashing is not under test here; scrypt costs ~0.15 s a call


@pytest.fixture(autouse=True)
def _fast_hashing(app, monkeypatch):
    """Cheap password hashes for the users these tests create (verification reads the hash's method)."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setitem(app.config, "FAB_PASSWORD_HASH_METHOD", FAST_HASH)
    monkeypatch.setitem(
        app.config, "AUTH_DB_FAKE_PASSWORD_HASH_CHECK", generate_password_hash("x", method=FAST_HASH)
    )


def jwt_login(client, username, password=PASSWORD):
    """POST the JWT login; returns the response."""
    return client.post(JWT_LOGIN, json={"username": username, "password": password, "provider": "db"})


def is_signed_in(client) -> bool:
    """A signed-in browser sees its user info page (a learner: is sent to the portal's profile); an
    anonymous one is sent to /login/."""
    response = client.get("/users/userinfo/")
    if response.status_code == 200 or response.headers.get("Location", "").endswith("/my/profile"):
        return True
    assert response.status_code == 302, response.status_code
    assert "/login/" in response.headers["Location"]
    return False


def user_row(app, user_id):
    """(status code, is_deleted, password hash) of a user, deleted rows included."""
    with app.app_context():
        user = db.session.scalars(
            select(LmsUser).where(LmsUser.id == user_id).execution_options(include_deleted=True)
        ).one()
        result = (user.status_code, user.is_deleted, user.password)
        db.session.remove()
    return result


def soft_delete_user(app, user_id):
    from app.core.softdelete import soft_delete

    with app.app_context():
        soft_delete(db.session.get(LmsUser, user_id))
        db.session.commit()
        db.session.remove()


# ---- 1. only active users sign in -------------------------------------------------------------
def test_active_user_signs_in_by_form_and_jwt(app, user_factory):
    _, username = user_factory("Student")
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    assert is_signed_in(browser)
    response = jwt_login(app.test_client(), username)
    assert response.status_code == 200
    assert response.json["access_token"]


@pytest.mark.parametrize("state", ["suspended", "banned", "inactive", "deleted", "inactive_flag"])
def test_blocked_users_cannot_sign_in(app, user_factory, state):
    if state == "deleted":
        user_id, username = user_factory("Student")
        soft_delete_user(app, user_id)
    elif state == "inactive_flag":  # FAB's own `active` column switched off
        _, username = user_factory("Student", active=False)
    else:
        _, username = user_factory("Student", status=state)
    browser = app.test_client()
    login(browser, username)
    assert not is_signed_in(browser), f"a {state} user got a session"
    response = jwt_login(app.test_client(), username)
    assert response.status_code == 401, f"a {state} user got a JWT"
    assert "access_token" not in (response.json or {})


def test_wrong_password_is_refused_and_audited(app, user_factory):
    user_id, username = user_factory("Student")
    browser = app.test_client()
    login(browser, username, "not-the-password-at-all")
    assert not is_signed_in(browser)
    assert jwt_login(app.test_client(), username, "not-the-password-at-all").status_code == 401
    with app.app_context():
        failures = db.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "user", AuditLog.entity_id == user_id)
        ).all()
        codes = [row.action.code for row in failures]
        texts = " ".join(f"{row.description} {row.old_values} {row.new_values}" for row in failures)
        db.session.remove()
    assert codes.count("login_failed") == 2
    assert "not-the-password-at-all" not in texts


# ---- 2. suspension ends live sessions and tokens ------------------------------------------------
def test_suspension_ends_session_and_token(app, user_factory):
    user_id, username = user_factory("Student")
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    headers = jwt_headers(app.test_client(), username)
    assert is_signed_in(browser)
    assert app.test_client().get("/api/v1/my_activity/", headers=headers).status_code == 200

    with app.app_context():
        with transaction():  # the service flushes; its caller commits
            services.suspend_user(db.session.get(LmsUser, user_id))
        db.session.remove()

    assert not is_signed_in(browser), "a suspended user kept the session"
    response = app.test_client().get("/api/v1/my_activity/", headers=headers)
    assert response.status_code in (401, 422), "a suspended user's JWT still works"
    assert response.json["message"] and "errors" in response.json


# ---- 3. moderation by admins --------------------------------------------------------------------
def action_post(client, action, *ids):
    return client.post("/users/action_post", data={"action": action, "rowid": [str(i) for i in ids]})


def test_admin_moderates_users_in_back_office(app, login_as, user_factory):
    admin = login_as("Admin")
    first_id, first = user_factory("Student")
    second_id, _ = user_factory("Instructor")

    response = action_post(admin, "suspend_users", first_id, second_id)
    assert response.status_code == 302
    assert user_row(app, first_id)[0] == "suspended"
    assert user_row(app, second_id)[0] == "suspended"
    assert jwt_login(app.test_client(), first).status_code == 401

    assert action_post(admin, "ban_users", first_id).status_code == 302
    assert user_row(app, first_id)[0] == "banned"

    assert action_post(admin, "restore_users", first_id, second_id).status_code == 302
    assert user_row(app, first_id)[0] == "active"
    assert user_row(app, second_id)[0] == "active"
    assert jwt_login(app.test_client(), first).status_code == 200

    old_hash = user_row(app, first_id)[2]
    response = action_post(admin, "reset_users_password", first_id)
    assert response.status_code == 302
    assert user_row(app, first_id)[2] != old_hash
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    match = re.search(rf"New password for {first}: ([A-Za-z0-9_-]+)", page)
    assert match, "the one-time password is not shown to the admin"
    assert jwt_login(app.test_client(), first).status_code == 401
    assert jwt_login(app.test_client(), first, match.group(1)).status_code == 200


def test_admin_cannot_suspend_self_in_back_office(app, login_as):
    admin = login_as("Admin")
    response = action_post(admin, "suspend_users", admin.user_id)
    assert response.status_code == 302
    assert user_row(app, admin.user_id)[0] == "active"
    assert is_signed_in(admin)


def test_admin_restores_deleted_user_in_back_office(app, login_as, user_factory):
    admin = login_as("Admin")
    user_id, username = user_factory("Student")
    soft_delete_user(app, user_id)
    assert jwt_login(app.test_client(), username).status_code == 401
    assert action_post(admin, "restore_users", user_id).status_code == 302
    assert user_row(app, user_id)[:2] == ("active", False)
    assert jwt_login(app.test_client(), username).status_code == 200


def test_admin_moderates_users_through_api(app, api_as, user_factory):
    headers = api_as("Admin")
    client = app.test_client()
    user_id, username = user_factory("Student")

    response = client.post(f"{USERS_API}/{user_id}/suspend", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "suspended"
    assert jwt_login(client, username).status_code == 401

    response = client.post(f"{USERS_API}/{user_id}/ban", headers=headers)
    assert (response.status_code, response.json["status"]) == (200, "banned")

    response = client.post(f"{USERS_API}/{user_id}/restore", headers=headers)
    assert (response.status_code, response.json["status"]) == (200, "active")
    assert jwt_login(client, username).status_code == 200

    response = client.post(f"{USERS_API}/{user_id}/reset_password", headers=headers)
    assert response.status_code == 200
    one_time = response.json["password"]
    assert jwt_login(client, username).status_code == 401
    assert jwt_login(client, username, one_time).status_code == 200

    response = client.post(
        f"{USERS_API}/{user_id}/reset_password", headers=headers, json={"password": "short"}
    )
    assert response.status_code == 422
    assert "message" in response.json
    assert jwt_login(client, username, one_time).status_code == 200

    assert client.post(f"{USERS_API}/999999999/suspend", headers=headers).status_code == 404


def test_one_time_password_must_be_replaced(app, api_as, user_factory):
    user_id, username = user_factory("Student")
    response = app.test_client().post(f"{USERS_API}/{user_id}/reset_password", headers=api_as("Admin"))
    one_time = response.json["password"]
    browser = app.test_client()
    assert login(browser, username, one_time).status_code == 302
    response = browser.get("/users/userinfo/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/resetmypassword/form"), "a one-time password kept working"
    assert browser.get("/resetmypassword/form").status_code == 200
    new = "purple elephants dance at dawn"
    browser.post("/resetmypassword/form", data={"password": new, "conf_password": new})
    assert browser.get("/my/profile").status_code == 200
    with app.app_context():
        assert db.session.get(LmsUser, user_id).must_change_password is False
        db.session.remove()
    assert jwt_login(app.test_client(), username, one_time).status_code == 401


def test_admin_restores_deleted_user_through_api(app, api_as, user_factory):
    headers = api_as("Admin")
    user_id, username = user_factory("Student")
    soft_delete_user(app, user_id)
    client = app.test_client()
    assert jwt_login(client, username).status_code == 401
    response = client.post(f"{USERS_API}/{user_id}/restore", headers=headers)
    assert response.status_code == 200
    assert user_row(app, user_id)[:2] == ("active", False)
    assert jwt_login(client, username).status_code == 200


def test_admin_cannot_suspend_or_ban_self_through_api(app, user_factory):
    admin_id, admin = user_factory("Admin")
    client = app.test_client()
    headers = jwt_headers(client, admin)
    for verb in ("suspend", "ban"):
        response = client.post(f"{USERS_API}/{admin_id}/{verb}", headers=headers)
        assert response.status_code == 409
        assert response.json["message"]
    assert user_row(app, admin_id)[0] == "active"


@pytest.mark.parametrize("verb", ["suspend", "ban", "restore", "reset_password"])
def test_student_cannot_moderate_through_api(app, api_as, user_factory, verb):
    headers = api_as("Student")
    user_id, _ = user_factory("Student", status="suspended" if verb == "restore" else "active")
    before = user_row(app, user_id)
    response = app.test_client().post(f"{USERS_API}/{user_id}/{verb}", headers=headers)
    assert response.status_code in (401, 403)
    assert "password" not in (response.json or {})
    assert user_row(app, user_id) == before


@pytest.mark.parametrize("action", ["suspend_users", "ban_users", "restore_users", "reset_users_password"])
def test_student_cannot_moderate_in_back_office(app, login_as, user_factory, action):
    student = login_as("Student")
    user_id, _ = user_factory("Student", status="suspended" if action == "restore_users" else "active")
    before = user_row(app, user_id)
    response = action_post(student, action, user_id)
    assert response.status_code == 403
    assert user_row(app, user_id) == before
    assert "New password" not in student.get("/admin/").get_data(as_text=True)


# ---- 4. self-registration ------------------------------------------------------------------------
def registration_form(username, password=PASSWORD):
    return {
        "username": username,
        "first_name": "New",
        "last_name": "Learner",
        "email": f"{username}@example.com",
        "password": password,
        "conf_password": password,
    }


def test_account_forms_render_with_and_without_csrf_whichever_came_first(app, client, login_as, monkeypatch):
    """FAB fixes a form view's columns at its first render; one made with CSRF on broke every later
    render without it (and the reverse must hold too)."""
    from app.extensions import appbuilder as builder

    views = [
        v for v in builder.baseviews if type(v).__name__ in {"LmsRegisterUserDBView", "LmsUserInfoEditView"}
    ]
    assert len(views) == 2
    for view in views:
        monkeypatch.setattr(view, "form_columns", [])  # as before its first render
    user = login_as("Instructor")  # learners edit themselves in the portal
    for csrf in (True, False, True):
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", csrf)
        page = client.get("/register/form")
        assert page.status_code == 200 and 'name="username"' in page.get_data(as_text=True), csrf
        assert user.get("/lmsuserinfoeditview/form").status_code == 200, csrf
    assert all("csrf_token" not in view.form_columns for view in views)


def test_self_registration_gives_student_role(app, client):
    assert client.get("/register/form").status_code == 200
    response = client.post("/register/form", data=registration_form("newlearner"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = appbuilder.sm.find_user(username="newlearner")
        assert user is not None, "self-registration created no account"
        assert [role.name for role in user.roles] == [app.config["AUTH_USER_REGISTRATION_ROLE"]]
        assert [role.name for role in user.roles] == ["Student"]
        assert user.status_code == "active"
        db.session.remove()
    assert jwt_login(app.test_client(), "newlearner").status_code == 200


def test_self_registration_applies_password_policy(app, client):
    for weak in ("short-pw", "password1234"):
        response = client.post("/register/form", data=registration_form("weakling", weak))
        assert response.status_code == 200
        assert "characters" in response.get_data(as_text=True) or "too common" in response.get_data(
            as_text=True
        )
        with app.app_context():
            assert appbuilder.sm.find_user(username="weakling") is None, f"registered with {weak!r}"
            db.session.remove()


# ---- 5. password policy ---------------------------------------------------------------------------
def test_password_policy_validator(app):
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    with app.test_request_context("/"):
        with pytest.raises(PasswordComplexityValidationError, match="at least 12"):
            validate_password("Sh0rt!pw")
        with pytest.raises(PasswordComplexityValidationError, match="too common"):
            validate_password("password1234")
        with pytest.raises(PasswordComplexityValidationError, match="too common"):
            validate_password("aaaaaaaaaaaaaaaa")
        with pytest.raises(PasswordComplexityValidationError, match="at most"):
            validate_password("x" * 100 + "y" * 100)
        validate_password("purple elephants dance at dawn")  # a long passphrase, no symbols needed
        validate_password(PASSWORD)


def test_password_policy_outside_a_request(ctx):
    """`flask app init` checks ADMIN_PASSWORD with the policy, outside any request."""
    try:
        problem = password_problem("password1234")
    except RuntimeError as exc:
        pytest.fail(
            "BUG (app/__init__.py select_locale reads `request` without has_request_context()): "
            f"refusing a password outside a request crashes instead of explaining why: {exc}"
        )
    assert problem and "too common" in problem


@pytest.mark.parametrize("weak", ["Sh0rt!pw", "password1234"])
def test_reset_my_password_form_applies_policy(app, user_factory, weak):
    user_id, username = user_factory("Student")
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    before = user_row(app, user_id)[2]
    assert browser.get("/resetmypassword/form").status_code == 200
    response = browser.post("/resetmypassword/form", data={"password": weak, "conf_password": weak})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "at least 12 characters" in page or "too common" in page
    assert user_row(app, user_id)[2] == before, f"the password was changed to {weak!r}"
    assert jwt_login(app.test_client(), username).status_code == 200


def test_reset_my_password_form_accepts_passphrase(app, user_factory):
    _, username = user_factory("Student")
    browser = app.test_client()
    login(browser, username)
    new = "purple elephants dance at dawn"
    response = browser.post("/resetmypassword/form", data={"password": new, "conf_password": new})
    assert response.status_code == 302
    assert jwt_login(app.test_client(), username, new).status_code == 200
    assert jwt_login(app.test_client(), username).status_code == 401


# ---- 13. locale and timezone follow the user ------------------------------------------------------
def test_saved_locale_applies_after_login_and_switch_is_saved(app, user_factory):
    user_id, username = user_factory("Admin", locale="ar", timezone="Asia/Riyadh")
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    page = browser.get("/admin/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page

    # The language switch (a GET) changes this session only: a GET never writes to the database.
    assert browser.get("/lang/en").status_code == 302
    assert '<html lang="en" dir="ltr"' in browser.get("/admin/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LmsUser, user_id).locale == "ar"
        db.session.remove()

    # The profile form saves the preference.
    saved = browser.post(
        "/lmsuserinfoeditview/form",
        data={"first_name": "Admin", "last_name": "Tester", "locale": "en", "timezone": "Asia/Riyadh"},
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(LmsUser, user_id).locale == "en"
        db.session.remove()

    # A fresh session of the same user starts in the saved language.
    again = app.test_client()
    login(again, username)
    assert '<html lang="en" dir="ltr"' in again.get("/admin/").get_data(as_text=True)


def test_datetimes_are_shown_in_the_viewers_timezone(app, user_factory):
    from datetime import UTC, datetime

    from app.lookups.services import lookup_id

    with app.app_context():
        db.session.add(
            AuditLog(
                actor_label="tz-probe",
                action_id=lookup_id("audit_actions", "logged_in"),
                entity_type="tz_probe",
                created_at=datetime(2031, 1, 2, 5, 6, 7, tzinfo=UTC),
            )
        )
        db.session.commit()
        db.session.remove()

    def shown_time(timezone: str) -> str:
        _, username = user_factory("Admin", locale="en", timezone=timezone)
        browser = app.test_client()
        login(browser, username)
        page = browser.get("/auditlogmodelview/list/?_flt_0_entity_type=tz_probe").get_data(as_text=True)
        match = re.search(r"Jan 2, 2031,?\s+(\d{1,2}:\d{2}:\d{2})", page)
        assert match, "the probe row is not listed with its date"
        return match.group(1)

    assert shown_time("UTC") == "5:06:07"
    assert shown_time("Asia/Riyadh") == "8:06:07"


def test_an_error_half_way_through_suspending_leaves_nothing_written(app, user_factory):
    user_id, _username = user_factory("Student")
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        password = user.password
        with pytest.raises(RuntimeError), transaction():
            services.reset_password(user)
            services.suspend_user(user)
            raise RuntimeError("half-way")
        db.session.remove()
        user = db.session.get(LmsUser, user_id)
        assert user.password == password and user.status.code == "active" and user.suspended_at is None
        db.session.remove()
