"""Content translations: one `translations` JSON column {"en": {...}, "ar": {...}}."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import get_locale

LANGUAGES = ("en", "ar")


def current_language() -> str:
    """The language of the current request ('en' outside a request)."""
    if not has_request_context():
        return "en"
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def translated(translations: dict[str, Any] | None, field: str, language: str | None = None) -> str:
    """The field in the current (or given) language, falling back to English, then ''."""
    data = translations or {}
    language = language or current_language()
    for lang in (language, "en"):
        value = (data.get(lang) or {}).get(field)
        if value:
            return str(value)
    return ""


def set_translation(
    translations: dict[str, Any] | None, field: str, language: str, value: str | None
) -> dict[str, Any]:
    """A new translations dict with one field of one language set (blank removes it)."""
    data = {lang: dict(fields) for lang, fields in (translations or {}).items()}
    bucket = data.setdefault(language, {})
    if value:
        bucket[field] = value
    else:
        bucket.pop(field, None)
    if not bucket:
        data.pop(language, None)
    return data
