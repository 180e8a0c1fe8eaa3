"""CVs on the profile: upload (pdf, doc, docx; at most 10), rename, choose the default, delete, and
download by the owner only (another user's CV is a 404 on every route, and no signed link for it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from app.media import cvs
from app.media.models import Media
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.factories import make_user
from tests.portal_helpers import page_text

DATA = Path(__file__).resolve().parents[1] / "data"
PDF = (DATA / "good" / "document.pdf").read_bytes()
DOCX = (DATA / "good" / "document.docx").read_bytes()
DOC = (DATA / "good" / "legacy.doc").read_bytes()


@pytest.fixture(autouse=True)
def _storage(media_config):
    return media_config


def member(app) -> tuple[Any, int, str]:
    with app.app_context():
        user = make_user("Student")
        user_id, username = user.id, user.username
        db.session.remove()
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser, user_id, username


def add(browser, data: bytes = PDF, name: str = "cv.pdf", title: str = "") -> Any:
    return browser.post(
        "/my/profile/cvs",
        data={"file": (io.BytesIO(data), name), "title": title},
        content_type="multipart/form-data",
    )


def mine(app, user_id: int) -> tuple[list[tuple[int, str]], int | None]:
    """[(id, display name)] of the user's CVs and their default's id."""
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        rows = [(media.id, cvs.title_of(media)) for media in cvs.user_cvs(user)]
        default = cvs.default_cv(user)
        result = (rows, default.id if default else None)
        db.session.remove()
    return result


def test_a_learner_adds_renames_chooses_the_default_and_deletes_cvs(app):
    browser, user_id, _ = member(app)
    assert add(browser, PDF, "cv.pdf", "Engineering CV").status_code == 302
    assert add(browser, DOCX, "cv.docx").status_code == 302
    assert add(browser, DOC, "old.doc").status_code == 302
    rows, default = mine(app, user_id)
    assert [title for _, title in rows] == ["Engineering CV", "cv.docx", "old.doc"]
    assert default == rows[0][0]  # the first CV is the default until another is chosen
    first, second, third = (pk for pk, _ in rows)
    page = page_text(browser.get("/my/profile/cvs"))
    assert page.count('class="badge" id="cv-default"') == 1 and "Engineering CV" in page
    assert browser.post(f"/my/profile/cvs/{second}/rename", data={"title": "Short CV"}).status_code == 302
    assert browser.post(f"/my/profile/cvs/{second}/default").status_code == 302
    rows, default = mine(app, user_id)
    assert (second, "Short CV") in rows and default == second
    assert browser.post(f"/my/profile/cvs/{second}/delete").status_code == 302
    rows, default = mine(app, user_id)
    assert [pk for pk, _ in rows] == [first, third] and default == third  # the newest left
    with app.app_context():
        assert db.session.get(Media, second) is None  # soft deleted
        db.session.remove()
    profile = page_text(browser.get("/my/profile"))
    assert 'id="manage-cvs"' in profile


def test_the_owner_downloads_through_a_signed_link(app):
    browser, user_id, _ = member(app)
    add(browser)
    ((pk, _),) = mine(app, user_id)[0]
    response = browser.get(f"/my/profile/cvs/{pk}/download")
    assert response.status_code == 302 and response.headers["Location"].startswith("/media/")
    served = browser.get(response.headers["Location"])
    assert served.status_code == 200 and served.data == PDF


def test_another_users_cv_is_not_found_on_every_route(app):
    owner, owner_id, _ = member(app)
    add(owner)
    ((pk, _),) = mine(app, owner_id)[0]
    stranger, _, stranger_name = member(app)
    assert stranger.get(f"/my/profile/cvs/{pk}/download").status_code == 404
    assert stranger.post(f"/my/profile/cvs/{pk}/rename", data={"title": "Mine now"}).status_code == 404
    assert stranger.post(f"/my/profile/cvs/{pk}/default").status_code == 404
    assert stranger.post(f"/my/profile/cvs/{pk}/delete").status_code == 404
    assert mine(app, owner_id)[0] == [(pk, "cv.pdf")]
    # The media API signs no link to it either, although members may see the owner's profile.
    headers = jwt_headers(app.test_client(), stranger_name)
    link = app.test_client().post(f"/api/v1/media/{pk}/link", json={}, headers=headers)
    assert link.status_code in (403, 404)


def test_visitors_are_sent_to_sign_in(client):
    assert client.get("/my/profile/cvs").status_code == 302
    assert client.get("/my/profile/cvs/1/download").status_code == 302


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (DATA / "malicious" / "exe_double_ext.jpg.exe", "exe_double_ext.jpg.exe"),
        (DATA / "malicious" / "exe_renamed.pdf", "cv.pdf"),
        (DATA / "good" / "image.png", "photo.png"),
    ],
)
def test_files_that_are_not_cvs_are_refused_and_the_name_kept(app, media_config, path, name):
    browser, user_id, _ = member(app)
    response = add(browser, path.read_bytes(), name, "My typed name")
    assert 400 <= response.status_code < 500
    page = page_text(response)
    assert "flash-danger" in page and 'value="My typed name"' in page
    assert mine(app, user_id) == ([], None)
    assert not [p for p in media_config.rglob("*") if p.is_file()]


def test_the_eleventh_cv_is_refused(app):
    browser, user_id, _ = member(app)
    for number in range(10):
        assert add(browser, PDF, f"cv{number}.pdf").status_code == 302
    assert 'id="cv-full"' in page_text(browser.get("/my/profile/cvs"))
    response = add(browser, PDF, "cv10.pdf", "One too many")
    assert response.status_code == 422
    assert "at most 10" in page_text(response)
    assert len(mine(app, user_id)[0]) == 10


def test_a_too_long_name_is_refused_and_kept(app):
    browser, user_id, _ = member(app)
    add(browser)
    ((pk, _),) = mine(app, user_id)[0]
    response = browser.post(f"/my/profile/cvs/{pk}/rename", data={"title": "x" * 121})
    assert response.status_code == 422 and "x" * 121 in page_text(response)
    assert mine(app, user_id)[0] == [(pk, "cv.pdf")]


def test_services_for_other_modules(app, ctx):
    user = make_user("Student")
    assert cvs.user_cvs(user) == [] and cvs.default_cv(user) is None
    other = make_user("Student")
    from flask import g

    with app.test_request_context():
        g.user = user
        media = cvs.upload_cv(user, [("cv.pdf", PDF)], "Mine")
    assert cvs.user_cvs(user) == [media] and cvs.default_cv(user) == media
    assert cvs.user_cvs(other) == []
    with pytest.raises(cvs.NotFound):
        cvs.own_cv(other, media.id)
