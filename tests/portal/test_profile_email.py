"""A learner changes their e-mail from My profile: confirmed at the new address, told at the old."""

from __future__ import annotations

from tests.conftest import login
from tests.security.accounts_support import link_path, to, user


def test_a_learner_changes_the_address_from_my_profile(app, mailbox, user_factory):
    user_id, username = user_factory("Student", email="old@example.test")
    browser = app.test_client()
    login(browser, username)
    response = browser.post("/my/profile/email", data={"new_email": "new@example.test"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/profile#email-change")
    assert user(app, user_id)["email"] == "old@example.test"
    assert user(app, user_id)["pending_email"] == "new@example.test"
    page = browser.get("/my/profile").get_data(as_text=True)
    assert "Waiting for confirmation: we sent a link to new@example.test" in page
    assert len(to(mailbox, "old@example.test")) == 1  # the notice
    (confirmation,) = to(mailbox, "new@example.test")
    assert browser.get(link_path(confirmation, "confirm-email")).status_code in (200, 302)
    assert user(app, user_id)["email"] == "new@example.test"


def test_a_refused_address_comes_back_with_the_form(app, mailbox, user_factory):
    user_factory("Student", email="taken@example.test")
    user_id, username = user_factory("Student", email="mine@example.test")
    browser = app.test_client()
    login(browser, username)
    taken = browser.post("/my/profile/email", data={"new_email": "taken@example.test"})
    assert taken.status_code == 409
    page = taken.get_data(as_text=True)
    assert "This e-mail address is already in use." in page and 'value="taken@example.test"' in page
    bad = browser.post("/my/profile/email", data={"new_email": "not an address"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert user(app, user_id)["pending_email"] is None
    assert mailbox == []
