"""Arabic back office: right to left, RTL stylesheets, and no English label left on the page."""

from __future__ import annotations

import re

ENGLISH_LABELS = [
    "Settings",
    "Security",
    "Lookups",
    "Lookup Types",
    "Audit Log",
    "My Activity",
    "Search",
    "Add Filter",
    "Record Count",
    "Actions",
    "Export CSV",
    "Logout",
    "Cancel",
    "Groups",
    "User",
]


def _visible_text(html: str, *, with_data: bool = True) -> str:
    tags = "script|style" if with_data else "script|style|td"  # <td>: rows hold data, not labels
    html = re.sub(rf"(?s)<({tags})[^>]*>.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_arabic_pages_are_right_to_left_with_rtl_styles(app, login_as):
    admin = login_as("Admin")
    assert admin.get("/lang/ar").status_code == 302
    for url in ("/admin/", "/lookupmodelview/list/", "/lookuptypemodelview/add", "/auditlogmodelview/list/"):
        html = admin.get(url).get_data(as_text=True)
        assert re.search(r'<html lang="ar" dir="rtl"', html), url
        assert "bootstrap.rtl.min.css" in html and "css/rtl.css" in html, url
        assert "appbuilder/css/bootstrap.min.css" not in html, url


def test_english_pages_stay_left_to_right(app, login_as):
    admin = login_as("Admin")
    html = admin.get("/lookupmodelview/list/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr"' in html
    assert "bootstrap.rtl.min.css" not in html


def test_no_english_label_is_left_on_an_arabic_page(app, login_as):
    admin = login_as("Admin")
    admin.get("/lang/ar")
    for url in ("/lookupmodelview/list/", "/roles/list/", "/users/list/", "/mediamodelview/list/"):
        text = _visible_text(admin.get(url).get_data(as_text=True), with_data=False)
        left = [label for label in ENGLISH_LABELS if re.search(rf"\b{re.escape(label)}\b", text)]
        assert left == [], f"English left on the Arabic page {url}: {left}"
    text = _visible_text(admin.get("/lookupmodelview/list/").get_data(as_text=True))
    for arabic in ("الإعدادات", "سجل التدقيق", "بحث", "عدد السجلات"):
        assert arabic in text, arabic


def test_the_language_comes_from_the_session_then_the_browser(app, client):
    html = client.get("/", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(as_text=True)
    assert 'dir="rtl"' in html
    client.get("/lang/en")
    html = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="ltr"' in html  # an explicit choice beats the browser
    api = client.get("/api/v1/lookup/?_l_=ar")
    assert api.status_code == 401 and api.is_json
