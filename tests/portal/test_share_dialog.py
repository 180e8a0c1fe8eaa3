"""The course page's share dialog: the link and every channel's link carry the sharer's referral code
(URL-encoded), visitors get plain links and record nothing, uses are recorded by a POST (JSON for the
script, a form for the timeline), invisible targets are 404, the social proof in English and Arabic,
the share counter costs one statement, and "My referrals"."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from app.engagement import services
from app.engagement.models import ReferralCode, Share
from app.extensions import db
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.portal.test_player_queries import captured
from tests.portal_helpers import course_with_lessons, page_text


def _code_of(app: Any, username: str) -> str:
    with app.app_context():
        user = db.session.scalar(select(LmsUser).where(LmsUser.username == username))
        code = db.session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user.id))
        db.session.remove()
    assert code
    return code


def _username(client: Any) -> str:
    with client.session_transaction() as session:
        user_id = int(session["_user_id"])
    with client.application.app_context():
        name = db.session.get(LmsUser, user_id).username
        db.session.remove()
    return name


def _hrefs(page: str) -> dict[str, str]:
    return {
        channel: html.unescape(href)
        for href, channel in re.findall(r'href="([^"]+)" data-share-channel="(\w+)"', page)
    }


def test_signed_in_dialog_links_carry_the_referral_code_url_encoded(app, login_as):
    data = course_with_lessons(app, title="C++ & Rust?")
    student = login_as("Student")
    page = page_text(student.get(f"/courses/{data['slug']}"))
    code = _code_of(app, _username(student))
    link = f"http://localhost/courses/{data['slug']}?ref={code}"
    assert f'value="{link}"' in page and 'aria-haspopup="dialog"' in page and "<dialog" in page
    assert 'aria-labelledby="share-dialog-course-' in page and "data-record-url=" in page
    url, text = quote(link, safe=""), quote("C++ & Rust?", safe="")
    assert text == "C%2B%2B%20%26%20Rust%3F"
    links = _hrefs(page)
    assert links["whatsapp"] == f"https://wa.me/?text={text}%20{url}"
    assert links["x"] == f"https://twitter.com/intent/tweet?url={url}&text={text}"
    assert links["facebook"] == f"https://www.facebook.com/sharer/sharer.php?u={url}"
    assert links["linkedin"] == f"https://www.linkedin.com/sharing/share-offsite/?url={url}"
    assert links["telegram"] == f"https://t.me/share/url?url={url}&text={text}"
    assert links["email"] == f"mailto:?subject={text}&body={text}%0A{url}"
    assert "%3Fref%3D" + code in links["x"]
    assert 'src="/static/js/shares.js" nonce="' in page
    # The same code on every page and visit (made once).
    assert code in page_text(student.get(f"/courses/{data['slug']}"))


def test_visitors_get_plain_links_and_no_record(app, client):
    data = course_with_lessons(app, title="Open")
    page = page_text(client.get(f"/courses/{data['slug']}"))
    assert "?ref=" not in page and "ref%3D" not in page
    assert "data-record-url" not in page and "Share to my timeline" not in page
    assert _hrefs(page)["whatsapp"].endswith(quote(f"http://localhost/courses/{data['slug']}", safe=""))
    assert client.post(f"/shares/course/{data['id']}", data={"channel": "copy"}).status_code == 302
    with app.app_context():
        assert services.share_count("course", data["id"]) == 0
        db.session.remove()


def test_copy_and_timeline_posts_record_shares_and_invisible_targets_are_404(app, login_as):
    data = course_with_lessons(app, title="Shared course")
    student = login_as("Student")
    quiet = student.post(f"/shares/course/{data['id']}", data={"channel": "copy", "quiet": "1"})
    assert quiet.status_code == 200 and quiet.json == {"count": 1, "joined": 0, "channel": "copy"}
    posted = student.post(f"/shares/course/{data['id']}", data={"channel": "timeline"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"/courses/{data['slug']}")
    assert "Shared to your timeline." in page_text(student.get(posted.headers["Location"]))
    bad = student.post(
        f"/shares/course/{data['id']}", data={"channel": "pigeon"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 422 and "channel" in bad.json["errors"]
    with app.app_context():
        private = make_course(visibility="private")
        draft = make_course(status="draft")
        hidden = (private.id, draft.id)
        db.session.remove()
    for course_id in hidden:
        assert student.post(f"/shares/course/{course_id}", data={"channel": "copy"}).status_code == 404
    assert student.post("/shares/spaceship/1", data={"channel": "copy"}).status_code == 404
    with app.app_context():
        channels = db.session.scalars(select(Share.channel).where(Share.target_id == data["id"])).all()
        assert sorted(channels) == ["copy", "timeline"]
        assert services.share_count("course", data["id"]) == 2
        db.session.remove()


def test_social_proof_in_english_and_arabic(app, login_as, client):
    data = course_with_lessons(app, title="Popular")
    assert "share-proof" not in page_text(client.get(f"/courses/{data['slug']}"))  # nothing at 0
    with app.app_context():
        from app.engagement.services.shares import bump_share_count

        bump_share_count("course", data["id"], count=120, joined=35)
        db.session.commit()
        db.session.remove()
    page = page_text(client.get(f"/courses/{data['slug']}"))
    assert "Shared 120 times" in page and "35 learners joined through shares" in page
    client.get("/lang/ar")
    arabic = page_text(client.get(f"/courses/{data['slug']}"))
    assert "تمت المشاركة 120 مرة" in arabic and "انضم 35 متعلمًا عبر المشاركات" in arabic
    with app.app_context():
        other = make_course(title="Once")
        bump_share_count("course", other.id, count=1, joined=1)
        db.session.commit()
        slug = other.slug
        db.session.remove()
    once = page_text(client.get(f"/courses/{slug}"))
    assert "تمت المشاركة مرة واحدة" in once and "انضم متعلم واحد عبر المشاركات" in once
    client.get("/lang/en")
    once = page_text(client.get(f"/courses/{slug}"))
    assert "Shared 1 time" in once and "1 learner joined through shares" in once


def test_the_share_counter_costs_one_statement_once_the_code_is_known(app, login_as):
    data = course_with_lessons(app, title="Counted")
    student = login_as("Student")
    student.get(f"/courses/{data['slug']}")  # the code is made and remembered
    with captured(app) as statements:
        assert student.get(f"/courses/{data['slug']}").status_code == 200
    assert len([s for s in statements if "share_count" in s]) == 1
    assert not [s for s in statements if "referral_code" in s]


def test_my_referrals_page_shows_the_link_and_results(app, login_as, client):
    student = login_as("Student")
    page = page_text(student.get("/my/referrals"))
    code = _code_of(app, _username(student))
    assert f"?ref={code}" in page and 'data-result="visits">0<' in page
    assert client.get("/my/referrals").status_code == 302  # visitors sign in first


def test_without_scripts_a_channel_form_records_then_opens_the_share_page(app, login_as):
    data = course_with_lessons(app, title="No script")
    student = login_as("Student")
    page = page_text(student.get(f"/courses/{data['slug']}"))
    assert 'name="go" value="1"' in page  # the <noscript> forms
    code = _code_of(app, _username(student))
    went = student.post(f"/shares/course/{data['id']}", data={"channel": "whatsapp", "go": "1"})
    assert went.status_code == 302
    link = quote(f"http://localhost/courses/{data['slug']}?ref={code}", safe="")
    assert went.headers["Location"] == f"https://wa.me/?text=No%20script%20{link}"
    timeline = student.post(f"/shares/course/{data['id']}", data={"channel": "timeline", "go": "1"})
    assert timeline.headers["Location"].endswith(f"/courses/{data['slug']}")  # internal: back to the page
    with app.app_context():
        assert services.share_count("course", data["id"]) == 2
        db.session.remove()


def test_lesson_pages_have_the_dialog_and_name_the_lesson_of_a_visit(app, login_as):
    from app.engagement.models import ReferralTouch

    data = course_with_lessons(app, title="Shared lessons")
    student = login_as("Student")
    lesson_url = f"/courses/{data['slug']}/lessons/{data['preview']}"  # a free preview: anyone may open it
    page = page_text(student.get(lesson_url))
    code = _code_of(app, _username(student))
    link = f"http://localhost{lesson_url}?ref={code}"
    assert f'value="{link}"' in page and 'aria-labelledby="share-dialog-lesson-' in page
    assert _hrefs(page)["telegram"].startswith("https://t.me/share/url?url=" + quote(link, safe=""))
    posted = student.post(f"/shares/lesson/{data['preview']}", data={"channel": "copy", "quiet": "1"})
    assert posted.status_code == 200 and posted.get_json()["count"] == 1
    visitor = app.test_client()
    visitor.get(f"{lesson_url}?ref={code}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/120"})
    with app.app_context():
        touch = db.session.scalar(select(ReferralTouch).order_by(ReferralTouch.id.desc()))
        assert (touch.target_type, touch.target_id) == ("lesson", data["preview"])
        db.session.remove()


def test_a_repeated_click_counts_once_and_share_posts_are_rate_limited(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_RATE_LIMIT", "4 per minute")
    data = course_with_lessons(app, title="Clicked")
    student = login_as("Student")
    for _n in range(3):  # three clicks on Copy: one share
        posted = student.post(f"/shares/course/{data['id']}", data={"channel": "copy", "quiet": "1"})
        assert posted.status_code == 200 and posted.json["count"] == 1
    with app.app_context():
        assert len(db.session.scalars(select(Share.id).where(Share.target_id == data["id"])).all()) == 1
        db.session.remove()
    answers = [
        student.post(f"/shares/course/{data['id']}", data={"channel": "x", "quiet": "1"}).status_code
        for _n in range(2)
    ]
    assert answers == [200, 429]  # three posts before, the fourth allowed, the fifth refused
    other = login_as("Student")  # another user from the same address: the per-IP budget is spent too
    assert other.post(f"/shares/course/{data['id']}", data={"channel": "x"}).status_code == 429
    elsewhere = login_as("Student")
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert (
        elsewhere.post(f"/shares/course/{data['id']}", data={"channel": "x", "quiet": "1"}).status_code == 200
    )
    with app.app_context():
        assert services.share_count("course", data["id"]) == 3  # copy, then x twice (two users)
        db.session.remove()
