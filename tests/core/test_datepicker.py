"""The date picker's locale entry: Babel's names in the page's language and the first day of the week
of the language's configured region (CLDR), not a fixed Sunday."""

from __future__ import annotations

import json
import re

from babel import Locale

from app.core.datepicker import datepicker_options


def test_arabic_pages_get_arabic_names_and_the_regions_first_weekday(app, monkeypatch):
    with app.test_request_context("/?_l_=ar"):
        options = datepicker_options()
    assert options["language"] == "ar" and options["rtl"] is True
    assert options["months"][0] == Locale.parse("ar").months["format"]["wide"][1] == "يناير"
    assert options["days"][6] == "السبت" and options["daysMin"][6] == "س"
    assert options["weekStart"] == 6  # Saturday, for the default region (ar_EG)

    # Saudi Arabia's week starts on Sunday (CLDR): configured, the picker follows.
    monkeypatch.setitem(app.config, "CALENDAR_LOCALES", {"ar": "ar_SA", "en": "en_US"})
    with app.test_request_context("/?_l_=ar"):
        assert datepicker_options()["weekStart"] == 0
    monkeypatch.setitem(app.config, "CALENDAR_LOCALES", {"ar": "ar_MA", "en": "en_GB"})
    with app.test_request_context("/?_l_=ar"):
        assert datepicker_options()["weekStart"] == 1  # Morocco: Monday
    with app.test_request_context("/?_l_=en"):
        english = datepicker_options()
    assert english["weekStart"] == 1 and english["rtl"] is False
    assert english["months"][0] == "January" and english["daysMin"][:2] == ["Su", "Mo"]


def test_back_office_pages_carry_the_pickers_locale_before_fabs_script(app, login_as):
    admin = login_as("Admin")
    admin.get("/lang/ar")
    html = admin.get("/admin/").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="lms-datepicker-locale"[^>]*>(.*?)</script>', html)
    assert data is not None and json.loads(data.group(1))["language"] == "ar"
    assert html.index("bootstrap-datepicker.min.js") < html.index("js/datepicker-locale.js")
    assert html.index("js/datepicker-locale.js") < html.index("appbuilder/js/ab.js")
