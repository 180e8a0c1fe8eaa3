"""Security defects found from outside (issue 11, item 8): each test failed before its fix."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.extensions import appbuilder, db
from app.media.browser import GuardedFileAdmin
from tests.assessment_factories import make_bank, make_question, make_quiz
from tests.billing_factories import make_plan
from tests.conftest import jwt_headers
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import PASSWORD, make_user
from tests.security.test_login import _fast_hashing, is_signed_in  # noqa: F401 (fixture)

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


# ---- 2. recruiters hold no learner permission; a recruiter who also learns holds both roles ------
@pytest.fixture
def learning_world(app):
    """A recruiter, a recruiter who is also a student, a free course with a quiz, a paid course, a plan."""
    with app.app_context():
        instructor = make_user("Instructor")
        recruiter = make_user("Recruiter")
        both = make_user("Recruiter")
        both.roles.append(appbuilder.sm.find_role("Student"))
        db.session.commit()
        free = make_course(instructors=[instructor], title="Free course")
        paid = make_course(instructors=[instructor], title="Paid course", price="20")
        bank = make_bank(instructor, free)
        quiz = make_quiz(free, questions=[make_question(bank)])
        plan = make_plan(trial_days=7)
        ids = {
            "instructor": instructor.username,
            "recruiter_id": recruiter.id,
            "both_id": both.id,
            "recruiter": recruiter.username,
            "both": both.username,
            "free": free.id,
            "free_slug": free.slug,
            "paid": paid.id,
            "paid_slug": paid.slug,
            "quiz": quiz.id,
            "plan": plan.id,
            "plan_code": plan.code,
        }
        db.session.remove()
    return ids


def learner_api_calls(client, headers, ids):
    """Status codes of enrol, start a quiz, subscribe and buy through the API, in that order."""
    return [
        client.post(f"/api/v1/course/{ids['free']}/enroll", json={}, headers=headers).status_code,
        client.post(f"/api/v1/quiz/{ids['quiz']}/start", headers=headers).status_code,
        client.post(f"/api/v1/plan/{ids['plan']}/subscribe", json={}, headers=headers).status_code,
        client.post(
            "/api/v1/payment/purchase",
            json={"course_id": ids["paid"], "provider": "sandbox"},
            headers=headers,
        ).status_code,
    ]


def learner_portal_calls(browser, ids):
    """Status codes of enrol, start a quiz, subscribe and buy through the portal, in that order."""
    return [
        browser.post(f"/courses/{ids['free_slug']}/enroll").status_code,
        browser.post(f"/quizzes/{ids['quiz']}/start").status_code,
        browser.post(f"/plans/{ids['plan_code']}/subscribe").status_code,
        browser.post(f"/courses/{ids['paid_slug']}/buy").status_code,
    ]


def test_recruiter_cannot_act_as_learner(app, learning_world):
    ids = learning_world
    client = app.test_client()
    headers = jwt_headers(client, ids["recruiter"])
    assert learner_api_calls(client, headers, ids) == [403, 403, 403, 403]
    browser = app.test_client()
    assert form_login(browser, ids["recruiter"]).status_code == 302
    assert learner_portal_calls(browser, ids) == [403, 403, 403, 403]
    # Their own profile stays theirs (in the portal: a recruiter-only account has no back-office screen).
    assert browser.get("/users/userinfo/").headers["Location"].endswith("/my/profile")
    assert browser.get("/my/profile").status_code == 200
    # Nor can staff enrol a recruiter-only account (a recruiter who also learns, yes).
    staff = jwt_headers(client, ids["instructor"])
    url = f"/api/v1/course/{ids['free']}/enroll"
    response = client.post(url, json={"user_id": ids["recruiter_id"]}, headers=staff)
    assert response.status_code == 422 and response.json["message"], response.json
    assert client.post(url, json={"user_id": ids["both_id"]}, headers=staff).status_code == 200


def test_recruiter_who_is_also_a_student_learns(app, learning_world):
    ids = learning_world
    client = app.test_client()
    headers = jwt_headers(client, ids["both"])
    statuses = learner_api_calls(client, headers, ids)
    assert statuses[0] == 200 and statuses[1] in (200, 201), statuses
    assert statuses[2] in (200, 201, 202) and statuses[3] in (200, 201, 202), statuses
    browser = app.test_client()
    assert form_login(browser, ids["both"]).status_code == 302
    statuses = learner_portal_calls(browser, ids)
    assert 403 not in statuses and all(code in (200, 302) for code in statuses), statuses


def learner_buttons(browser, ids):
    """Which learner buttons the portal shows: enrol (free course), buy (paid course), subscribe (plans)."""
    pages = [f"/courses/{ids['free_slug']}", f"/courses/{ids['paid_slug']}", "/plans/"]
    html = "".join(browser.get(url).get_data(as_text=True) for url in pages)
    return [
        marker for marker in ('id="enroll-button"', 'id="buy-button"', "subscribe-button") if marker in html
    ]


def test_portal_shows_learner_buttons_only_to_those_who_may_use_them(app, learning_world):
    ids = learning_world
    recruiter, both = app.test_client(), app.test_client()
    assert form_login(recruiter, ids["recruiter"]).status_code == 302
    assert form_login(both, ids["both"]).status_code == 302
    assert learner_buttons(recruiter, ids) == []  # the routes would answer 403
    assert learner_buttons(both, ids) == ['id="enroll-button"', 'id="buy-button"', "subscribe-button"]
    visitor = app.test_client()  # visitors are still invited to sign in and join
    assert learner_buttons(visitor, ids) == ['id="buy-button"', "subscribe-button"]  # sign-in links
    assert "Sign in to enrol" in visitor.get(f"/courses/{ids['free_slug']}").get_data(as_text=True)


# ---- 3. instructors read the audit trail of their courses, and nothing else ---------------------
def test_instructor_reads_audit_log_of_own_courses_only(app):
    with app.app_context():
        mine, other = make_user("Instructor"), make_user("Instructor")
        learner = make_user("Student")
        rows = {}
        for owner, key in ((mine, "mine"), (other, "theirs")):
            course = make_course(instructors=[owner])
            section = make_section(course)
            lesson = make_lesson(section)
            quiz = make_quiz(course, questions=[make_question(make_bank(owner, course))])
            enrollment = make_enrollment(learner, course)
            rows[key] = {
                ("course", course.id),
                ("course_section", section.id),
                ("lesson", lesson.id),
                ("quiz", quiz.id),
                ("enrollment", enrollment.id),
            }
        names = (mine.username, other.username, learner.username)
        db.session.remove()
    client = app.test_client()
    headers = jwt_headers(client, names[0])
    response = client.get("/api/v1/audit_log/?q=(page_size:100)", headers=headers)
    assert response.status_code == 200, response.json
    seen = {(row["entity_type"], row["entity_id"]) for row in response.json["result"]}
    assert rows["mine"] <= seen, rows["mine"] - seen
    assert not seen & rows["theirs"]
    assert {entity for entity, _ in seen} <= {
        "course",
        "course_section",
        "lesson",
        "quiz",
        "quiz_question",
        "question",
        "question_option",
        "question_bank",
        "enrollment",
    }, seen
    theirs_course = next(entity_id for entity, entity_id in rows["theirs"] if entity == "course")
    mine_course = next(entity_id for entity, entity_id in rows["mine"] if entity == "course")

    browser = app.test_client()
    assert form_login(browser, names[0]).status_code == 302
    page = browser.get("/auditlogmodelview/list/?psize_AuditLogModelView=100")
    assert page.status_code == 200
    assert browser.get(f"/auditlogmodelview/history/course/{mine_course}").status_code == 200
    assert browser.get(f"/auditlogmodelview/history/course/{theirs_course}").status_code == 404
    with app.app_context():
        theirs_entry = db.session.scalar(
            select(AuditLog.id).where(AuditLog.entity_type == "course", AuditLog.entity_id == theirs_course)
        )
        login_entry = db.session.scalar(select(AuditLog.id).where(AuditLog.entity_type == "user"))
        db.session.remove()
    for entry in (theirs_entry, login_entry):
        assert browser.get(f"/auditlogmodelview/show/{entry}").status_code == 404
        assert client.get(f"/api/v1/audit_log/{entry}", headers=headers).status_code == 404

    # Learners read no audit log (their own activity only, elsewhere).
    learner_headers = jwt_headers(client, names[2])
    assert client.get("/api/v1/audit_log/", headers=learner_headers).status_code == 403


# ---- 4. forged, malformed and expired tokens answer 401 with the error shape --------------------
def test_bad_tokens_answer_401(app, user_factory):
    import jwt as pyjwt
    from flask_jwt_extended import create_access_token

    user_id, _ = user_factory("Student")
    with app.app_context():
        expired = create_access_token(identity=str(user_id), expires_delta=timedelta(seconds=-60))
    forged = pyjwt.encode(
        {"sub": str(user_id), "type": "access", "fresh": False, "jti": "x", "iat": 0, "nbf": 0},
        "not-the-secret-key-at-all-but-long-enough",
        algorithm="HS256",
    )
    client = app.test_client()
    for token in (forged, expired, "not.a.token", "garbage"):
        response = client.get("/api/v1/my_activity/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (token, response.status_code, response.json)
        assert response.json["message"] and "errors" in response.json
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/my_activity/").status_code == 401


# ---- 5. the security API answers bad bodies and duplicates with a 4xx in the error shape ---------
SQL_MARKERS = ("psycopg2", "duplicate key", "violates", "INSERT", "UPDATE", "Fatal error")


def assert_error_shape(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True))
    body = response.json
    assert isinstance(body["message"], str) and body["message"] and isinstance(body["errors"], dict), body
    text = response.get_data(as_text=True)
    assert not any(marker in text for marker in SQL_MARKERS), text


def test_security_api_refuses_bad_bodies_and_duplicates(app, api_as, user_factory):
    headers = api_as("Admin")
    user_id, _ = user_factory("Student")
    client = app.test_client()
    text = {**headers, "Content-Type": "text/plain"}
    broken = {**headers, "Content-Type": "application/json"}
    users = "/api/v1/security/users/"
    assert_error_shape(client.post(users, data="hello", headers=text), (400,))
    assert_error_shape(client.post(users, data="{broken", headers=broken), (400,))
    assert_error_shape(client.post(users, json=[1, 2], headers=headers), (400,))
    assert_error_shape(client.put(f"{users}{user_id}", data="hello", headers=text), (400,))
    assert_error_shape(client.post("/api/v1/security/roles/", data="x", headers=text), (400,))

    roles = "/api/v1/security/roles/"
    assert_error_shape(client.post(roles, json={"name": "Student"}, headers=headers), (409,))
    created = client.post(roles, json={"name": "Reviewer"}, headers=headers)
    assert created.status_code == 201, created.json
    assert_error_shape(
        client.put(f"{roles}{created.json['id']}", json={"name": "Admin"}, headers=headers), (409,)
    )
    assert_error_shape(client.post(roles, json={"name": {"x": 1}}, headers=headers), (400, 422))
    assert_error_shape(
        client.post("/api/v1/security/resources/", json={"name": "Course"}, headers=headers), (409,)
    )
    assert_error_shape(
        client.post("/api/v1/security/permissions-resources/", json=existing_pair(app), headers=headers),
        (409,),
    )
    groups = "/api/v1/security/groups/"
    assert client.post(groups, json={"name": "Editors"}, headers=headers).status_code == 201
    assert_error_shape(client.post(groups, json={"name": "Editors"}, headers=headers), (409,))
    # The session is usable after each refusal.
    assert client.get(f"{users}{user_id}", headers=headers).status_code == 200


def existing_pair(app):
    """The permission and resource ids of a permission-resource pair that already exists."""
    with app.app_context():
        pair = appbuilder.sm.find_permission_view_menu("can_read", "Course")
        result = {"permission_id": pair.permission_id, "view_menu_id": pair.view_menu_id}
        db.session.remove()
    return result


# ---- 7. macro-enabled Office files are refused whatever their extension -------------------------
def office_zip(main: str, *, macros: bool) -> bytes:
    """A minimal OOXML package (docx, xlsx or pptx by its main folder), with a VBA project or not."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(f"{main}/document.xml", '<?xml version="1.0"?><document>Hello</document>')
        if macros:
            archive.writestr(f"{main}/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name" * 20)
    return buffer.getvalue()


