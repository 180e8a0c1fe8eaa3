"""The back office's date picker (FAB's bootstrap-datepicker) in the page's language: month and day
names from Babel, and the first day of the week of the language's regional locale
(`CALENDAR_LOCALES`: Saturday in Egypt and most Arab countries, Sunday in Saudi Arabia and the
United States, per CLDR). The page carries them as JSON; static/js/datepicker-locale.js hands them
to the picker before FAB's script sets it up.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import get_locale, gettext


def calendar_locale(language: str) -> Locale:
    """The regional locale whose calendar customs a language's pages follow (`ar` -> `ar_EG`)."""
    configured = (current_app.config.get("CALENDAR_LOCALES") or {}).get(language)
    return Locale.parse(configured or language)


def _sunday_first(names: Any) -> list[str]:
    # Babel numbers days from Monday (0); the picker's arrays start on Sunday.
    return [names[6], *(names[day] for day in range(6))]


def _column_names(names: Locale) -> Any:
    """The weekday column heads: one letter when the letters tell the days apart (Arabic: س ح ن ...),
    else the short names (English "Su Mo Tu", where S and T repeat)."""
    narrow = names.days["stand-alone"]["narrow"]
    return narrow if len(set(narrow.values())) == 7 else names.days["format"]["short"]


def datepicker_options() -> dict[str, Any]:
    """The picker's locale entry for the current language (`$.fn.datepicker.dates[language]`)."""
    current = get_locale()
    language = current.language if current is not None else "en"
    names = Locale.parse(language)
    days = names.days["format"]
    months = names.months["format"]
    return {
        "language": language,
        "days": _sunday_first(days["wide"]),
        "daysShort": _sunday_first(days["abbreviated"]),
        "daysMin": _sunday_first(_column_names(names)),
        "months": [months["wide"][month] for month in range(1, 13)],
        "monthsShort": [months["abbreviated"][month] for month in range(1, 13)],
        "today": gettext("Today"),
        "clear": gettext("Clear"),
        "titleFormat": "MM yyyy",
        "weekStart": (calendar_locale(language).first_week_day + 1) % 7,  # Babel: Monday is 0
        "rtl": names.character_order == "right-to-left",
    }
