"""My profile (/my/profile) and the public profile (/u/<username>): saving, refusals that keep what
was typed, and the privacy of each field for visitors, other members and the owner."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.security import profiles
from app.security.models import LmsUser
from tests.conftest import login
from tests.factories import make_user
from tests.portal_helpers import page_text

# A value of each field that appears on the page only when the field is shown.
MARKERS = {
    "name": "Zenobia",
    "headline": "Builds bridges in Palmyra",
    "bio": "I like long walks through the archives",
    "language": 'id="profile-language"',  # "العربية" is also the header's language switch
    "timezone": "Riyadh",
    "links": "https://zenobia.example/portfolio",
    "phone": "+966 55 123 4567",
    "email": "zenobia@example.test",
}


def form(**changes: Any) -> dict[str, str]:
    """A complete, valid profile form."""
    data = {
        "first_name": "Zenobia",
        "last_name": "Septimia",
        "name_ar": "زنوبيا",
        "headline": MARKERS["headline"],
        "bio": MARKERS["bio"],
        "locale": "ar",
        "timezone": "Asia/Riyadh",
        "phone": MARKERS["phone"],
        "gender_id": "",
        "link_label_0": "Portfolio",
        "link_url_0": MARKERS["links"],
    }
    data.update({f"privacy_{field}": "public" for field in profiles.FIELDS})
    data.update(changes)
    return data


def owner(app, **privacy: str) -> tuple[int, str]:
    """A student with every field filled and the given privacy (the rest public)."""
    with app.app_context():
        user = make_user("Student", first_name="Zenobia", last_name="Septimia", email=MARKERS["email"])
        user.headline, user.bio, user.locale, user.timezone = (
            MARKERS["headline"],
            MARKERS["bio"],
            "ar",
            "Asia/Riyadh",
        )
        user.phone, user.name_ar = MARKERS["phone"], "زنوبيا"
        user.links = [{"label": "Portfolio", "url": MARKERS["links"]}]
        user.profile_privacy = {field: privacy.get(field, "public") for field in profiles.FIELDS}
        db.session.commit()
        result = (user.id, user.username)
        db.session.remove()
    return result


def signed_in(app, username: str) -> FlaskClient:
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser


def saved(app, user_id: int) -> LmsUser:
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        db.session.expunge(user)
        db.session.remove()
    return user


# ---- editing ----------------------------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/my/profile")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_a_learner_saves_every_field_and_sees_one_confirmation(app, login_as):
    browser = login_as("Student")
    page = page_text(browser.get("/my/profile"))
    assert 'name="csrf_token"' in page and "readonly" in page  # the e-mail is shown, not edited
    response = browser.post("/my/profile", data=form(privacy_phone="private", privacy_bio="signed_in"))
    assert response.status_code == 302, page_text(response)
    landed = page_text(browser.get(response.headers["Location"]))
    assert landed.count("flash-success") == 1
    assert page_text(browser.get("/my/profile")).count("flash-success") == 0  # once only
    user = saved(app, browser.user_id)
    assert (user.first_name, user.name_ar, user.locale, user.timezone) == (
        "Zenobia",
        "زنوبيا",
        "ar",
        "Asia/Riyadh",
    )
    assert user.links == [{"label": "Portfolio", "url": MARKERS["links"]}]
    assert user.profile_privacy["phone"] == "private" and user.profile_privacy["bio"] == "signed_in"
    assert user.profile_privacy["name"] == "public"
    assert 'lang="ar"' in landed and 'dir="rtl"' in landed  # the chosen language applies at once


@pytest.mark.parametrize(
    ("changes", "field", "typed"),
    [
        ({"link_url_1": "javascript:alert(1)", "link_label_1": "Evil"}, "links.1", "javascript:alert(1)"),
        ({"link_url_0": "ftp://files.example/cv"}, "links.0", "ftp://files.example/cv"),
        ({"timezone": "Europe/Berlin"}, "timezone", "Typed headline"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Typed headline"),
        ({"bio": "b" * 2001}, "bio", "b" * 2001),
        ({"first_name": ""}, "first_name", "Typed headline"),
        ({"locale": "fr"}, "locale", "Typed headline"),
        ({"phone": "call me maybe"}, "phone", "call me maybe"),
        ({"privacy_phone": "everyone-ish"}, "privacy.phone", "Typed headline"),
        ({"gender_id": "999999"}, "gender_id", "Typed headline"),
    ],
)
def test_bad_input_is_refused_with_what_was_typed_and_nothing_saved(app, login_as, changes, field, typed):
    browser = login_as("Student")
    before = saved(app, browser.user_id)
    response = browser.post("/my/profile", data=form(headline="Typed headline", **changes))
    assert response.status_code == 422
    page = html.unescape(page_text(response))
    assert typed in page and "Typed headline" in page
    assert f'id="{field.replace(".", "-")}-error"' in page and 'aria-invalid="true"' in page
    assert "flash-danger" in page
    after = saved(app, browser.user_id)
    assert (after.headline, after.bio, after.timezone, after.links) == (
        before.headline,
        before.bio,
        before.timezone,
        before.links,
    )


def test_more_than_five_links_cannot_be_saved(ctx):
    user = make_user("Student")
    links = [{"label": f"L{n}", "url": f"https://example.test/{n}"} for n in range(6)]
    data = {"first_name": "A", "last_name": "B", "links": links}
    with pytest.raises(profiles.Invalid) as refused:
        profiles.update_profile(user, data)
    assert "links" in refused.value.errors


def test_the_timezone_offered_and_stored_is_the_lookup_iana_zone(app, login_as):
    browser = login_as("Student")
    page = page_text(browser.get("/my/profile"))
    assert '<option value="Africa/Cairo"' in page and '<option value="Asia/Dubai"' in page
    browser.post("/my/profile", data=form(timezone="Africa/Cairo"))
    assert saved(app, browser.user_id).timezone == "Africa/Cairo"


# ---- the public profile -----------------------------------------------------------------------------

LEVEL_SEEN_BY = {  # level -> (anonymous, another member, owner)
    "public": (True, True, True),
    "signed_in": (False, True, True),
    "private": (False, False, True),
}


@pytest.mark.parametrize("level", list(LEVEL_SEEN_BY))
@pytest.mark.parametrize("field", [f for f in profiles.FIELDS if f != "avatar"])
def test_privacy_matrix_of_each_field_for_each_viewer(app, field, level):
    _, username = owner(app, **{field: level})
    with app.app_context():
        other = make_user("Student").username
        db.session.remove()
    viewers = (app.test_client(), signed_in(app, other), signed_in(app, username))
    for browser, expected in zip(viewers, LEVEL_SEEN_BY[level], strict=True):
        page = html.unescape(page_text(browser.get(f"/u/{username}?_l_=en")))
        shown = MARKERS[field] in page
        if field == "name":  # the title falls back to the user name
            shown = "Zenobia Septimia" in page
        assert shown is expected, (field, level, browser)


def test_only_the_owner_gets_an_edit_link(app):
    _, username = owner(app)
    with app.app_context():
        other = make_user("Student").username
        db.session.remove()
    assert 'id="edit-profile"' in page_text(signed_in(app, username).get(f"/u/{username}"))
    assert 'id="edit-profile"' not in page_text(signed_in(app, other).get(f"/u/{username}"))
    assert 'id="edit-profile"' not in page_text(app.test_client().get(f"/u/{username}"))


def test_the_visible_profile_service_drops_hidden_fields(ctx):
    user = make_user("Student")
    user.phone, user.bio = "+20 100 000 0000", "hello"
    user.profile_privacy = {"phone": "private", "bio": "signed_in"}
    anonymous = profiles.visible_profile(None, user)
    member = profiles.visible_profile(make_user("Student"), user)
    mine = profiles.visible_profile(user, user)
    assert "phone" not in anonymous and "bio" not in anonymous and "name" in anonymous
    assert "phone" not in member and member["bio"] == "hello"
    assert mine["phone"] == "+20 100 000 0000" and mine["is_owner"] is True


def test_defaults_show_name_headline_avatar_and_hide_contact_details(ctx):
    user = make_user("Student", email="quiet@example.test")
    user.phone, user.headline, user.links = (
        "+20 100 000 0000",
        "Hi",
        [{"label": "x", "url": "https://x.test"}],
    )
    seen = profiles.visible_profile(None, user)
    assert {"name", "headline", "avatar"} <= set(seen)
    assert not {"phone", "links", "email", "bio", "timezone"} & set(seen)


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_unknown_deleted_and_inactive_users_have_no_profile(app, client, status):
    with app.app_context():
        blocked = make_user("Student", status=status).username
        gone = make_user("Student")
        gone_name = gone.username
        from app.core.softdelete import soft_delete

        soft_delete(gone)
        db.session.commit()
        db.session.remove()
    assert client.get("/u/nobody-by-this-name").status_code == 404
    assert client.get(f"/u/{blocked}").status_code == 404
    assert client.get(f"/u/{gone_name}").status_code == 404


def test_the_public_profile_in_both_languages_has_a_title_naming_the_person(app, client):
    _, username = owner(app)
    english = page_text(client.get(f"/u/{username}?_l_=en"))
    assert f"<title>Zenobia Septimia (@{username})" in english and 'dir="ltr"' in english
    arabic = page_text(client.get(f"/u/{username}?_l_=ar"))
    assert f"<title>زنوبيا (@{username})" in arabic and 'dir="rtl"' in arabic
    assert "نبذة عني" in arabic  # "About me" in Arabic
