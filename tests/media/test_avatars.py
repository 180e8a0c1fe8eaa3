"""Avatars: uploaded on My profile through the media library, cut into centre-cropped squares by a
task, served at a stable address to whoever may see them, shown in every layer, removable."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.extensions import db
from app.media import avatars
from app.media.models import Media
from app.security.models import LmsUser
from tests.conftest import login
from tests.factories import make_user
from tests.media_fixtures import png_bytes
from tests.portal_helpers import course_with_lessons, enrol, page_text

DATA = Path(__file__).resolve().parents[1] / "data"
AVATAR_SRC = re.compile(r'<img class="lms-avatar" src="([^"]+)"[^>]*alt="([^"]*)"')


@pytest.fixture(autouse=True)
def _storage(media_config):
    """Local storage, tasks inline."""
    return media_config


def upload(browser, data: bytes, name: str = "me.png") -> Any:
    return browser.post(
        "/my/profile/avatar",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def student(app, **fields: Any) -> tuple[Any, int, str]:
    with app.app_context():
        user = make_user("Student", first_name="Layla", last_name="Haddad", **fields)
        user_id, username = user.id, user.username
        db.session.remove()
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser, user_id, username


def the_user(app, user_id: int) -> LmsUser:
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        db.session.expunge(user)
        db.session.remove()
    return user


def test_an_uploaded_avatar_is_cut_into_squares_of_each_size(app):
    browser, user_id, _username = student(app)
    response = upload(browser, png_bytes((640, 360), "orange"))
    assert response.status_code == 302, page_text(response)
    user = the_user(app, user_id)
    assert user.avatar_media_id is not None
    with app.app_context():
        media = db.session.get(Media, user.avatar_media_id)
        assert (media.kind, media.mediable_type, media.mediable_id, media.is_temporary) == (
            "avatar",
            "user",
            user_id,
            False,
        )
        assert set(media.meta["avatar_sizes"]) == {"64", "128", "256"}
        db.session.remove()
    anonymous = app.test_client()
    for size in (64, 128, 256):
        image = anonymous.get(f"/media/avatar/{user.uuid.hex}/{size}")
        assert image.status_code == 200 and image.mimetype == "image/webp"
        assert image.headers["Cache-Control"].startswith("public")
        with Image.open(io.BytesIO(image.data)) as opened:
            assert opened.size == (size, size)
            assert opened.getpixel((size // 2, size // 2))[:3] == pytest.approx((255, 165, 0), abs=8)
    # A size in between is served from the next larger square.
    with Image.open(io.BytesIO(anonymous.get(f"/media/avatar/{user.uuid.hex}/100").data)) as opened:
        assert opened.size == (128, 128)


def test_the_crop_is_centred(ctx):
    image = Image.new("RGB", (300, 100), "red")
    image.paste(Image.new("RGB", (100, 100), "blue"), (100, 0))  # blue in the middle third
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    from app.media import images

    with Image.open(io.BytesIO(images.square(buffer.getvalue(), 64))) as square:
        assert square.size == (64, 64)
        assert square.getpixel((32, 32))[2] > 200 and square.getpixel((2, 32))[2] > 200


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (DATA / "malicious" / "exe_double_ext.jpg.exe", "exe_double_ext.jpg.exe"),
        (DATA / "malicious" / "exe_renamed.pdf", "me.png"),
        (DATA / "good" / "document.pdf", "cv.pdf"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(app, media_config, path, name):
    browser, user_id, _ = student(app)
    response = upload(browser, path.read_bytes(), name)
    assert 400 <= response.status_code < 500
    assert "flash-danger" in page_text(response) and 'id="profile-form"' in page_text(response)
    assert the_user(app, user_id).avatar_media_id is None
    with app.app_context():
        assert db.session.query(Media).filter_by(uploader_id=user_id).count() == 0
        db.session.remove()
    assert not [p for p in media_config.rglob("*") if p.is_file()]


def test_the_avatar_shows_in_the_header_profile_pages_and_comments(app):
    browser, user_id, username = student(app)
    upload(browser, png_bytes((200, 200)))
    user = the_user(app, user_id)
    mine = page_text(browser.get("/my/profile"))
    sources = AVATAR_SRC.findall(mine)
    assert any(f"/media/avatar/{user.uuid.hex}/64" in src for src, _ in sources)  # header and page
    public = page_text(app.test_client().get(f"/u/{username}?_l_=en"))
    assert (
        f"/media/avatar/{user.uuid.hex}/128?v={user.avatar_media_id}",
        "Layla Haddad",
    ) in AVATAR_SRC.findall(public)
    course = course_with_lessons(app)
    enrol(app, user_id, course["id"])
    with app.app_context():
        from app.engagement import services as engagement

        engagement.add_comment(db.session.get(LmsUser, user_id), "lesson", course["second"], "Hello all")
        db.session.commit()
        db.session.remove()
    lesson = page_text(browser.get(f"/courses/{course['slug']}/lessons/{course['second']}"))
    comments = lesson.split('id="comments"', 1)[1]
    assert f"/media/avatar/{user.uuid.hex}/64" in comments


def test_the_back_office_user_menu_shows_the_avatar(app):
    with app.app_context():
        teacher = make_user("Instructor", first_name="Omar", last_name="Saleh")
        name = teacher.username
        db.session.remove()
    browser = app.test_client()
    login(browser, name)
    listing = browser.get("/coursemodelview/list/")
    assert listing.status_code == 200
    page = page_text(listing)
    assert 'class="lms-avatar lms-avatar-initials"' in page  # no picture yet: the initials
    assert ">OS</span>" in page
    upload(browser, png_bytes((120, 90)))
    page = page_text(browser.get("/coursemodelview/list/"))
    assert '<img class="lms-avatar" src="/media/avatar/' in page


def test_without_a_picture_the_initials_carry_the_name(app):
    _, _, username = student(app)
    page = page_text(app.test_client().get(f"/u/{username}?_l_=en"))
    assert 'role="img" aria-label="Layla Haddad">LH</span>' in page


def test_an_avatar_hidden_from_visitors_is_not_served_to_them(app):
    browser, user_id, username = student(app)
    upload(browser, png_bytes((100, 100)))
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        user.profile_privacy = {"avatar": "signed_in"}
        db.session.commit()
        key = user.uuid.hex
        db.session.remove()
    assert app.test_client().get(f"/media/avatar/{key}/64").status_code == 404
    assert f"/media/avatar/{key}" not in page_text(app.test_client().get(f"/u/{username}"))
    _, _, other = student(app)
    member = app.test_client()
    login(member, other)
    served = member.get(f"/media/avatar/{key}/64")
    assert served.status_code == 200 and served.headers["Cache-Control"].startswith("private")


def test_removing_the_avatar_brings_back_the_initials(app):
    browser, user_id, _username = student(app)
    upload(browser, png_bytes((100, 100)))
    user = the_user(app, user_id)
    media_id = user.avatar_media_id
    response = browser.post("/my/profile/avatar/remove")
    assert response.status_code == 302
    assert the_user(app, user_id).avatar_media_id is None
    assert app.test_client().get(f"/media/avatar/{user.uuid.hex}/64").status_code == 404
    with app.app_context():
        assert db.session.get(Media, media_id) is None  # soft deleted
        db.session.remove()
    assert ">LH</span>" in page_text(browser.get("/my/profile"))


def test_a_new_avatar_replaces_the_old_one(app):
    browser, user_id, _ = student(app)
    upload(browser, png_bytes((100, 100), "red"))
    first = the_user(app, user_id).avatar_media_id
    upload(browser, png_bytes((100, 100), "blue"))
    second = the_user(app, user_id).avatar_media_id
    assert second != first
    with app.app_context():
        assert db.session.get(Media, first) is None
        db.session.remove()


def test_avatar_url_helper(app):
    with app.test_request_context():
        user = make_user("Student")
        assert avatars.avatar_url(user) is None
        user.avatar_media_id = 12345
        assert avatars.avatar_url(user, 100) == f"/media/avatar/{user.uuid.hex}/128?v=12345"
        assert avatars.avatar_url(user, 1000).startswith(f"/media/avatar/{user.uuid.hex}/256")
        db.session.remove()


def test_unknown_and_inactive_users_have_no_avatar(app):
    browser, user_id, _ = student(app)
    upload(browser, png_bytes((100, 100)))
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        key = user.uuid.hex
        from app.lookups.services import lookup_id

        user.status_id = lookup_id("user_status", "suspended")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert client.get(f"/media/avatar/{key}/64").status_code == 404
    assert client.get("/media/avatar/not-a-uuid/64").status_code == 404
    assert client.get(f"/media/avatar/{'0' * 32}/64").status_code == 404
