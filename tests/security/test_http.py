"""Security of the HTTP layer: CSRF, headers, cookies, redirects, error bodies, production config."""

from __future__ import annotations

import importlib.util
import re
from urllib.parse import quote, urlparse

import pytest

import config
from app.extensions import db
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.factories import PASSWORD
from tests.security.test_login import _fast_hashing, is_signed_in, jwt_login  # noqa: F401 (fixture)

LEAKS = ("Traceback", "psycopg2", "IntegrityError", "INSERT", "SELECT", "sqlalchemy", 'File "')


def assert_no_leak(text: str) -> None:
    for marker in LEAKS:
        assert marker not in text, f"{marker!r} leaked to the user"


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no csrf_token field in the form"
    return match.group(1)


# ---- 6. rate limits --------------------------------------------------------------------------------
def test_form_login_is_throttled(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    _, username = user_factory("Student")
    browser = app.test_client()
    for _ in range(3):
        assert login(browser, username, "wrong-password-guess").status_code in (200, 302)
    response = login(browser, username)  # even the right password is refused now
    assert response.status_code == 429
    assert response.headers.get("Retry-After")
    assert "Traceback" not in response.get_data(as_text=True)
    assert not is_signed_in(browser)


def test_login_limit_ignores_spoofed_forwarded_for(app, user_factory, monkeypatch):
    """Only the hop added by the trusted proxy counts; what the client forges before it does not."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    _, username = user_factory("Student")
    client = app.test_client()
    statuses = []
    for n in range(4):
        forwarded = {"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.7"}  # forged, then the real client
        response = client.post("/login/", data={"username": username, "password": "guess"}, headers=forwarded)
        statuses.append(response.status_code)
    assert statuses[-1] == 429, f"a forged X-Forwarded-For reset the login limit: {statuses}"


def test_login_is_throttled_per_account_across_ips(app, user_factory, monkeypatch):
    """A guesser rotating addresses is still slowed down on the account it targets."""
    monkeypatch.setitem(app.config, "ACCOUNT_LOGIN_RATE_LIMIT", "3 per minute")
    _, target = user_factory("Student")
    _, bystander = user_factory("Student")
    client = app.test_client()
    statuses = [
        client.post(
            "/login/",
            data={"username": target, "password": "guess"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert statuses[-1] == 429, statuses
    # the same account through the API, and by its email address: the same counter
    api = client.post(
        "/api/v1/security/login",
        json={"username": f"{target}@example.test", "password": "guess", "provider": "db"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert api.status_code == 429 and api.is_json
    other = client.post("/login/", data={"username": bystander, "password": PASSWORD})
    assert other.status_code == 302  # other accounts are unaffected


def test_jwt_login_is_throttled(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    _, username = user_factory("Student")
    client = app.test_client()
    for _ in range(3):
        assert jwt_login(client, username, "wrong-password-guess").status_code == 401
    response = jwt_login(client, username)
    assert response.status_code == 429
    assert response.is_json and response.json["message"]
    assert "access_token" not in response.json


def test_api_is_throttled_per_user(app, user_factory, monkeypatch):
    _, first = user_factory("Student")
    _, second = user_factory("Student")
    first_headers = jwt_headers(app.test_client(), first)
    second_headers = jwt_headers(app.test_client(), second)
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "5 per minute")
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/v1/my_activity/", headers=first_headers).status_code == 200
    response = client.get("/api/v1/my_activity/", headers=first_headers)
    assert response.status_code == 429
    assert response.is_json and response.json["message"]
    # Same IP, another user: a separate counter.
    assert client.get("/api/v1/my_activity/", headers=second_headers).status_code == 200


# ---- 7. CSRF on forms ----------------------------------------------------------------------------
def test_login_form_requires_csrf_token(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _, username = user_factory("Student")
    browser = app.test_client()
    page = browser.get("/login/").get_data(as_text=True)
    token = csrf_token_of(page)

    response = login(browser, username)  # no csrf_token
    assert response.status_code == 400
    assert_no_leak(response.get_data(as_text=True))
    assert not is_signed_in(browser)

    response = browser.post(
        "/login/", data={"username": username, "password": PASSWORD, "csrf_token": "forged-token"}
    )
    assert response.status_code == 400
    assert not is_signed_in(browser)

    response = browser.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert is_signed_in(browser)


def test_back_office_post_requires_csrf_token(app, login_as, user_factory, monkeypatch):
    admin = login_as("Admin")
    user_id, _ = user_factory("Student")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = admin.post("/users/action_post", data={"action": "suspend_users", "rowid": str(user_id)})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(LmsUser, user_id).status_code == "active"
        db.session.remove()


def test_jwt_api_needs_no_csrf_token(app, user_factory, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _, username = user_factory("Admin")
    client = app.test_client()
    headers = jwt_headers(client, username)  # POST without a csrf token
    response = client.post(
        "/api/v1/lookup_type/", headers=headers, json={"code": "csrf_probe", "name_en": "x", "name_ar": "س"}
    )
    assert response.status_code == 201, response.json


# ---- 8. security headers -------------------------------------------------------------------------
def csp_nonce(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    match = re.search(r"script-src[^;]*'nonce-([A-Za-z0-9_-]+)'", csp)
    assert match, csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    return match.group(1)


def assert_basic_headers(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers["X-Request-ID"])


def test_security_headers_on_pages(app, login_as):
    admin = login_as("Admin")
    for url in ("/login/", "/admin/", "/users/list/"):
        client = admin if url != "/login/" else app.test_client()
        response = client.get(url)
        assert response.status_code == 200, url
        assert_basic_headers(response)
        nonce = csp_nonce(response)
        scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
        # The sign-in page runs no script at all; the back-office pages load FAB's with the nonce.
        assert scripts or url == "/login/", f"{url} has no script to check"
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, f"{url}: {tag} lacks the request's CSP nonce"
    # A fresh nonce per response.
    assert csp_nonce(app.test_client().get("/login/")) != csp_nonce(app.test_client().get("/login/"))


def test_security_headers_on_api(app, api_as):
    response = app.test_client().get("/api/v1/my_activity/", headers=api_as("Student"))
    assert response.status_code == 200
    assert_basic_headers(response)
    csp_nonce(response)


def test_request_id_is_echoed_only_when_well_formed(client):
    assert client.get("/login/", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    for bad in ("<script>alert(1)</script>", "x" * 65, "a b"):
        echoed = client.get("/login/", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


# ---- 9. cookies ----------------------------------------------------------------------------------
def session_cookie_header(response, app) -> str:
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_session_cookie_flags(app, user_factory, monkeypatch):
    _, username = user_factory("Student")
    cookie = session_cookie_header(login(app.test_client(), username), app)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the testing config runs on plain HTTP

    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    cookie = session_cookie_header(login(app.test_client(), username), app)
    assert "Secure" in cookie


def test_production_cookies_are_secure_by_default(monkeypatch):
    for name in ("SESSION_COOKIE_SECURE", "PREFERRED_URL_SCHEME"):
        monkeypatch.delenv(name, raising=False)
    # A fresh copy of config.py, evaluated with this environment (the imported one stays as it is).
    spec = importlib.util.spec_from_file_location("config_probe", config.__file__)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    production = probe.ProductionConfig
    assert production.SESSION_COOKIE_SECURE is True
    assert production.REMEMBER_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.PREFERRED_URL_SCHEME == "https"
    assert probe.TestingConfig.SESSION_COOKIE_SECURE is False


# ---- 10. safe redirects --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "https:/\\evil.example/",
        "/\\evil.example/",
        "\t//evil.example/",
        "javascript:alert(1)",
    ],
)
def test_login_next_never_leaves_the_site(app, user_factory, target):
    _, username = user_factory("Student")
    response = app.test_client().post(
        f"/login/?next={quote(target, safe='')}", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    as_browser_reads_it = location.replace("\\", "/").lstrip("\t\n ")
    assert urlparse(as_browser_reads_it).netloc in ("", "localhost"), location
    assert not as_browser_reads_it.startswith(("//", "javascript:")), location


def test_login_next_keeps_local_paths(app, user_factory):
    _, username = user_factory("Student")
    response = app.test_client().post(
        "/login/?next=/users/userinfo/", data={"username": username, "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/users/userinfo/")


# ---- 11. no stack trace or SQL reaches a user ------------------------------------------------------
def test_duplicate_code_gives_a_clean_api_error(app, api_as):
    response = app.test_client().post(
        "/api/v1/lookup_type/",
        headers=api_as("Admin"),
        json={"code": "user_status", "name_en": "x", "name_ar": "س"},
    )
    assert 400 <= response.status_code < 500
    assert response.is_json
    assert_no_leak(response.get_data(as_text=True))
    message = response.json["message"]
    assert "errors" in response.json
    assert message and message != "None", (
        "BUG (app/core/interface.py: `raise _safe_database_error() from None` wipes the cause "
        "that BaseModelRestApi.response shows): a duplicate code answers the message "
        f"{message!r} instead of saying that it conflicts with existing data"
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ('{"code": 5, "unknown": true}', "application/json"),
        ("code=x", "application/x-www-form-urlencoded"),
        ("\x00\xff garbage", "application/json"),
    ],
)
def test_bad_api_input_gives_400_or_422_json(app, api_as, body, content_type):
    headers = {**api_as("Admin"), "Content-Type": content_type}
    response = app.test_client().post("/api/v1/lookup_type/", headers=headers, data=body.encode())
    assert response.status_code in (400, 422)
    assert response.is_json and response.json["message"]
    assert_no_leak(response.get_data(as_text=True))


def test_bad_query_argument_gives_400_json(app, api_as):
    response = app.test_client().get("/api/v1/lookup_type/?q=(((garbage", headers=api_as("Admin"))
    assert response.status_code == 400
    assert response.is_json and response.json["message"]


def test_unknown_api_id_and_route_give_404_json(app, api_as):
    headers = api_as("Admin")
    client = app.test_client()
    for url in ("/api/v1/lookup_type/987654321", "/api/v1/no_such_resource/"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.is_json and response.json["message"], url
        assert "errors" in response.json, url


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer garbage.token.here", "Bearer", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_bad_token_gives_json_error(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/my_activity/", headers=headers)
    assert response.status_code in (401, 422)
    assert response.is_json
    assert response.json.get("message"), f"a JWT error body without `message`: {response.json}"
    assert "errors" in response.json


def test_expired_token_gives_401_json(app, user_factory):
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    user_id, _ = user_factory("Student")
    with app.test_request_context():
        token = create_access_token(str(user_id), expires_delta=timedelta(seconds=-5))
    response = app.test_client().get("/api/v1/my_activity/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["message"] and "errors" in response.json


def test_unknown_page_gives_404_page(client):
    response = client.get("/no/such/page/", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "<html" in text
    assert_no_leak(text)


def test_unexpected_error_gives_500_without_trace(app, monkeypatch):
    from app.core import views as core_views

    def explode(self):
        raise RuntimeError("secret internal detail SELECT password FROM ab_user")

    monkeypatch.setattr(core_views.AdminIndexView, "render_template", explode)
    client = app.test_client()
    for accept in ("text/html", "application/json"):
        response = client.get("/admin/", headers={"Accept": accept})
        assert response.status_code == 500
        text = response.get_data(as_text=True)
        assert "secret internal detail" not in text
        assert_no_leak(text)


# ---- 12. production refuses to start without secrets -----------------------------------------------
@pytest.mark.parametrize("missing", [("SECRET_KEY",), ("DATABASE_URL",), ("SECRET_KEY", "DATABASE_URL")])
def test_production_config_needs_secret_key_and_database(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/lms")
    for name in missing:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as excinfo:
        config.ProductionConfig.check()
    for name in missing:
        assert name in str(excinfo.value)


def test_production_config_starts_with_secrets(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/lms")
    config.ProductionConfig.check()


def test_csrf_exempt_api_ignores_the_session_cookie(app, login_as):
    admin = login_as("Admin")  # a signed-in browser, no JWT
    assert admin.get("/api/v1/security/roles/").status_code == 401
    assert admin.post("/api/v1/security/roles/", json={"name": "Intruder"}).status_code == 401
    assert admin.get("/api/v1/lookup/").status_code == 401


def test_creating_a_user_with_a_taken_name_is_a_409(app, client, user_factory, api_as):
    _, taken = user_factory("Student")
    headers = api_as("Admin")
    with app.app_context():
        from app.extensions import appbuilder

        student_role = appbuilder.sm.find_role("Student").id
    body = {
        "first_name": "Dup",
        "last_name": "Licate",
        "username": taken,
        "email": "someone.else@example.com",
        "password": "a long enough passphrase",
        "roles": [student_role],
        "active": True,
    }
    response = client.post("/api/v1/security/users/", json=body, headers=headers)
    assert response.status_code == 409 and "message" in response.json
