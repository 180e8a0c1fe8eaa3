"""Security defects found from outside (issue 11, item 8): each test failed before its fix."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.test_security_login import _fast_hashing, is_signed_in  # noqa: F401 (fixture)

JWT_LOGIN = "/api/v1/security/login"


def form_login(client, username, password=PASSWORD, ip="198.51.100.1"):
    """POST the login form from a given client IP (the tests play the reverse proxy)."""
    return client.post(
        "/login/", data={"username": username, "password": password}, headers={"X-Forwarded-For": ip}
    )


def api_login(client, username, password=PASSWORD, ip="198.51.100.1"):
    """POST the JWT login from a given client IP."""
    return client.post(
        JWT_LOGIN,
        json={"username": username, "password": password, "provider": "db"},
        headers={"X-Forwarded-For": ip},
    )


# ---- 1. an attacker cannot lock the owner out of their account -----------------------------------
def test_owner_signs_in_from_known_device_while_attacker_is_throttled(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_LOGIN_RATE_LIMIT", "3 per minute")
    _, owner = user_factory("Student")
    device = app.test_client()
    assert form_login(device, owner, ip="198.51.100.1").status_code == 302  # the device becomes known
    device.get("/logout/")

    attacker = app.test_client()
    statuses = [
        form_login(attacker, owner, "guess-guess-guess", ip=f"203.0.113.{n}").status_code for n in range(4)
    ]
    assert statuses[-1] == 429, statuses
    # The attacker stays throttled, even with the right password, through the form and the API.
    assert form_login(attacker, owner, ip="203.0.113.50").status_code == 429
    assert api_login(attacker, owner, ip="203.0.113.51").status_code == 429

    # The owner's browser (known-device cookie) signs in from a new network.
    response = form_login(device, owner, ip="192.0.2.77")
    assert response.status_code == 302, response.status_code
    assert is_signed_in(device)
    # An API client with no cookie, from an address the owner signed in from before.
    response = api_login(app.test_client(), owner, ip="198.51.100.1")
    assert response.status_code == 200, response.json
    # A known device still needs the right password.
    device.get("/logout/")
    assert form_login(device, owner, "guess-guess-guess", ip="192.0.2.77").status_code != 429
    assert not is_signed_in(device)


def test_known_device_cookie_is_signed_and_per_account(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_LOGIN_RATE_LIMIT", "2 per minute")
    _, owner = user_factory("Student")
    _, other = user_factory("Student")
    device = app.test_client()
    assert form_login(device, other, ip="198.51.100.9").status_code == 302  # known for `other` only
    device.get("/logout/")
    for n in range(3):
        form_login(app.test_client(), owner, "guess-guess-guess", ip=f"203.0.113.{n}")
    assert form_login(device, owner, ip="192.0.2.1").status_code == 429
    forged = app.test_client()
    forged.set_cookie("lms_known_device", "forged-value")
    assert form_login(forged, owner, ip="192.0.2.2").status_code == 429


def test_form_and_api_logins_share_one_ip_budget(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "4 per minute")
    _, username = user_factory("Student")
    client = app.test_client()
    assert form_login(client, username, "guess-guess-guess").status_code == 302  # back to the form
    assert form_login(client, username, "guess-guess-guess").status_code == 302
    assert api_login(client, username, "guess-guess-guess").status_code == 401
    assert api_login(client, username, "guess-guess-guess").status_code == 401
    assert form_login(client, username).status_code == 429
    response = api_login(client, username)
    assert response.status_code == 429
    assert response.json["message"] and "access_token" not in response.json
    # Another address keeps its own budget.
    assert api_login(client, username, ip="198.51.100.2").status_code == 200