def upload(client, headers, name, content, kind="attachment"):
    return client.post(
        "/api/v1/media/upload",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_macro_enabled_office_files_are_refused(app, api_as, media_config):
    headers = api_as("Student")
    client = app.test_client()
    for name, main in (("report.docx", "word"), ("sheet.xlsx", "xl"), ("slides.pptx", "ppt")):
        assert upload(client, headers, name, office_zip(main, macros=False)).status_code == 201, name
        response = upload(client, headers, name, office_zip(main, macros=True))
        assert response.status_code in (415, 422), (name, response.status_code, response.json)
        assert "macro" in response.json["message"].lower()
    # Hidden in a zip, as a member document.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside/report.docx", office_zip("word", macros=True))
    assert upload(client, headers, "bundle.zip", buffer.getvalue()).status_code in (415, 422)


# ---- 8. the CSP allows WebSockets to this site and the configured origins only -------------------
def test_csp_connect_src_allows_no_websocket_to_any_host(app, monkeypatch):
    client = app.test_client()

    def connect_src(response):
        policy = dict(
            part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
        )
        return policy["connect-src"].split()

    sources = connect_src(client.get("/login/"))
    assert "ws:" not in sources and "wss:" not in sources, sources
    assert "'self'" in sources and "ws://localhost" in sources, sources
    monkeypatch.setitem(app.config, "SOCKETIO_CORS_ALLOWED_ORIGINS", ["https://app.example.org"])
    sources = connect_src(client.get("/login/", base_url="https://localhost"))
    assert "wss://localhost" in sources and "wss://app.example.org" in sources, sources
    assert not [source for source in sources if source in ("ws:", "wss:", "*", "https:")]


def storage_browser_root(app) -> Path:
    """The folder the storage browser (Flask-Admin's FileAdmin) lists."""
    views = [view for admin in app.extensions["admin"] for view in admin._views]
    return Path(next(view for view in views if isinstance(view, GuardedFileAdmin)).get_base_path())


def test_storage_browser_has_no_inline_event_handlers(app, login_as):
    target = storage_browser_root(app) / "csp-check.txt"
    target.write_text("x", encoding="utf-8")
    try:
        html = login_as("Admin").get("/admin/files/local/").get_data(as_text=True)
    finally:
        target.unlink()
    assert "csp-check.txt" in html and 'data-action="delete"' in html  # the bulk delete is there
    assert not re.findall(r"\son[a-z]+\s*=", html), re.findall(r"\son[a-z]+\s*=[^>]*", html)
    assert "javascript:" not in html
    assert 'src="/static/js/storage_browser.js"' in html
    script = app.test_client().get("/static/js/storage_browser.js")
    assert script.status_code == 200 and "javascript" in script.content_type
    assert "addEventListener" in script.get_data(as_text=True)
