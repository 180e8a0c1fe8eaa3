"""Changing the e-mail address is confirmed at the new address; the old one is told, before and after.
Password changes are mailed to the owner on every path (own change, admin reset)."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, Invalid
from app.extensions import db
from app.security import accounts
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.security.accounts_support import link_path, parts, to, user

PROFILE = {"first_name": "Sam", "last_name": "Mover", "locale": "en", "timezone": "UTC"}


def change_in_profile(browser, new_email):
    response = browser.post("/lmsuserinfoeditview/form", data={**PROFILE, "email": new_email})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_profile_change_waits_for_the_new_address(app, mailbox, user_factory):
    # Staff use the back office's profile form (learners: My profile, tests/portal/test_profile_email.py).
    user_id, username = user_factory("Instructor", email="old@example.test")
    browser = app.test_client()
    login(browser, username)
    change_in_profile(browser, "new@example.com")
    assert user(app, user_id)["email"] == "old@example.test"  # not changed yet
    assert user(app, user_id)["pending_email"] == "new@example.com"
    [notice] = to(mailbox, "old@example.test")
    assert notice["Subject"] == "Someone asked to change your e-mail address"
    assert "new@example.com" in parts(notice)[0] and "/confirm-email/" not in parts(notice)[0]
    [confirmation] = to(mailbox, "new@example.com")
    assert confirmation["Subject"] == "Confirm your new e-mail address"

    path = link_path(confirmation, "confirm-email")
    done = browser.get(path)
    assert done.status_code == 200 and "Your account now uses new@example.com" in done.get_data(as_text=True)
    after = user(app, user_id)
    assert (after["email"], after["pending_email"], after["verified"]) == ("new@example.com", None, True)
    changed = to(mailbox, "old@example.test")[-1]
    assert changed["Subject"] == "Your e-mail address was changed"
    assert "new@example.com" in parts(changed)[0]
    # The link is spent.
    assert browser.get(path).status_code == 400


def test_an_arabic_user_is_written_to_in_arabic(app, mailbox, user_factory):
    user_id, _ = user_factory("Student", email="arabic-old@example.test", locale="ar")
    with app.app_context():
        accounts.request_email_change(db.session.get(LmsUser, user_id), "arabic-new@example.com")
        db.session.commit()
        db.session.remove()
    [confirmation] = to(mailbox, "arabic-new@example.com")
    text, html = parts(confirmation)
    assert confirmation["Subject"] == "أكّد عنوان بريدك الإلكتروني الجديد"
    assert '<html lang="ar" dir="rtl">' in html and "/confirm-email/" in text
    [notice] = to(mailbox, "arabic-old@example.test")
    assert notice["Subject"] == "طلب أحدهم تغيير عنوان بريدك الإلكتروني"


def test_an_address_taken_meanwhile_is_refused_at_confirmation(app, client, mailbox, user_factory):
    user_id, _ = user_factory("Student", email="first@example.test")
    with app.app_context():
        accounts.request_email_change(db.session.get(LmsUser, user_id), "wanted@example.com")
        db.session.commit()
        db.session.remove()
    user_factory("Student", email="wanted@example.com")  # someone else takes it
    refused = client.get(link_path(to(mailbox, "wanted@example.com")[0], "confirm-email"))
    assert refused.status_code == 409 and "taken by another account" in refused.get_data(as_text=True)
    assert user(app, user_id)["email"] == "first@example.test"


def test_a_link_for_an_older_request_or_old_address_is_refused(app, client, mailbox, user_factory):
    user_id, _ = user_factory("Student", email="start@example.test")

    def request(address):
        with app.app_context():
            accounts.request_email_change(db.session.get(LmsUser, user_id), address)
            db.session.commit()
            db.session.remove()
        return link_path(to(mailbox, address)[-1], "confirm-email")

    first = request("first-choice@example.com")
    second = request("second-choice@example.com")
    stale = client.get(first)
    assert stale.status_code == 400 and "no longer pending" in stale.get_data(as_text=True)
    # The address on the account changed since the link was made (an admin edit): refused too.
    with app.app_context():
        db.session.get(LmsUser, user_id).email = "admin-set@example.test"
        db.session.commit()
        db.session.remove()
    assert client.get(second).status_code == 400
    assert user(app, user_id)["email"] == "admin-set@example.test"
    forged = client.get(second[:-4] + "AAAA")
    assert forged.status_code == 400


def test_request_rules(app, ctx, user_factory):
    user_id, _ = user_factory("Student", email="rules@example.test")
    user_factory("Student", email="taken@example.test")
    row = db.session.get(LmsUser, user_id)
    for bad in ("", "no-at-sign", "RULES@example.test"):
        with pytest.raises(Invalid):
            accounts.request_email_change(row, bad)
    with pytest.raises(Conflict):
        accounts.request_email_change(row, "Taken@example.test")
    assert row.pending_email is None


def test_the_profile_flashes_a_refused_address(app, mailbox, user_factory):
    user_factory("Student", email="someone-else@example.com")
    user_id, username = user_factory("Instructor", email="mine@example.test")
    browser = app.test_client()
    login(browser, username)
    response = browser.post(
        "/lmsuserinfoeditview/form",
        data={**PROFILE, "email": "someone-else@example.com"},
        follow_redirects=True,
    )
    assert "This e-mail address is already in use." in response.get_data(as_text=True)
    assert user(app, user_id)["pending_email"] is None and mailbox == []


# ---- password change notices ------------------------------------------------------------------
def test_own_password_change_is_mailed(app, mailbox, user_factory):
    _, username = user_factory("Student", email="own-change@example.test", locale="ar")
    browser = app.test_client()
    login(browser, username)
    response = browser.post(
        "/resetmypassword/form",
        data={"password": "a-fresh-passphrase-9", "conf_password": "a-fresh-passphrase-9"},
    )
    assert response.status_code == 302
    [notice] = to(mailbox, "own-change@example.test")
    text, html = parts(notice)
    assert notice["Subject"] == "تم تغيير كلمة المرور"
    assert '<html lang="ar" dir="rtl">' in html and "/forgot-password/" in text


def test_admin_reset_is_mailed(app, mailbox, user_factory):
    user_id, _ = user_factory("Student", email="reset-by-admin@example.test")
    _, admin = user_factory("Admin")
    headers = jwt_headers(app.test_client(), admin)
    response = app.test_client().post(
        f"/api/v1/security/users/{user_id}/reset_password", json={}, headers=headers
    )
    assert response.status_code == 200, response.json
    [notice] = to(mailbox, "reset-by-admin@example.test")
    assert notice["Subject"] == "Your password was changed"
