"""Referrals: unguessable codes made on first need; visits with `?ref=` become touches (not bots, not
the sharer, not unknown codes; repeats in a short window are one); sign-up -> enrolment -> purchase
through the real pages are credited to the first and the last touch; the attribution window;
self-referral ignored; conversions recorded once; joined_count; figures per sharer and per course
with their role rules and a CSV whose formulas are neutralised."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.core.models import utcnow
from app.engagement import services
from app.engagement.models import ReferralConversion, ReferralTouch
from app.extensions import db
from app.security.models import LmsUser
from tests.conftest import RUN_ID, jwt_headers, login
from tests.course_factories import make_course
from tests.factories import make_user
from tests.portal.test_player_queries import captured
from tests.portal_helpers import page_text

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
FIGURES = "/api/v1/referral/figures"


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = BROWSER
    return client


def touches(**where: Any) -> int:
    query = select(func.count(ReferralTouch.id))
    for key, value in where.items():
        query = query.where(getattr(ReferralTouch, key) == value)
    return int(db.session.scalar(query) or 0)


def conversions(user_id: int) -> dict[str, ReferralConversion]:
    rows = db.session.scalars(select(ReferralConversion).where(ReferralConversion.user_id == user_id))
    found: dict[str, ReferralConversion] = {}
    for row in rows:
        assert row.kind not in found or row.kind == "enrollment"
        found[row.kind if row.kind not in found else f"{row.kind}2"] = row
    return found


def sharer_with_code(app: Flask, **fields: Any) -> tuple[int, str, str]:
    """A student with a referral code: (id, username, code)."""
    with app.app_context():
        user = make_user("Student", **fields)
        code = services.referral_code(user)
        db.session.commit()
        result = (user.id, user.username, code)
        db.session.remove()
    assert code is not None
    return result


# ---- codes ----------------------------------------------------------------------------------------
def test_codes_are_made_once_unguessable_and_unknown_codes_are_nobody(app, ctx):
    user = make_user("Student")
    code = services.referral_code(user)
    assert code is not None and re.fullmatch(r"[A-Za-z0-9_-]{32}", code)  # 192 random bits
    assert services.referral_code(user) == code
    assert services.referral_code(make_user("Student")) != code
    assert services.referral_code(None) is None
    assert services.sharer_of(code) == user.id
    for wrong in (
        "",
        "x",
        code[:-1] + ("A" if code[-1] != "A" else "B"),
        code + "A",
        "' OR 1=1 --",
        None,
        42,
    ):
        assert services.sharer_of(wrong) is None
    assert services.with_code("https://lms.test/courses/py?ref=old&a=1", code) == (
        f"https://lms.test/courses/py?a=1&ref={code}"
    )


# ---- touches --------------------------------------------------------------------------------------
def test_touches_skip_the_sharer_and_repeats_within_the_short_window(app, ctx):
    sharer, other = make_user("Student"), make_user("Student")
    assert services.record_touch(sharer.id, visitor_id="v" * 22, user_id=sharer.id) is None
    first = services.record_touch(sharer.id, visitor_id="v" * 22)
    assert first is not None
    assert services.record_touch(sharer.id, visitor_id="v" * 22) is None  # same visitor, same sharer
    assert services.record_touch(other.id, visitor_id="v" * 22) is not None  # another sharer's link
    later = utcnow() + timedelta(hours=2)
    assert services.record_touch(sharer.id, visitor_id="v" * 22, at=later) is not None


def test_course_visits_with_ref_record_touches_except_bots_unknown_codes_and_the_sharer(app):
    sharer_id, sharer_name, code = sharer_with_code(app)
    with app.app_context():
        course = make_course(title="Python")
        slug, course_id = course.slug, course.id
        db.session.remove()
    visitor = browser(app)
    assert visitor.get(f"/courses/{slug}?ref={code}").status_code == 200
    assert visitor.get(f"/courses/{slug}?ref={code}").status_code == 200  # a reload: one touch
    assert visitor.get(f"/courses/{slug}?ref=not-a-code").status_code == 200
    assert visitor.get(f"/courses/{slug}?ref={'A' * 32}").status_code == 200
    bot = app.test_client()
    bot.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (compatible; Googlebot/2.1)"
    assert bot.get(f"/courses/{slug}?ref={code}").status_code == 200
    himself = browser(app)
    login(himself, sharer_name)
    assert himself.get(f"/courses/{slug}?ref={code}").status_code == 200
    elsewhere = browser(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.20"  # one IP address makes one anonymous touch
    assert elsewhere.get(f"/?ref={code}").status_code == 200  # another visitor, no target
    with app.app_context():
        assert touches(sharer_id=sharer_id) == 2
        assert touches(sharer_id=sharer_id, target_type="course", target_id=course_id) == 1
        assert touches(sharer_id=sharer_id, user_id=sharer_id) == 0
        db.session.remove()


# ---- conversions ----------------------------------------------------------------------------------
def test_conversions_take_first_and_last_touch_in_the_window_and_are_recorded_once(app, ctx):
    alice, bob, learner = make_user("Student"), make_user("Student"), make_user("Student")
    course = make_course()
    now = utcnow()
    assert (
        services.record_conversion(learner.id, "signup", None, None, source_key="user:x") is None
    )  # no touch
    db.session.add_all(
        [
            ReferralTouch(
                sharer_id=bob.id, user_id=learner.id, touched_at=now - timedelta(days=45)
            ),  # too old
            ReferralTouch(sharer_id=alice.id, user_id=learner.id, touched_at=now - timedelta(days=20)),
            ReferralTouch(sharer_id=bob.id, user_id=learner.id, touched_at=now - timedelta(days=2)),
            ReferralTouch(
                sharer_id=learner.id, user_id=learner.id, touched_at=now - timedelta(hours=1)
            ),  # self
        ]
    )
    db.session.flush()
    row = services.record_conversion(
        learner.id, "enrollment", "course", course.id, source_key="enrollment:1", at=now
    )
    assert row is not None
    assert (row.first_sharer_id, row.last_sharer_id) == (alice.id, bob.id)
    assert (
        services.record_conversion(
            learner.id, "enrollment", "course", course.id, source_key="enrollment:1", at=now
        )
        is None
    )  # a retried signal
    assert services.share_summary("course", [course.id])[course.id] == (0, 1)
    # A second enrolment row in the same course (another source) is not a second learner who joined.
    services.record_conversion(learner.id, "enrollment", "course", course.id, source_key="enrollment:2")
    assert services.share_summary("course", [course.id])[course.id] == (0, 1)
    count = select(func.count(ReferralConversion.id)).where(ReferralConversion.user_id == learner.id)
    assert db.session.scalar(count) == 2


def test_the_window_is_a_setting_and_self_referral_alone_converts_nothing(app, ctx, monkeypatch):
    sharer, learner = make_user("Student"), make_user("Student")
    now = utcnow()
    db.session.add(
        ReferralTouch(sharer_id=sharer.id, user_id=learner.id, touched_at=now - timedelta(days=10))
    )
    db.session.add(ReferralTouch(sharer_id=learner.id, user_id=learner.id, touched_at=now))
    db.session.flush()
    monkeypatch.setitem(app.config, "REFERRAL_WINDOW_DAYS", 5)
    assert services.record_conversion(learner.id, "signup", None, None, source_key="user:w") is None
    monkeypatch.setitem(app.config, "REFERRAL_WINDOW_DAYS", 30)
    row = services.record_conversion(learner.id, "signup", None, None, source_key="user:w")
    assert row is not None and row.first_sharer_id == row.last_sharer_id == sharer.id


# ---- the whole path through the pages -------------------------------------------------------------
def test_anonymous_visits_from_one_address_are_one_touch_whatever_their_cookies(app):
    """A client dropping or inventing its visitor cookie on every request gets no new touch per
    request: the address counts once per sharer within the window (Redis SET NX EX)."""
    from redis import Redis

    assert app.config["REDIS_URL"]
    sharer_id, _name, code = sharer_with_code(app)
    other_id, _other_name, other_code = sharer_with_code(app)
    with app.app_context():
        slug = make_course(title="Flooded").slug
        reader_name = make_user("Student").username
        db.session.remove()
    address = {"X-Forwarded-For": "203.0.113.9"}
    for n in range(5):
        flood = browser(app)  # a new client: no cookie, a new visitor id each time
        if n % 2:
            flood.set_cookie("lms_vid", f"{n:022d}")  # or an invented one
        assert flood.get(f"/courses/{slug}?ref={code}", headers=address).status_code == 200
    assert browser(app).get(f"/courses/{slug}?ref={other_code}", headers=address).status_code == 200
    other_address = {"X-Forwarded-For": "203.0.113.10"}
    assert browser(app).get(f"/courses/{slug}?ref={code}", headers=other_address).status_code == 200
    reader = browser(app)
    login(reader, reader_name)  # signed in: counted by their account, not by address
    assert reader.get(f"/courses/{slug}?ref={code}", headers=address).status_code == 200
    with app.app_context():
        assert touches(sharer_id=sharer_id) == 3  # the flood's first, the other address, the reader
        assert touches(sharer_id=other_id) == 1  # another sharer's link from that address
        db.session.remove()
    redis = Redis.from_url(app.config["REDIS_URL"])
    prefix = app.config["REFERRAL_KEY_PREFIX"]
    assert prefix.endswith(f"test{RUN_ID}")  # this run's keys, cleaned before each test
    assert 0 < redis.ttl(f"{prefix}:touch:{sharer_id}:203.0.113.9") <= 30 * 60
    redis.delete(*redis.scan_iter(f"{prefix}:*"))


def _sign_up(client: FlaskClient, username: str) -> int:
    data = {
        "username": username,
        "first_name": "New",
        "last_name": "Learner",
        "email": f"{username}@example.com",
        "password": "a-long-enough-passphrase",
        "conf_password": "a-long-enough-passphrase",
    }
    assert client.post("/register/form", data=data).status_code == 302
    with client.application.app_context():
        user_id = db.session.scalar(select(LmsUser.id).where(LmsUser.username == username))
        db.session.remove()
    assert user_id is not None
    return int(user_id)


def test_a_second_account_in_the_sharers_browser_is_not_credited_to_them(app):
    """The sharer opens their own link signed out, signs in, signs out; another account signed up in
    that browser is not theirs (their anonymous touch is deleted at sign-in, not bound to them)."""
    sharer_id, sharer_name, code = sharer_with_code(app)
    with app.app_context():
        slug = make_course(title="Mine to share").slug
        db.session.remove()
    shared_browser = browser(app)
    assert shared_browser.get(f"/courses/{slug}?ref={code}").status_code == 200
    with app.app_context():
        assert touches(sharer_id=sharer_id) == 1  # nobody knows yet whose browser this is
        db.session.remove()
    login(shared_browser, sharer_name)
    shared_browser.get("/logout/")
    second = _sign_up(shared_browser, "second1")
    with app.app_context():
        assert conversions(second) == {}
        assert touches(sharer_id=sharer_id) == 0
        assert services.my_results(db.session.get(LmsUser, sharer_id)).visits == 0
        db.session.remove()


def test_a_browser_tied_to_the_sharer_makes_no_touch_of_their_links(app):
    """The sharer followed someone else's link signed out, then signed in (that touch is bound to
    them): later anonymous visits of the sharer's own links in that browser are no touch, and another
    account signing up there inherits neither touch."""
    alice_id, _alice_name, alice_code = sharer_with_code(app)
    sharer_id, sharer_name, code = sharer_with_code(app)
    with app.app_context():
        slug = make_course(title="Twice shared").slug
        db.session.remove()
    shared_browser = browser(app)
    assert shared_browser.get(f"/courses/{slug}?ref={alice_code}").status_code == 200
    login(shared_browser, sharer_name)
    shared_browser.get("/logout/")
    assert shared_browser.get(f"/courses/{slug}?ref={code}").status_code == 200
    with app.app_context():
        assert touches(sharer_id=alice_id, user_id=sharer_id) == 1  # bound at sign-in
        assert touches(sharer_id=sharer_id) == 0  # the sharer's own browser
        db.session.remove()
    second = _sign_up(shared_browser, "second2")
    with app.app_context():
        assert conversions(second) == {}  # Alice's touch is the sharer's, not the new account's
        db.session.remove()


def test_conversions_see_only_anonymous_touches_of_the_browser(app, ctx):
    sharer, owner, newcomer = make_user("Student"), make_user("Student"), make_user("Student")
    visitor = "w" * 22
    db.session.add(ReferralTouch(sharer_id=sharer.id, visitor_id=visitor, user_id=owner.id))
    db.session.flush()
    none = services.record_conversion(newcomer.id, "signup", None, None, source_key="s:1", visitor_id=visitor)
    assert none is None  # bound to someone else: not the newcomer's
    services.record_touch(sharer.id, visitor_id="x" * 22)
    made = services.record_conversion(
        newcomer.id, "signup", None, None, source_key="s:2", visitor_id="x" * 22
    )
    assert made is not None and made.first_sharer_id == sharer.id


def _checkout(client: FlaskClient, location: str) -> str:
    """Press Pay on the sandbox checkout page."""
    assert "/billing/sandbox/checkout/" in location, location
    page = page_text(client.get(location))
    form = re.search(r'<form method="post" action="([^"]+)"', page)
    assert form, page
    assert client.post(form.group(1), data={"action": "pay"}).status_code == 302
    return page


def test_sign_up_enrol_and_buy_through_two_sharers_links(app):
    alice_id, alice_name, alice_code = sharer_with_code(app, first_name="Alice")
    bob_id, bob_name, bob_code = sharer_with_code(app, first_name="Bob")
    with app.app_context():
        teacher = make_user("Instructor")
        free = make_course(title="Free Python", instructors=[teacher])
        paid = make_course(title="Paid Python", price="49.99", included_in_subscription=False)
        course = {"free": (free.slug, free.id), "paid": (paid.slug, paid.id)}
        db.session.remove()
    visitor = browser(app)
    assert visitor.get(f"/courses/{course['free'][0]}?ref={alice_code}").status_code == 200
    assert visitor.get(f"/courses/{course['paid'][0]}?ref={bob_code}").status_code == 200
    data = {
        "username": "referred1",
        "first_name": "New",
        "last_name": "Learner",
        "email": "referred1@example.com",
        "password": "a-long-enough-passphrase",
        "conf_password": "a-long-enough-passphrase",
    }
    assert visitor.post("/register/form", data=data).status_code == 302
    with app.app_context():
        learner = db.session.scalar(select(LmsUser).where(LmsUser.username == "referred1"))
        learner.email_verified_at = utcnow()  # the mailed link, opened
        db.session.commit()
        learner_id = learner.id
        assert touches(user_id=learner_id) == 2  # the browser's visits became the new user's
        signup = conversions(learner_id)["signup"]
        assert (signup.first_sharer_id, signup.last_sharer_id) == (alice_id, bob_id)
        db.session.remove()
    login(visitor, "referred1", "a-long-enough-passphrase")
    enrolled = visitor.post(f"/courses/{course['free'][0]}/enroll")
    assert enrolled.status_code == 302
    bought = visitor.post(f"/courses/{course['paid'][0]}/buy")
    _checkout(visitor, bought.headers["Location"])
    with app.app_context():
        found = conversions(learner_id)
        assert set(found) == {"signup", "enrollment", "enrollment2", "purchase"}
        for row in found.values():
            assert (row.first_sharer_id, row.last_sharer_id) == (alice_id, bob_id)
        purchase = found["purchase"]
        assert (purchase.target_id, purchase.amount, purchase.currency) == (
            course["paid"][1],
            Decimal("49.99"),
            "USD",
        )
        # joined through shares: one learner in each course; retried signals add nothing.
        summary = services.share_summary("course", [course["free"][1], course["paid"][1]])
        assert summary[course["free"][1]] == (0, 1) and summary[course["paid"][1]] == (0, 1)
        again = services.record_conversion(
            learner_id,
            "purchase",
            "course",
            course["paid"][1],
            source_key=f"payment:{purchase.source_key.split(':')[1]}",
        )
        assert again is None
        db.session.rollback()
        db.session.remove()
    # Each sharer sees the attribution on their referrals page.
    for name in (alice_name, bob_name):
        sharer = browser(app)
        login(sharer, name)
        page = sharer.get("/my/referrals").get_data(as_text=True)
        assert re.search(r'data-result="signups">1<', page), page
        assert re.search(r'data-result="enrollments">2<', page)
        assert re.search(r'data-result="purchases">1<', page)
        assert re.search(r'data-result="visits">1<', page)
    # Figures: last touch credits Bob, first touch Alice.
    with app.app_context():
        admin = make_user("Admin")
        admin_name = admin.username
        db.session.remove()
    auth = jwt_headers(app.test_client(), admin_name)
    last = app.test_client().get(FIGURES + "?by=sharer&model=last", headers=auth).get_json()["result"]
    first = app.test_client().get(FIGURES + "?by=sharer&model=first", headers=auth).get_json()["result"]
    by_id = {row["id"]: row for row in last}
    assert by_id[bob_id]["purchases"] == 1 and by_id[bob_id]["revenue"] == {"USD": "49.99"}
    assert by_id[alice_id]["purchases"] == 0 and by_id[alice_id]["visits"] == 1
    assert {row["id"]: row["purchases"] for row in first}[alice_id] == 1
    per_course = app.test_client().get(FIGURES + "?by=course", headers=auth).get_json()["result"]
    assert {row["id"]: row["enrollments"] for row in per_course}[course["paid"][1]] == 1


# ---- figures: who may read them, CSV --------------------------------------------------------------
def test_figures_rules_learners_refused_instructors_see_their_courses_only(app):
    with app.app_context():
        teacher, other_teacher = make_user("Instructor"), make_user("Instructor")
        mine = make_course(instructors=[teacher], title="Mine")
        theirs = make_course(instructors=[other_teacher], title="Theirs")
        sharer, learner = make_user("Student"), make_user("Student")
        for course in (mine, theirs):
            db.session.add(
                ReferralTouch(
                    sharer_id=sharer.id, user_id=learner.id, target_type="course", target_id=course.id
                )
            )
        db.session.flush()
        for course in (mine, theirs):
            services.record_conversion(
                learner.id, "enrollment", "course", course.id, source_key=f"e:{course.id}"
            )
        services.record_conversion(learner.id, "signup", None, None, source_key=f"user:{learner.id}")
        db.session.commit()
        names = {"teacher": teacher.username, "learner": learner.username}
        ids = {"mine": mine.id, "theirs": theirs.id, "sharer": sharer.id}
        db.session.remove()
    client = app.test_client()
    assert client.get(FIGURES, headers=jwt_headers(client, names["learner"])).status_code == 403
    auth = jwt_headers(client, names["teacher"])
    rows = client.get(FIGURES + "?by=course", headers=auth).get_json()["result"]
    assert [row["id"] for row in rows] == [ids["mine"]]
    rows = client.get(FIGURES + "?by=sharer", headers=auth).get_json()["result"]
    assert [(r["id"], r["enrollments"], r["signups"]) for r in rows] == [(ids["sharer"], 1, 0)]
    assert client.get(FIGURES + "?by=everyone", headers=auth).status_code == 422
    assert client.get(FIGURES + "?start=yesterday", headers=auth).status_code == 422
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    assert client.get(FIGURES + f"?by=course&start={future}", headers=auth).get_json()["result"] == []
    # The back-office page: learners refused, the instructor sees only their course.
    page_client = app.test_client()
    login(page_client, names["learner"])
    assert page_client.get("/referralfigures/").status_code in (302, 403)
    teacher_client = app.test_client()
    login(teacher_client, names["teacher"])
    page = teacher_client.get("/referralfigures/").get_data(as_text=True)
    assert "Mine" in page and "Theirs" not in page


def test_figures_csv_neutralises_formulas(app):
    with app.app_context():
        sharer = make_user("Student", first_name='=HYPERLINK("http://evil.test")', last_name="-2+3")
        learner = make_user("Student")
        db.session.add(ReferralTouch(sharer_id=sharer.id, user_id=learner.id))
        db.session.flush()
        services.record_conversion(learner.id, "signup", None, None, source_key=f"user:{learner.id}")
        db.session.commit()
        admin_name = make_user("Admin").username
        db.session.remove()
    client = app.test_client()
    login(client, admin_name)
    response = client.get("/referralfigures/csv/sharer?model=first")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Sharer"
    labels = [row[0] for row in rows[1:]]
    assert any(label.startswith("'=HYPERLINK") for label in labels), labels
    assert not any(label.startswith("=") for label in labels)
    assert client.get("/referralfigures/csv/course").status_code == 200


@pytest.mark.parametrize("kind", ["signup", "enrollment", "purchase"])
def test_my_referral_totals_count_first_or_last_touch(app, ctx, kind):
    sharer, learner = make_user("Student"), make_user("Student")
    db.session.add(ReferralTouch(sharer_id=sharer.id, user_id=learner.id))
    db.session.flush()
    services.record_conversion(learner.id, kind, None, None, source_key=f"{kind}:1")
    results = services.my_results(sharer)
    assert results.visits == 1
    assert (results.signups, results.enrollments, results.purchases) == (
        int(kind == "signup"),
        int(kind == "enrollment"),
        int(kind == "purchase"),
    )


def test_an_enrolment_granted_by_staff_is_not_a_conversion(app, ctx):
    from app.courses.services.enrollment import enroll_by_instructor, enroll_student

    teacher, sharer, learner = make_user("Instructor"), make_user("Student"), make_user("Student")
    granted, joined = make_course(instructors=[teacher]), make_course(instructors=[teacher])
    db.session.add(ReferralTouch(sharer_id=sharer.id, user_id=learner.id))
    db.session.flush()
    enroll_by_instructor(granted, learner, teacher)
    enroll_student(learner, joined)
    rows = db.session.scalars(
        select(ReferralConversion).where(ReferralConversion.user_id == learner.id)
    ).all()
    assert [(r.kind, r.target_id) for r in rows] == [("enrollment", joined.id)]
    assert services.share_summary("course", [granted.id, joined.id]) == {
        granted.id: (0, 0),
        joined.id: (0, 1),
    }


def test_back_office_lists_conversions_read_only(app):
    with app.app_context():
        teacher = make_user("Instructor")
        mine, theirs = make_course(instructors=[teacher], title="Mine"), make_course(title="Theirs")
        sharer = make_user("Student", first_name="Samira")
        learner = make_user("Student", first_name="Lina")
        db.session.add(ReferralTouch(sharer_id=sharer.id, user_id=learner.id))
        db.session.flush()
        made = [
            services.record_conversion(learner.id, "enrollment", "course", c.id, source_key=f"e:{c.id}")
            for c in (mine, theirs)
        ]
        db.session.commit()
        ids = [row.id for row in made if row is not None]
        names = (make_user("Admin").username, teacher.username, sharer.username)
        db.session.remove()
    admin = app.test_client()
    login(admin, names[0])
    listing = admin.get("/referralconversionmodelview/list/")
    assert listing.status_code == 200 and names[2] in listing.get_data(as_text=True)
    assert admin.get(f"/referralconversionmodelview/show/{ids[1]}").status_code == 200
    assert admin.get("/referralconversionmodelview/add").status_code in (302, 403, 404, 405)
    assert admin.get("/referralfigures/?start=2020-01-01&model=first").status_code == 200
    admin.get("/lang/ar")
    assert "أرقام الإحالات" in admin.get("/referralfigures/").get_data(as_text=True)
    teacher_client = app.test_client()
    login(teacher_client, names[1])
    assert teacher_client.get(f"/referralconversionmodelview/show/{ids[0]}").status_code == 200
    assert teacher_client.get(f"/referralconversionmodelview/show/{ids[1]}").status_code in (302, 404)


def test_the_conversion_list_hides_others_purchases_and_invisible_targets(app):
    """A sharer sees that someone bought, not what they paid, and nothing about a target they may not
    see; the item's staff and admins see the amount."""
    with app.app_context():
        teacher = make_user("Instructor")
        public = make_course(instructors=[teacher], title="Open", price="49.99")
        private = make_course(visibility="private", title="Closed", price="99.00")
        sharer, learner = make_user("Student"), make_user("Student")
        db.session.add(ReferralTouch(sharer_id=sharer.id, user_id=learner.id))
        db.session.flush()
        for n, course in enumerate((public, private)):
            services.record_conversion(
                learner.id,
                "purchase",
                "course",
                course.id,
                source_key=f"payment:{n}",
                amount=Decimal(str(course.price)),
                currency="USD",
            )
        db.session.commit()
        ids = {"public": public.id, "private": private.id}
        names = {"sharer": sharer.username, "teacher": teacher.username, "admin": make_user("Admin").username}
        db.session.remove()
    client = app.test_client()

    def listed(name: str) -> dict[Any, dict[str, Any]]:
        rows = client.get("/api/v1/referral/", headers=jwt_headers(client, name)).get_json()["result"]
        return {row["target_id"]: row for row in rows}

    mine = listed(names["sharer"])
    assert set(mine) == {ids["public"], None}  # the private course is blanked
    assert mine[ids["public"]]["amount"] is None and mine[ids["public"]]["currency"] is None
    assert mine[None]["target_type"] is None and mine[None]["amount"] is None
    # The admin sees every amount (through their own list: here, credit the admin's shares too).
    with app.app_context():
        admin = db.session.scalar(select(LmsUser).where(LmsUser.username == names["admin"]))
        teacher = db.session.scalar(select(LmsUser).where(LmsUser.username == names["teacher"]))
        for person in (admin, teacher):
            rows = db.session.scalars(select(ReferralConversion)).all()
            for row in rows:
                if row.target_id in ids.values():
                    db.session.add(
                        ReferralConversion(
                            user_id=row.user_id,
                            kind="purchase",
                            source_key=f"copy:{person.id}:{row.id}",
                            target_type="course",
                            target_id=row.target_id,
                            amount=row.amount,
                            currency=row.currency,
                            first_sharer_id=person.id,
                            last_sharer_id=person.id,
                            first_touch_id=row.first_touch_id,
                            last_touch_id=row.last_touch_id,
                            converted_at=row.converted_at,
                        )
                    )
        db.session.commit()
        db.session.remove()
    everything = listed(names["admin"])
    assert everything[ids["private"]]["amount"] == "99.00" and everything[ids["public"]]["currency"] == "USD"
    staff = listed(names["teacher"])
    assert staff[ids["public"]]["amount"] == "49.99"  # their course
    assert ids["private"] not in staff


def test_course_figures_name_all_courses_in_one_statement(app, ctx):
    admin_id, sharer_id = make_user("Admin").id, make_user("Student").id

    def credit(courses: int) -> int:
        for _n in range(courses):
            course = make_course(title="Counted")
            learner = make_user("Student")
            db.session.add(
                ReferralTouch(
                    sharer_id=sharer_id, user_id=learner.id, target_type="course", target_id=course.id
                )
            )
            db.session.flush()
            services.record_conversion(
                learner.id, "enrollment", "course", course.id, source_key=f"e:{course.id}"
            )
        db.session.flush()
        db.session.expunge_all()
        with captured(app) as statements:
            rows = services.figures(db.session.get(LmsUser, admin_id), "course", "last", None, None)
        assert all(row.label == "Counted" for row in rows)
        return len(statements)

    assert credit(2) == credit(6)  # not one statement per course
