"""The media picker of the back office's editors and media fields: who sees which files, search and
paging, uploads through the library's checks, and images published for rich text."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.core.html import sanitize_html
from app.core.transactions import transaction
from app.courses.models import Course
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import choosing
from app.media import services as media_services
from app.media.models import Media
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.media_fixtures import png_bytes

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def _upload_as(app, user_id: int, name: str, data: bytes, kind: str = "attachment") -> int:
    with app.app_context(), app.test_request_context():
        with transaction():
            user = db.session.get(LmsUser, user_id)
            media_id = media_services.upload_files([(name, data)], kind, user)[0].id
        db.session.remove()
    return media_id


def _items(client, **params) -> dict:
    response = client.get("/admin/media-picker/items", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def _names(answer: dict) -> list[str]:
    return [item["name"] for item in answer["items"]]


@pytest.fixture
def two_instructors(app, login_as, media_config):
    """Two signed-in instructors, each with an image of their own; the first also a PDF."""
    first, second = login_as("Instructor"), login_as("Instructor")
    ids = {
        "mine_png": _upload_as(app, first.user_id, "sunset.png", png_bytes()),
        "mine_pdf": _upload_as(app, first.user_id, "syllabus.pdf", PDF),
        "theirs_png": _upload_as(app, second.user_id, "private.png", png_bytes(color="red")),
    }
    return first, second, ids


def test_the_picker_lists_only_the_files_the_user_may_use(app, login_as, two_instructors):
    first, second, ids = two_instructors
    assert _names(_items(first)) == ["syllabus.pdf", "sunset.png"]  # newest first
    assert _names(_items(second)) == ["private.png"]
    images = _items(first, images=1)
    assert _names(images) == ["sunset.png"]
    [image] = images["items"]
    assert image["id"] == ids["mine_png"] and image["is_image"] and image["mime_type"] == "image/png"
    assert image["thumbnail"].startswith("/media/")  # a signed link the user may open
    assert first.get(image["thumbnail"]).status_code == 200
    # Admins see every file.
    admin = login_as("Admin")
    assert {"sunset.png", "syllabus.pdf", "private.png"} <= set(_names(_items(admin)))


def test_the_picker_searches_names_and_pages(app, two_instructors, monkeypatch):
    first, _second, _ids = two_instructors
    assert _names(_items(first, q="SUN")) == ["sunset.png"]
    assert _names(_items(first, q="%")) == []  # a wildcard is a character, not "everything"
    assert _names(_items(first, q="private")) == []  # another's file is not found by name either
    monkeypatch.setattr(choosing, "PAGE_SIZE", 1)
    page_one, page_two = _items(first, page=1), _items(first, page=2)
    assert (page_one["pages"], page_one["total"]) == (2, 2)
    assert _names(page_one) + _names(page_two) == ["syllabus.pdf", "sunset.png"]
    assert _items(first, page=99)["page"] == 2 and _items(first, page="x")["page"] == 1


def test_only_staff_who_write_rich_text_use_the_picker(app, login_as, media_config):
    student = login_as("Student")
    assert student.get("/admin/media-picker/items").status_code in (401, 403)
    upload = student.post("/admin/media-picker/upload", data={"file": (io.BytesIO(png_bytes()), "me.png")})
    assert upload.status_code in (401, 403)
    assert app.test_client().get("/admin/media-picker/items").status_code in (401, 403)


def test_uploads_from_the_picker_go_through_the_librarys_checks(app, two_instructors, monkeypatch):
    first, _second, _ids = two_instructors
    response = first.post(
        "/admin/media-picker/upload",
        data={"file": (io.BytesIO(png_bytes()), "diagram.png"), "kind": "course_material"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.json["file"]
    assert stored["name"] == "diagram.png" and stored["is_image"]
    with app.app_context():
        media = db.session.get(Media, stored["id"])
        assert (media.kind, media.uploader_id, media.is_temporary) == ("course_material", first.user_id, True)
        count = db.session.scalar(select(db.func.count()).select_from(Media))
        db.session.remove()
    # Content sniffing: a script named .png is refused, and nothing is stored.
    fake = first.post(
        "/admin/media-picker/upload",
        data={"file": (io.BytesIO(b"<script>alert(1)</script>"), "fake.png")},
    )
    assert fake.status_code == 422 and fake.json["message"]
    # The kind's size limit.
    monkeypatch.setitem(app.config, "MEDIA_KINDS", {"attachment": {"max_bytes": 100}})
    big = first.post("/admin/media-picker/upload", data={"file": (io.BytesIO(png_bytes()), "big.png")})
    assert big.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Media)) == count
        db.session.remove()


def test_an_image_published_for_rich_text_has_a_stable_address_and_survives_sanitizing(app, two_instructors):
    first, _second, ids = two_instructors
    response = first.post(f"/admin/media-picker/{ids['mine_png']}/publish")
    assert response.status_code == 200, response.get_data(as_text=True)
    url = response.json["url"]
    assert re.fullmatch(r"/media/image/[0-9a-f]{32}", url)
    with app.app_context():
        media = db.session.get(Media, ids["mine_png"])
        assert media.is_temporary is False and media.expires_at is None  # never cleaned up
        db.session.remove()
    # Anyone reading the text gets the image, at the same address, without a download counted.
    visitor = app.test_client().get(url)
    assert visitor.status_code == 200 and visitor.mimetype == "image/png"
    assert visitor.headers["X-Content-Type-Options"] == "nosniff"
    assert visitor.get_data() == app.test_client().get(url).get_data()
    html = f'<p dir="ltr">See <img src="{url}" alt="A sunset" onerror="alert(1)"></p>'
    assert sanitize_html(html) == f'<p dir="ltr">See <img src="{url}" alt="A sunset"></p>'


def test_only_ones_own_images_are_published(app, two_instructors):
    first, _second, ids = two_instructors
    assert first.post(f"/admin/media-picker/{ids['theirs_png']}/publish").status_code == 403
    assert first.post(f"/admin/media-picker/{ids['mine_pdf']}/publish").status_code == 422
    assert first.post("/admin/media-picker/987654321/publish").status_code == 404
    # An image nobody published has no public address.
    with app.app_context():
        key = db.session.get(Media, ids["theirs_png"]).uuid.hex
        db.session.remove()
    assert app.test_client().get(f"/media/image/{key}").status_code == 404
    assert app.test_client().get("/media/image/not-a-uuid").status_code == 404


def test_publishing_needs_the_csrf_token(app, two_instructors, monkeypatch):
    first, _second, ids = two_instructors
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = first.post(
        f"/admin/media-picker/{ids['mine_png']}/publish", headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400
    with app.app_context():
        assert not (db.session.get(Media, ids["mine_png"]).meta or {}).get("published")
        db.session.remove()


def test_an_image_inserted_in_a_course_description_reaches_the_course_page(app, two_instructors):
    first, _second, ids = two_instructors
    url = first.post(f"/admin/media-picker/{ids['mine_png']}/publish").json["url"]
    with app.app_context():
        course = make_course(instructors=[db.session.get(LmsUser, first.user_id)], title="Sunsets")
        course_id, slug = course.id, course.slug
        data = {
            "title_en": "Sunsets",
            "title_ar": "الغروب",
            "price": "0",
            "currency": "USD",
            "status": str(lookup_id("course_status", "published")),
            "visibility": str(lookup_id("course_visibility", "public")),
            "instructors": str(first.user_id),
            "address": slug,
            "description_en": f'<p><strong>Look</strong>: <img src="{url}" alt="A sunset"></p>',
        }
        db.session.remove()
    assert first.post(f"/coursemodelview/edit/{course_id}", data=data).status_code == 302
    with app.app_context():
        stored = db.session.get(Course, course_id).translations["en"]["description"]
        db.session.remove()
    assert stored == f'<p><strong>Look</strong>: <img src="{url}" alt="A sunset"></p>'
    portal = app.test_client().get(f"/courses/{slug}").get_data(as_text=True)
    assert f'<img src="{url}" alt="A sunset">' in portal
