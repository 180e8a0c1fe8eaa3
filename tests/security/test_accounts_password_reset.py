"""Forgot password by e-mail: the same answer for every address, a single-use expiring link for that
account only, the password policy, sign-in required after, an audit row and a notice."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from app.audit.models import AuditLog
from app.extensions import db
from app.lookups.services import lookup_id
from app.security import accounts
from app.security.models import LmsUser
from tests.conftest import login
from tests.security.accounts_support import link_path, parts, to, user

NEW_PASSWORD = "a-brand-new-passphrase"


def ask(client, email):
    return client.post("/forgot-password/", data={"email": email})


def page(response):
    """The answer's body without its per-request CSP nonce."""
    return re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))


def test_known_and_unknown_addresses_get_the_same_answer(app, client, mailbox, user_factory):
    user_factory("Student", email="known@example.test")
    user_factory("Student", email="suspended@example.test", status="suspended")
    known = ask(client, "KNOWN@example.test")  # any case
    unknown = ask(client, "nobody@example.test")
    blocked = ask(client, "suspended@example.test")
    assert known.status_code == unknown.status_code == blocked.status_code == 200
    assert page(known) == page(unknown) == page(blocked)
    assert "If an account uses this address" in known.get_data(as_text=True)
    assert [m["To"] for m in mailbox] == ["known@example.test"]  # active accounts only
    assert ask(client, "not an address").status_code == 422


def test_reset_link_end_to_end(app, client, mailbox, user_factory):
    user_id, username = user_factory("Student", email="forgetful@example.test")
    with app.app_context():
        db.session.get(LmsUser, user_id).must_change_password = True
        db.session.commit()
        db.session.remove()
    ask(client, "forgetful@example.test")
    [message] = to(mailbox, "forgetful@example.test")
    assert message["Subject"] == "Reset your password"
    assert "60 minutes" in parts(message)[0]
    path = link_path(message, "reset-password")

    form = client.get(path)
    assert form.status_code == 200 and 'autocomplete="new-password"' in form.get_data(as_text=True)
    weak = client.post(path, data={"password": "short", "conf_password": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.get_data(as_text=True)
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "Passwords must match" in mismatch.get_data(as_text=True)

    done = client.post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login/")
    assert client.get("/my/learning").status_code == 302  # not signed in automatically
    assert not user(app, user_id)["must_change_password"]
    assert login(client, username, NEW_PASSWORD).headers["Location"] != "/login/"
    with app.app_context():
        action = lookup_id("audit_actions", "password_reset")
        rows = db.session.scalars(
            select(AuditLog).where(AuditLog.action_id == action, AuditLog.entity_id == user_id)
        ).all()
        assert len(rows) == 1
        db.session.remove()
    # The owner is told, and the link is dead now that the password changed.
    assert to(mailbox, "forgetful@example.test")[-1]["Subject"] == "Your password was changed"
    reused = client.get(path)
    assert reused.status_code == 400 and "used already" in reused.get_data(as_text=True)
    again = client.post(
        path, data={"password": "another-passphrase-1", "conf_password": "another-passphrase-1"}
    )
    assert again.status_code == 400


def test_forged_expired_and_other_users_links_are_refused(app, client, mailbox, user_factory, monkeypatch):
    alice_id, _ = user_factory("Student", email="alice-reset@example.test")
    bob_id, _ = user_factory("Student", email="bob-reset@example.test")
    ask(client, "alice-reset@example.test")
    path = link_path(to(mailbox, "alice-reset@example.test")[0], "reset-password")
    forged = client.get(path[:-4] + "AAAA")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    with app.app_context():
        alice = db.session.get(LmsUser, alice_id)
        # Alice's password fingerprint with Bob's id: the link works for its own account only.
        swapped = accounts._serializer(accounts.RESET_SALT).dumps(
            {"u": bob_id, "p": accounts.fingerprint(alice.password)}
        )
        db.session.remove()
    assert client.get(f"/reset-password/{swapped}").status_code == 400
    bob_before = user(app, bob_id)["password"]
    client.post(f"/reset-password/{swapped}", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert user(app, bob_id)["password"] == bob_before
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MINUTES", 0)
    time.sleep(1.1)
    expired = client.get(path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_requests_are_limited_per_ip(app, client, mailbox, monkeypatch, user_factory):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RATE_LIMIT", "2 per hour")
    user_factory("Student", email="limited@example.test")
    assert ask(client, "limited@example.test").status_code == 200
    assert ask(client, "nobody@example.test").status_code == 200
    refused = ask(client, "limited@example.test")
    assert refused.status_code == 429
    assert len(to(mailbox, "limited@example.test")) == 1
    # Another address (IP) has its own budget.
    other = client.post(
        "/forgot-password/", data={"email": "limited@example.test"}, headers={"X-Forwarded-For": "10.9.8.7"}
    )
    assert other.status_code == 200


def test_an_arabic_account_gets_an_arabic_reset_mail(app, client, mailbox, user_factory):
    user_factory("Student", email="arabic-reset@example.test", locale="ar")
    ask(client, "arabic-reset@example.test")
    [message] = to(mailbox, "arabic-reset@example.test")
    text, html = parts(message)
    assert message["Subject"] == "إعادة تعيين كلمة المرور"
    assert '<html lang="ar" dir="rtl">' in html and "اختر كلمة مرور جديدة" in html
    assert "/reset-password/" in text and "دقيقة" in text
