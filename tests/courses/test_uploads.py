"""Course back office uploads: cover images, lesson content files and resources through the forms."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden
from app.core.transactions import transaction
from app.courses.models import Course, CourseResource, LessonContent
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import services as media_services
from app.media.models import Media
from app.media.validation import EICAR
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.media_fixtures import png_bytes

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
HTML_AS_PDF = b"<html><body><script>alert(1)</script></body></html>"


def _multipart(browser, url, data):
    return browser.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)


def _lookup(app, type_code, code):
    with app.app_context():
        return lookup_id(type_code, code)


def _media_count(app):
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Media))
        db.session.remove()
    return count


def _media(app, media_id):
    with app.app_context():
        media = db.session.get(Media, media_id)
        result = {
            "mediable_type": media.mediable_type,
            "mediable_id": media.mediable_id,
            "is_temporary": media.is_temporary,
            "uploader_id": media.uploader_id,
            "kind": media.kind,
            "mime_type": media.mime_type,
            "original_filename": media.original_filename,
        }
        db.session.remove()
    return result


@pytest.fixture
def teaching(app, login_as):
    """A signed-in instructor teaching a published course with one section and one lesson."""
    instructor = login_as("Instructor")
    with app.app_context():
        course = make_course(instructors=[instructor.user_id], title="Uploads course")
        section = make_section(course)
        lesson = make_lesson(section)
        ids = {"course": course.id, "section": section.id, "lesson": lesson.id}
        db.session.remove()
    return instructor, ids


def _content_form(app, lesson_id, **extra):
    return {
        "lesson": lesson_id,
        "kind": _lookup(app, "content_types", "document"),
        "position": "",
        "title_en": "Reading",
        "title_ar": "قراءة",
        **extra,
    }


def _contents(app, lesson_id):
    with app.app_context():
        rows = db.session.scalars(select(LessonContent).where(LessonContent.lesson_id == lesson_id)).all()
        result = [(row.id, row.media_id) for row in rows]
        db.session.remove()
    return result


def test_course_form_has_a_multipart_cover_upload(app, login_as, media_config):
    instructor = login_as("Instructor")
    page = instructor.get("/coursemodelview/add").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="cover_upload"' in page and 'accept="image/*"' in page
    assert "Cover image" in page and "JPEG, JPG, PNG" in page
    instructor.get("/lang/ar")
    arabic = instructor.get("/coursemodelview/add").get_data(as_text=True)
    assert "صورة الغلاف" in arabic


def test_instructor_creates_a_course_with_a_png_cover(app, login_as, media_config):
    instructor = login_as("Instructor")
    data = {
        "title_en": "Course with a cover",
        "title_ar": "دورة بغلاف",
        "price": "0",
        "currency": "usd",
        "status": _lookup(app, "course_status", "draft"),
        "visibility": _lookup(app, "course_visibility", "draft"),
        "cover_upload": (io.BytesIO(png_bytes()), "cover.png"),
    }
    response = _multipart(instructor, "/coursemodelview/add", data)
    assert response.status_code == 200
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "course-with-a-cover"))
        assert course is not None and course.cover_media_id
        course_id, cover_id = course.id, course.cover_media_id
        db.session.remove()
    media = _media(app, cover_id)
    assert (media["mediable_type"], media["mediable_id"]) == ("course", course_id)
    assert not media["is_temporary"] and media["uploader_id"] == instructor.user_id
    assert (media["kind"], media["mime_type"]) == ("course_material", "image/png")

    # a new cover on the edit form replaces the old one
    data.pop("cover_upload")
    edit = {**data, "instructors": instructor.user_id, "cover_media_id": str(cover_id)}
    edit["cover_upload"] = (io.BytesIO(png_bytes(color="red")), "new.png")
    _multipart(instructor, f"/coursemodelview/edit/{course_id}", edit)
    with app.app_context():
        new_id = db.session.get(Course, course_id).cover_media_id
        db.session.remove()
    assert new_id != cover_id
    assert _media(app, new_id)["mediable_type"] == "course" and not _media(app, new_id)["is_temporary"]


def test_cover_must_be_an_image(app, login_as, media_config):
    instructor = login_as("Instructor")
    before = _media_count(app)
    data = {
        "title_en": "Course with a PDF cover",
        "title_ar": "دورة",
        "price": "0",
        "currency": "usd",
        "status": _lookup(app, "course_status", "draft"),
        "visibility": _lookup(app, "course_visibility", "draft"),
        "cover_upload": (io.BytesIO(PDF), "cover.pdf"),
    }
    page = _multipart(instructor, "/coursemodelview/add", data).get_data(as_text=True)
    assert "The cover must be an image (JPEG, JPG, PNG)." in page
    with app.app_context():
        assert db.session.scalar(select(Course).where(Course.slug == "course-with-a-pdf-cover")) is None
        db.session.remove()
    assert _media_count(app) == before


def test_instructor_uploads_a_pdf_to_lesson_content_and_only_entitled_users_download_it(
    app, login_as, teaching, media_config
):
    instructor, ids = teaching
    page = instructor.get("/lessoncontentmodelview/add").get_data(as_text=True)
    assert 'name="file_upload"' in page and 'enctype="multipart/form-data"' in page and "PDF" in page
    data = _content_form(app, ids["lesson"], file_upload=(io.BytesIO(PDF), "chapter 1.pdf"))
    response = _multipart(instructor, "/lessoncontentmodelview/add", data)
    assert response.status_code == 200
    [(content_id, media_id)] = _contents(app, ids["lesson"])
    assert media_id
    media = _media(app, media_id)
    assert (media["mediable_type"], media["mediable_id"]) == ("lesson_content", content_id)
    assert not media["is_temporary"] and media["mime_type"] == "application/pdf"
    assert media["original_filename"] == "chapter 1.pdf"
    # the show page and the list name the file, never its number in the library
    for url in (f"/lessoncontentmodelview/show/{content_id}", "/lessoncontentmodelview/list/"):
        page = instructor.get(url).get_data(as_text=True)
        assert "chapter 1.pdf" in page, url

    with app.app_context():
        enrolled, stranger = make_user("Student"), make_user("Student")
        make_enrollment(enrolled, db.session.get(Course, ids["course"]))
        row = db.session.get(Media, media_id)
        assert media_services.can_download(enrolled, row)
        assert not media_services.can_download(stranger, row)
        with app.test_request_context():
            url = media_services.issue_link(row, enrolled)
            with pytest.raises(Forbidden):
                media_services.issue_link(row, stranger)
        db.session.remove()
    served = app.test_client().get(url)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Disposition"].startswith("attachment;")


def test_instructor_uploads_a_resource_file(app, teaching, media_config):
    instructor, ids = teaching
    data = {
        "course": ids["course"],
        "resource_type": _lookup(app, "resource_types", "pdf"),
        "title_en": "Slides",
        "title_ar": "الشرائح",
        "url": "",
        "position": "",
        "file_upload": (io.BytesIO(PDF), "slides.pdf"),
    }
    _multipart(instructor, "/courseresourcemodelview/add", data)
    with app.app_context():
        resource = db.session.scalar(select(CourseResource).where(CourseResource.course_id == ids["course"]))
        assert resource is not None and resource.media_id and resource.url is None
        resource_id, media_id = resource.id, resource.media_id
        db.session.remove()
    media = _media(app, media_id)
    assert (media["mediable_type"], media["mediable_id"]) == ("course_resource", resource_id)
    assert not media["is_temporary"]
    # neither a file, nor an id, nor a link: refused
    data.pop("file_upload")
    page = _multipart(instructor, "/courseresourcemodelview/add", data).get_data(as_text=True)
    assert "Upload a file, or give a media file id or a link." in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", HTML_AS_PDF, "HTML"),
        ("eicar.txt", EICAR, "The file contains a virus or a virus test signature."),
        ("tool.exe", b"MZ\x90\x00", None),
    ],
)
def test_refused_files_flash_the_media_message_and_save_nothing(
    app, teaching, media_config, name, content, message
):
    instructor, ids = teaching
    before = _media_count(app)
    data = _content_form(app, ids["lesson"], file_upload=(io.BytesIO(content), name))
    response = _multipart(instructor, "/lessoncontentmodelview/add", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "alert-danger" in page
    if message:
        assert message in page
    assert _contents(app, ids["lesson"]) == []
    assert _media_count(app) == before
    assert not [p for p in media_config.rglob("*") if p.is_file()]  # no file left in storage


def test_refused_file_on_edit_keeps_the_row_unchanged(app, teaching, media_config):
    instructor, ids = teaching
    _multipart(
        instructor,
        "/lessoncontentmodelview/add",
        _content_form(app, ids["lesson"], file_upload=(io.BytesIO(PDF), "a.pdf")),
    )
    [(content_id, media_id)] = _contents(app, ids["lesson"])
    data = _content_form(
        app,
        ids["lesson"],
        media_id=str(media_id),
        position="7",
        file_upload=(io.BytesIO(EICAR), "b.txt"),
    )
    page = _multipart(instructor, f"/lessoncontentmodelview/edit/{content_id}", data).get_data(as_text=True)
    assert "virus" in page
    with app.app_context():
        row = db.session.get(LessonContent, content_id)
        assert (row.media_id, row.position) == (media_id, 1)
        db.session.remove()


def test_choosing_another_users_media_id_is_refused(app, login_as, teaching, media_config):
    instructor, ids = teaching
    with app.app_context():
        other = make_user("Instructor")
        with app.test_request_context(), transaction():  # the service flushes; its caller commits
            theirs = media_services.upload_files([("theirs.pdf", PDF)], "course_material", other)[0]
        theirs_id = theirs.id
        db.session.remove()
    data = _content_form(app, ids["lesson"], media_id=str(theirs_id))
    page = _multipart(instructor, "/lessoncontentmodelview/add", data).get_data(as_text=True)
    assert "You may only use files you uploaded." in page
    assert _contents(app, ids["lesson"]) == []
    assert _media(app, theirs_id)["is_temporary"]
    # also with an upload in the same form: the forged id is refused and nothing is stored
    before = _media_count(app)
    data["file_upload"] = (io.BytesIO(PDF), "mine.pdf")
    page = _multipart(instructor, "/lessoncontentmodelview/add", data).get_data(as_text=True)
    assert "You may only use files you uploaded." in page
    assert _contents(app, ids["lesson"]) == [] and _media_count(app) == before
    # one's own earlier upload can be chosen by id
    with app.app_context(), app.test_request_context():
        with transaction():  # the service flushes; its caller commits
            me = db.session.get(type(other), instructor.user_id)
            mine_id = media_services.upload_files([("mine.pdf", PDF)], "course_material", me)[0].id
        db.session.remove()
    _multipart(
        instructor, "/lessoncontentmodelview/add", _content_form(app, ids["lesson"], media_id=str(mine_id))
    )
    [(_content_id, media_id)] = _contents(app, ids["lesson"])
    assert media_id == mine_id
    assert (
        _media(app, mine_id)["mediable_type"] == "lesson_content" and not _media(app, mine_id)["is_temporary"]
    )
