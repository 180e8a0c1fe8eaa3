"""Notification parameters in both languages: a sending module passes `{"en": ..., "ar": ...}` and the
reader sees their own language (`inbox.text_of`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import force_locale

from app.core.translations import translated

LANGUAGES = ("en", "ar")


def bilingual(translations: dict[str, Any] | None, field: str = "title") -> dict[str, str]:
    """A translated field (a course's title) in English and in Arabic (English when untranslated)."""
    return {language: translated(translations, field, language) for language in LANGUAGES}


def person(user: Any) -> dict[str, str]:
    """A user's name as readers see it: the Arabic name in Arabic when given."""
    if user is None:
        return {language: "" for language in LANGUAGES}
    english = (user.get_full_name() or "").strip() or user.username
    return {"en": english, "ar": (user.name_ar or "").strip() or english}


def in_each_language(render: Callable[[], Any]) -> dict[str, str]:
    """`render()` once per language under that locale (dates, amounts, lazy strings)."""
    values = {}
    for language in LANGUAGES:
        with force_locale(language):
            values[language] = str(render())
    return values
