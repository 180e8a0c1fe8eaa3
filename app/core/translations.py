"""Content translations: one `translations` JSON column {"en": {...}, "ar": {...}}."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from app.core.errors import Invalid

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


MAX_TRANSLATION_LENGTH = 200_000


def checked_translations(value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """`translations` as stored: {"en"|"ar": {field: text}}; anything else is Invalid (a 422)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(_("Translations must map a language to its texts."), {"translations": ["object"]})
    cleaned: dict[str, Any] = {}
    for language, texts in value.items():
        if language not in LANGUAGES:
            raise Invalid(_("Unknown language '%(code)s'.", code=language), {"translations": list(LANGUAGES)})
        if texts is None:
            continue
        if not isinstance(texts, dict):
            raise Invalid(
                _("Translations must map a language to its texts."), {f"translations.{language}": ["object"]}
            )
        bucket: dict[str, str] = {}
        for field, text in texts.items():
            where = f"translations.{language}.{field}"
            if field not in fields:
                raise Invalid(_("Unknown field '%(field)s'.", field=field), {where: list(fields)})
            if text is None or text == "":
                continue
            if not isinstance(text, str):
                raise Invalid(_("'%(field)s' must be text.", field=field), {where: ["string"]})
            if len(text) > MAX_TRANSLATION_LENGTH:
                raise Invalid(
                    _("'%(field)s' is too long.", field=field), {where: [str(MAX_TRANSLATION_LENGTH)]}
                )
            bucket[field] = text
        if bucket:
            cleaned[language] = bucket
    return cleaned
