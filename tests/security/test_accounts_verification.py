"""Self-registration verifies the e-mail address: the mailed link, the banner and its "Resend" button,
and no buying or posting until verified. Every other way of making an account yields a verified one."""

from __future__ import annotations

import time

import pytest

from app.extensions import appbuilder, db
from app.security import accounts
from app.security.models import LmsUser
from tests.billing_factories import make_plan
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course
from tests.security.accounts_support import link_path, parts, to, user


def register(client, username, locale=None):
    """Sign up through the registration form (in Arabic with `locale="ar"`)."""
    if locale:
        client.get(f"/lang/{locale}")
    data = {
        "username": username,
        "first_name": "New",
        "last_name": "Learner",
        "email": f"{username}@example.com",
        "password": "a-long-enough-passphrase",
        "conf_password": "a-long-enough-passphrase",
    }
    response = client.post("/register/form", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.application.app_context():
        user_id = appbuilder.sm.find_user(username=username).id
        db.session.remove()
    return user_id


def test_accounts_made_any_other_way_start_verified(app, user_factory):
    user_id, _ = user_factory("Student")
    assert user(app, user_id)["verified"]


def test_registration_mails_a_link_that_verifies_the_address(app, client, mailbox):
    user_id = register(client, "verifyme")
    assert not user(app, user_id)["verified"]
    [message] = to(mailbox, "verifyme@example.com")
    assert message["Subject"] == "Confirm your e-mail address"
    text, html = parts(message)
    assert 'lang="en" dir="ltr"' in html and "Confirm my e-mail address" in html
    assert "48 hours" in text
    # The registration page now says to check the mail.
    page = client.get("/login/").get_data(as_text=True)
    assert "We have sent a link to verifyme@example.com" in page

    path = link_path(message, "verify-email")
    first = client.get(path)
    assert first.status_code == 200 and "your e-mail address is verified" in first.get_data(as_text=True)
    assert user(app, user_id)["verified"]
    again = client.get(path)  # idempotent
    assert again.status_code == 200 and "already verified" in again.get_data(as_text=True)


def test_an_arabic_learner_gets_the_mail_in_arabic(app, client, mailbox):
    user_id = register(client, "arabiclearner", locale="ar")
    [message] = to(mailbox, "arabiclearner@example.com")
    text, html = parts(message)
    assert message["Subject"] == "أكّد عنوان بريدك الإلكتروني"
    assert '<html lang="ar" dir="rtl">' in html and "مرحبًا" in html
    assert "مرحبًا" in text and "/verify-email/" in text
    with app.app_context():
        assert db.session.get(LmsUser, user_id).locale == "ar"  # the language of the sign-up
        db.session.remove()


def _token_for(app, user_id, salt_payload):
    with app.app_context():
        payload = salt_payload(db.session.get(LmsUser, user_id))
        token = accounts._serializer(accounts.VERIFY_SALT).dumps(payload)
        db.session.remove()
    return token


def test_bad_verification_links_are_refused_with_a_clear_page(app, client, mailbox, monkeypatch):
    user_id = register(client, "badlinks")
    path = link_path(to(mailbox, "badlinks@example.com")[0], "verify-email")
    forged = client.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    # A link for an address the account no longer uses.
    old = _token_for(app, user_id, lambda u: {"u": u.id, "e": accounts.fingerprint("previous@example.com")})
    refused = client.get(f"/verify-email/{old}")
    assert refused.status_code == 400 and "no longer on your account" in refused.get_data(as_text=True)
    # Another account's id with this address's fingerprint.
    other = _token_for(app, user_id, lambda u: {"u": u.id + 100000, "e": accounts.fingerprint(u.email)})
    assert client.get(f"/verify-email/{other}").status_code == 400
    # Expired.
    monkeypatch.setitem(app.config, "EMAIL_VERIFY_HOURS", 0)
    time.sleep(1.1)
    expired = client.get(path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert not user(app, user_id)["verified"]


def test_banner_and_resend_with_its_rate_limit(app, client, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RESEND_RATE_LIMIT", "2 per hour")
    register(client, "banner")
    assert login(client, "banner", "a-long-enough-passphrase").status_code == 302
    for page in ("/", "/admin/"):
        html = client.get(page, follow_redirects=True).get_data(as_text=True)
        assert "verify-banner" in html and "/verify-email/resend" in html, page
    for _ in range(2):
        sent = client.post("/verify-email/resend", data={"next": "/plans/"})
        assert sent.status_code == 302 and sent.headers["Location"].endswith("/plans/")
    assert len(to(mailbox, "banner@example.com")) == 3
    refused = client.post("/verify-email/resend", data={"next": "/plans/"})
    assert refused.status_code == 429 and "try again later" in refused.get_data(as_text=True)
    assert len(to(mailbox, "banner@example.com")) == 3
    # Verified: the banner goes.
    client.get(link_path(to(mailbox, "banner@example.com")[-1], "verify-email"))
    assert "verify-banner" not in client.get("/").get_data(as_text=True)


def test_verified_learners_have_no_banner(login_as):
    assert "verify-banner" not in login_as("Student").get("/").get_data(as_text=True)


@pytest.fixture
def shop(app):
    """A paid plan, a paid course and a listed course to comment on."""
    with app.app_context():
        from tests.factories import make_user

        teacher = make_user("Instructor")
        ids = {
            "plan": make_plan("verify-plan", price="10").id,
            "plan_code": "verify-plan",
            "course": make_course(instructors=[teacher], price="20").id,
        }
        db.session.remove()
    return ids


def test_unverified_learners_cannot_buy_or_post_until_verified(app, client, mailbox, shop):
    register(client, "shopper")
    headers = jwt_headers(app.test_client(), "shopper", "a-long-enough-passphrase")
    api = app.test_client()

    def attempts():
        return {
            "purchase": api.post(
                "/api/v1/payment/purchase", json={"course_id": shop["course"]}, headers=headers
            ),
            "subscribe": api.post(f"/api/v1/plan/{shop['plan']}/subscribe", headers=headers),
            "comment": api.post(
                "/api/v1/comment/",
                json={"target_type": "course", "target_id": shop["course"], "body": "Hello"},
                headers=headers,
            ),
        }

    for name, response in attempts().items():
        assert response.status_code == 403, (name, response.json)
        assert "verify your e-mail" in response.json["message"], name

    client.get(link_path(to(mailbox, "shopper@example.com")[0], "verify-email"))
    done = attempts()
    assert done["purchase"].status_code == 202, done["purchase"].json
    assert done["subscribe"].status_code in (200, 201, 202), done["subscribe"].json
    assert done["comment"].status_code == 201, done["comment"].json


def test_the_portal_flashes_the_refusal(app, client, mailbox, shop):
    register(client, "portalshopper")
    login(client, "portalshopper", "a-long-enough-passphrase")
    response = client.post(f"/plans/{shop['plan_code']}/subscribe", follow_redirects=True)
    assert "verify your e-mail" in response.get_data(as_text=True)


def test_notes_need_a_verified_address(app, ctx):
    from app.core.errors import Forbidden
    from app.courses.services import notes

    unverified = LmsUser(email_verified_at=None)
    unverified.id = 1
    with pytest.raises(Forbidden):
        notes.create_note(unverified, "course", 1, "text")
