"""Back-office forms: rich text fields get the editor, English and Arabic side by side, media fields
the picker, currencies, languages and time zones lists of choices (both languages, checked)."""

from __future__ import annotations

import json
import re

import lxml.html
from sqlalchemy import select

from app.assessments.views_base import AssessmentView
from app.core.views import BaseModelView
from app.courses.listeners import RICH_TEXT_FIELDS
from app.courses.models import Course
from app.extensions import appbuilder, db
from app.lookups.services import lookup_id
from app.media import services as media_services
from app.media.models import Media
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.factories import make_user
from tests.media_fixtures import png_bytes


def css(node: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """Elements matching a simple CSS selector (tags, classes, attributes, descendants)."""
    steps = []
    for part in selector.split():
        attributes = re.findall(r"\[([\w-]+)(=)?['\"]?([^'\"\]]*)['\"]?\]", part)
        bare = re.sub(r"\[[^\]]*\]", "", part)
        classes = bare.split(".")[1:]
        tests = [f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in classes]
        tests += [f"@{name}='{value}'" if equals else f"@{name}" for name, equals, value in attributes]
        steps.append((bare.split(".")[0] or "*") + "".join(f"[{test}]" for test in tests))
    return node.xpath(".//" + "//".join(steps))


def _page(client, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.get_data(as_text=True))


def _course_form(app, **extra) -> dict[str, str]:
    with app.app_context():
        draft = lookup_id("course_status", "draft")
        hidden = lookup_id("course_visibility", "draft")
    return {
        "title_en": "Editors course",
        "title_ar": "دورة المحررات",
        "price": "0",
        "currency": "USD",
        "status": str(draft),
        "visibility": str(hidden),
        **extra,
    }


def _stored(app, slug: str) -> Course | None:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if course is not None:
            db.session.expunge(course)
        db.session.remove()
    return course


# ---- rich text and the side-by-side layout ----------------------------------------------------
def test_rich_text_fields_get_the_editor_and_each_language_its_own_direction(app, login_as):
    admin = login_as("Admin")
    page = _page(admin, "/coursemodelview/add")
    english = page.get_element_by_id("description_en")
    arabic = page.get_element_by_id("description_ar")
    assert (english.get("data-richtext"), english.get("lang"), english.get("dir")) == ("ltr", "en", "ltr")
    assert (arabic.get("data-richtext"), arabic.get("lang"), arabic.get("dir")) == ("rtl", "ar", "rtl")
    # A plain translated field is paired too, but keeps a plain textarea.
    title = page.get_element_by_id("title_ar")
    assert title.get("data-richtext") is None and title.get("dir") == "rtl"
    # The editor's scripts come with the form, with the words of the page's language.
    scripts = [s.get("src") for s in page.iter("script") if s.get("src")]
    assert "/static/vendor/quill/quill.js" in scripts
    assert scripts.index("/static/js/media-picker.js") < scripts.index("/static/js/richtext.js")
    config = page.get_element_by_id("lms-editor-config")
    assert config.get("type") == "application/json" and config.get("nonce")
    settings = json.loads(config.text)
    assert settings["labels"]["bold"] == "Bold"
    assert settings["mediaPicker"]["items"] == "/admin/media-picker/items"
    admin.get("/lang/ar")
    arabic_page = _page(admin, "/coursemodelview/add")
    assert json.loads(arabic_page.get_element_by_id("lms-editor-config").text)["labels"]["bold"] == "غامق"
    assert arabic_page.get_element_by_id("description_ar").get("data-richtext") == "rtl"


def test_english_and_arabic_fields_sit_in_one_labelled_pair(app, login_as):
    admin = login_as("Admin")
    for language, english_label, arabic_label in (
        ("en", "Description (English)", "Description (Arabic)"),
        ("ar", "الوصف (الإنجليزية)", "الوصف (العربية)"),
    ):
        admin.get(f"/lang/{language}")
        page = _page(admin, "/coursemodelview/add")
        [pair] = css(page, "[data-translation-pair=description]")
        halves = css(pair, ".lms-translation-field")
        # English first in the markup: the grid puts it left in English and right in Arabic.
        assert [h.get("data-language") for h in halves] == ["en", "ar"]
        labels = [css(h, "label")[0] for h in halves]
        assert [label.get("for") for label in labels] == ["description_en", "description_ar"]
        assert [label.text_content().strip() for label in labels] == [english_label, arabic_label]
        # Every translated field of the form is paired, none is left one under the other.
        pairs = {p.get("data-translation-pair") for p in css(page, "[data-translation-pair]")}
        assert pairs == {"title", "subtitle", "description"}
        assert css(page, "link[href='/static/css/editors.css']")


def test_forms_without_rich_text_pair_their_languages_without_the_editor(app, login_as):
    admin = login_as("Admin")
    page = _page(admin, "/lookuptypemodelview/add")
    assert css(page, "[data-translation-pair=description]")
    assert not css(page, "textarea[data-richtext]")
    assert not [s for s in page.iter("script") if (s.get("src") or "").endswith("richtext.js")]


def test_every_sanitized_field_is_edited_in_the_rich_text_editor(app):
    """The fields the modules sanitize as HTML are the ones their forms give the editor."""
    views = [v for v in appbuilder.baseviews if isinstance(v, BaseModelView)]
    checked = 0
    for view in views:
        model = view.datamodel.obj
        sanitized = set(RICH_TEXT_FIELDS.get(model, ()))
        if isinstance(view, AssessmentView):
            sanitized |= set(view.rich_fields)
        for field in view.translatable_fields:
            for language in ("en", "ar"):
                render_kw = view.add_form_extra_fields[f"{field}_{language}"].kwargs["render_kw"]
                assert ("data-richtext" in render_kw) == (field in sanitized), (type(view).__name__, field)
                checked += field in sanitized
    assert checked >= 20  # courses, lesson contents, banks, questions, options, quizzes, rubrics...


def test_a_script_payload_posted_through_the_form_is_stripped(app, login_as):
    instructor = login_as("Instructor")
    payload = (
        '<p dir="ltr"><strong>Bold</strong> English</p><script>alert(1)</script>'
        '<img src="/media/image/x" alt="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
    )
    data = _course_form(app, description_ar=payload, description_en="<h2 dir='rtl'>عنوان</h2>")
    assert instructor.post("/coursemodelview/add", data=data).status_code == 302
    course = _stored(app, "editors-course")
    stored = course.translations["ar"]["description"]
    assert "<script" not in stored and "alert(1)" not in stored
    assert "onerror" not in stored and "javascript:" not in stored
    assert '<p dir="ltr"><strong>Bold</strong> English</p>' in stored
    assert '<img src="/media/image/x" alt="x">' in stored
    assert course.translations["en"]["description"] == '<h2 dir="rtl">عنوان</h2>'


# ---- media pickers ----------------------------------------------------------------------------
def test_media_fields_are_pickers_in_both_languages(app, login_as):
    admin = login_as("Admin")
    page = _page(admin, "/coursemodelview/add")
    [picker] = css(page, "[data-media-picker]")
    assert (picker.get("data-media-picker"), picker.get("data-kind")) == ("image", "course_material")
    value = css(picker, "input[data-media-value]")[0]
    assert (value.get("name"), value.get("type")) == ("cover_media_id", "number")  # usable without scripts
    assert css(picker, "[data-media-choose]")[0].text_content() == "Choose…"
    assert css(picker, "[data-media-remove]")[0].text_content() == "Remove"
    assert "No file chosen" in picker.text_content()
    content = _page(admin, "/lessoncontentmodelview/add")
    assert [p.get("data-media-picker") for p in css(content, "[data-media-picker]")] == ["any"]
    resource = _page(admin, "/courseresourcemodelview/add")
    assert css(resource, "[data-media-picker] input[name=media_id]")
    admin.get("/lang/ar")
    arabic = css(_page(admin, "/coursemodelview/add"), "[data-media-picker]")[0]
    assert css(arabic, "[data-media-choose]")[0].text_content() == "اختيار…"
    assert css(arabic, "[data-media-remove]")[0].text_content() == "إزالة"


def test_the_picker_shows_the_chosen_file_only_to_who_may_use_it(app, login_as, media_config):
    instructor = login_as("Instructor")
    with app.app_context(), app.test_request_context():
        teacher = db.session.get(LmsUser, instructor.user_id)
        mine = media_services.upload_files([("my-cover.png", png_bytes())], "course_material", teacher)[0]
        other = make_user("Instructor")
        theirs = media_services.upload_files([("their-cover.png", png_bytes())], "course_material", other)[0]
        db.session.commit()
        course = make_course(instructors=[teacher], cover_media_id=mine.id, status="draft")
        ids = (course.id, mine.id, theirs.id)
        db.session.remove()
    course_id, mine_id, theirs_id = ids
    picker = css(_page(instructor, f"/coursemodelview/edit/{course_id}"), "[data-media-picker]")[0]
    assert css(picker, "input[data-media-value]")[0].get("value") == str(mine_id)
    assert css(picker, ".lms-media-name")[0].text == "my-cover.png"
    assert css(picker, ".lms-media-choice img")[0].get("src").startswith("/media/")
    # A forged id of someone else's file is refused and the form shows no name of it.
    response = instructor.post(
        f"/coursemodelview/edit/{course_id}",
        data=_course_form(app, cover_media_id=str(theirs_id), instructors=str(instructor.user_id)),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "You may only use files you uploaded." in page and "their-cover.png" not in page
    with app.app_context():
        assert db.session.get(Course, course_id).cover_media_id == mine_id
        assert db.session.get(Media, theirs_id).is_temporary
        db.session.remove()


# ---- currencies, languages, time zones ---------------------------------------------------------
def _options(page: lxml.html.HtmlElement, name: str) -> dict[str, str]:
    [select_] = css(page, f"select[name={name}]")
    return {o.get("value"): o.text_content() for o in css(select_, "option")}


def test_currencies_are_a_list_named_in_the_viewers_language(app, login_as):
    admin = login_as("Admin")
    options = _options(_page(admin, "/coursemodelview/add"), "currency")
    assert options["SAR"] == "Saudi Riyal (SAR)" and options["USD"] == "US Dollar (USD)"
    assert "ATS" not in options  # the Austrian schilling is no longer legal tender
    plan = _options(_page(admin, "/planmodelview/add"), "currency")
    assert plan["EGP"] == "Egyptian Pound (EGP)"
    admin.get("/lang/ar")
    options = _options(_page(admin, "/coursemodelview/add"), "currency")
    assert options["SAR"] == "ريال سعودي (SAR)"


def test_an_unknown_currency_is_a_form_error_and_a_lower_case_code_is_accepted(app, login_as):
    instructor = login_as("Instructor")
    response = instructor.post("/coursemodelview/add", data=_course_form(app, currency="ZZZ"))
    assert response.status_code == 200  # the form again, with the field's error
    assert "Choose a currency from the list." in response.get_data(as_text=True)
    assert _stored(app, "editors-course") is None
    instructor.get("/lang/ar")
    response = instructor.post("/coursemodelview/add", data=_course_form(app, currency="ZZZ"))
    assert "اختر عملة من القائمة." in response.get_data(as_text=True)
    response = instructor.post("/coursemodelview/add", data=_course_form(app, currency=" sar "))
    assert response.status_code == 302
    assert _stored(app, "editors-course").currency == "SAR"


def test_users_languages_and_time_zones_are_lists_checked_on_the_server(app, login_as, user_factory):
    admin = login_as("Admin")
    user_id, _username = user_factory("Student")
    page = _page(admin, f"/users/edit/{user_id}")
    assert _options(page, "locale") == {"en": "English", "ar": "Arabic (العربية)"}
    zones = _options(page, "timezone")
    assert zones["Asia/Riyadh"] == "Saudi Arabia Time (Asia/Riyadh)" and zones["UTC"] == "UTC"
    admin.get("/lang/ar")
    page = _page(admin, f"/users/edit/{user_id}")
    assert _options(page, "locale") == {"en": "الإنجليزية (English)", "ar": "العربية"}
    assert _options(page, "timezone")["Asia/Riyadh"] == "توقيت المملكة العربية السعودية (Asia/Riyadh)"
    with app.app_context():
        role_id = appbuilder.sm.find_role("Student").id
    form = {
        "roles": str(role_id),
        "first_name": "Sara",
        "last_name": "Mansour",
        "username": _username,
        "email": f"{_username}@example.com",
        "active": "y",
        "locale": "ar",
        "timezone": "Mars/Olympus_Mons",
    }
    response = admin.post(f"/users/edit/{user_id}", data=form)
    assert response.status_code in (200, 422)
    assert "اختر منطقة زمنية من القائمة." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LmsUser, user_id).timezone == "UTC"
        db.session.remove()
    assert admin.post(f"/users/edit/{user_id}", data={**form, "timezone": "Africa/Cairo"}).status_code == 302
    with app.app_context():
        user = db.session.get(LmsUser, user_id)
        assert (user.timezone, user.locale) == ("Africa/Cairo", "ar")
        db.session.remove()


def test_an_optional_time_zone_may_stay_empty(app, login_as):
    admin = login_as("Admin")
    page = _page(admin, "/lookupmodelview/add")
    options = _options(page, "timezone")
    assert options[""] == "" and options["Africa/Cairo"] == "Egypt Time (Africa/Cairo)"
