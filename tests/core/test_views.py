"""Base views and APIs: CSV export, per-language fields, datetimes, URLs and error conventions."""

from __future__ import annotations

import csv
import io
from html import unescape

from sqlalchemy import select

from app.core.translations import set_translation, translated
from app.extensions import db
from app.lookups.models import LookupType
from tests.factories import make_lookup, make_lookup_type


def test_csv_export_follows_the_current_filters_and_neutralises_formulas(app, login_as):
    with app.app_context():
        ltype = make_lookup_type()
        make_lookup(ltype, code="alpha", name_en='=HYPERLINK("http://evil")')
        make_lookup(ltype, code="beta", name_en="Beta")
        make_lookup(make_lookup_type(), code="elsewhere")
        type_id = ltype.id
    admin = login_as("Admin")
    response = admin.get(f"/lookupmodelview/export/csv?_flt_0_type={type_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Type", "Code", "Name (English)"]
    assert sorted(r[1] for r in body) == ["alpha", "beta"]
    formula_cell = next(r[2] for r in body if r[1] == "alpha")
    assert formula_cell.startswith("'=")
    assert login_as("Student").get("/lookupmodelview/export/csv").status_code == 403


def test_translations_json_is_edited_as_one_field_per_language(app, login_as):
    admin = login_as("Admin")
    form = admin.get("/lookuptypemodelview/add").get_data(as_text=True)
    assert 'name="description_en"' in form
    assert 'name="description_ar"' in form and 'dir="rtl"' in form
    response = admin.post(
        "/lookuptypemodelview/add",
        data={
            "code": "course_level",
            "name_en": "Course level",
            "name_ar": "مستوى الدورة",
            "sort_order": "0",
            "display_order": "0",
            "is_active": "y",
            "description_en": "How hard a course is.",
            "description_ar": "مدى صعوبة الدورة.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        ltype = db.session.scalar(select(LookupType).where(LookupType.code == "course_level"))
        assert ltype.translations == {
            "en": {"description": "How hard a course is."},
            "ar": {"description": "مدى صعوبة الدورة."},
        }
        type_id = ltype.id
    edit = admin.get(f"/lookuptypemodelview/edit/{type_id}").get_data(as_text=True)
    assert "مدى صعوبة الدورة." in edit  # the stored Arabic text fills its field


def test_translated_helper_falls_back_to_english():
    data = {"en": {"title": "Algebra"}, "ar": {"title": "الجبر"}}
    assert translated(data, "title", "ar") == "الجبر"
    assert translated(data, "title", "en") == "Algebra"
    assert translated({"en": {"title": "Algebra"}}, "title", "ar") == "Algebra"
    assert translated(None, "title", "ar") == ""
    assert set_translation(data, "title", "ar", "") == {"en": {"title": "Algebra"}}


def test_datetimes_are_shown_in_the_viewers_timezone(app, user_factory):
    from tests.conftest import login

    _, riyadh = user_factory("Admin", timezone="Asia/Riyadh")
    _, utc = user_factory("Admin", timezone="UTC")
    with app.app_context():
        value = make_lookup()
        value_id = value.id
        stamp = value.created_at
    pages = {}
    for username in (riyadh, utc):
        browser = app.test_client()
        login(browser, username)
        pages[username] = browser.get(f"/lookupmodelview/show/{value_id}").get_data(as_text=True)
    from babel.dates import format_datetime

    assert format_datetime(stamp, "medium", tzinfo="Asia/Riyadh", locale="en") in pages[riyadh]
    assert format_datetime(stamp, "medium", tzinfo="UTC", locale="en") in pages[utc]


def test_back_office_home_is_at_admin_and_the_portal_owns_root(client):
    assert client.get("/admin/").status_code == 200
    home = client.get("/")
    assert home.status_code == 200 and "/admin/" not in home.request.path


def test_api_errors_are_json_with_message_and_errors(app, client, api_as):
    headers = api_as("Admin")
    missing = client.get("/api/v1/lookup/987654321", headers=headers)
    assert missing.status_code == 404 and set(missing.json) >= {"message", "errors"}
    unauthenticated = client.get("/api/v1/lookup/")
    assert unauthenticated.status_code == 401 and "message" in unauthenticated.json
    invalid = client.post("/api/v1/lookup_type/", json={"code": ""}, headers=headers)
    assert invalid.status_code in (400, 422)
    assert "message" in invalid.json and invalid.json["errors"]
    not_json = client.post("/api/v1/lookup_type/", data="{", headers=headers)
    assert not_json.status_code == 400 and "message" in not_json.json
    bad_query = client.get("/api/v1/lookup/?q=(((", headers=headers)
    assert bad_query.status_code == 400 and "message" in bad_query.json


def test_openapi_and_swagger_list_the_apis(app, client, api_as, login_as):
    spec = client.get("/api/v1/_openapi", headers=api_as("Admin"))
    assert spec.status_code == 200
    paths = spec.json["paths"]
    for resource in ("lookup", "lookup_type", "audit_log", "my_activity"):
        assert f"/api/v1/{resource}/" in paths, resource
    assert "/api/v1/security/users/{pk}/suspend" in paths
    assert login_as("Admin").get("/swagger/v1").status_code == 200


def test_statement_counter_header(app, login_as):
    admin = login_as("Admin")
    response = admin.get("/lookupmodelview/list/")
    assert int(response.headers["X-Query-Count"]) > 0
    assert response.headers["X-Request-ID"]


def test_show_page_formats_booleans_json_and_empty_values(app, login_as):
    with app.app_context():
        value = make_lookup(meta={"emoji": "👍"})
        value_id = value.id
    admin = login_as("Admin")
    html = unescape(admin.get(f"/lookupmodelview/show/{value_id}").get_data(as_text=True))
    assert "<strong>Emoji</strong>: 👍" in html and '"emoji"' not in html  # labelled lines, not JSON
    assert ">None<" not in html.replace(" ", "").replace("\n", "")
    assert "Yes" in html  # is_active
    admin.get("/lang/ar")
    assert "نعم" in admin.get(f"/lookupmodelview/show/{value_id}").get_data(as_text=True)
