"""Column formatters of the back office: dates in the viewer's zone, Yes/No, JSON as labelled lines,
`translations` per language, dashes for empty values and translated role names."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import JSON, Boolean, DateTime, Numeric, String
from sqlalchemy import inspect as sa_inspect

from app.core.bidi import holds_latin_text, latin_value
from app.core.display import code_label, empty, humanized
from app.core.html import plain_text
from app.core.money import amount_html
from app.core.translations import LANGUAGES

LANGUAGE_LABELS = {"en": _l("English"), "ar": _l("Arabic")}
# Money columns (NUMERIC beside a `currency` column) shown in the locale's format, isolated.
MONEY_COLUMNS = frozenset({"price", "amount", "total", "subtotal", "tax_amount", "refunded_amount"})


def format_user_datetime(value: Any) -> str:
    """A datetime in the user's locale and timezone (naive values are UTC)."""
    return format_datetime(value, "medium") if value else ""


def format_yes_no(value: Any) -> Any:
    """A boolean as a translated Yes / No (a dash when unknown)."""
    if value is None:
        return empty()
    return gettext("Yes") if value else gettext("No")


def _json_markup(value: Any) -> Markup:
    if value is None or value == "" or value == {} or value == []:
        return empty()
    if isinstance(value, bool):
        return Markup("{}").format(format_yes_no(value))
    if isinstance(value, dict):
        items = Markup("").join(
            Markup("<li><strong>{}</strong>: {}</li>").format(humanized(str(key)), _json_markup(item))
            for key, item in value.items()
        )
        return Markup('<ul class="list-unstyled lms-json">{}</ul>').format(items)
    if isinstance(value, list):
        return Markup(", ").join(_json_markup(item) for item in value)
    return Markup("{}").format(value)


def format_json(value: Any) -> Markup:
    """A JSON column as labelled lines of text (never a JSON blob); empty values as a dash."""
    return _json_markup(value)


def translations_formatter(field_labels: dict[str, Any]) -> Callable[[Any], Markup]:
    """`translations` shown per language: "English: Title: ...", "Arabic: Title: ..." (text only)."""

    def formatter(value: Any) -> Markup:
        lines = []
        for language in LANGUAGES:
            texts = (value or {}).get(language) or {}
            if not texts:
                continue
            # nh3 returns the text escaped; unescaped here, it is escaped once by Markup.
            parts = Markup("; ").join(
                Markup("{}: {}").format(
                    field_labels.get(field, humanized(field)), html.unescape(plain_text(str(text)))
                )
                for field, text in texts.items()
            )
            direction = "rtl" if language == "ar" else "ltr"
            lines.append(
                Markup('<div lang="{}" dir="{}"><strong>{}:</strong> {}</div>').format(
                    language, direction, LANGUAGE_LABELS[language], parts
                )
            )
        return Markup("").join(lines) if lines else empty()

    return formatter


def format_amount(value: Any) -> Any:
    """An amount of money: the locale's digits and separators, isolated (a dash when empty)."""
    return empty() if value is None else amount_html(value)


def format_latin(value: Any) -> Any:
    """An e-mail, user name, URL, code... read in its own direction on Arabic pages (a dash when empty)."""
    return empty() if value is None or value == "" else latin_value(value)


def format_blank_none(value: Any) -> Any:
    """A dash instead of the word "None" or an empty cell."""
    return empty() if value is None or value == "" else value


COMMON_LABELS = {"translations": _l("Translations"), "seo": _l("SEO")}


def format_related_list(value: Any) -> Any:
    """Related rows as "a, b", not as a Python list (a dash when there are none)."""
    return ", ".join(str(item) for item in value) if value else empty()


def format_roles(value: Any) -> Any:
    """Roles by their translated names."""
    return ", ".join(code_label("role", role.name) for role in value) if value else empty()


def default_formatters(
    model: type[Any], labels: dict[str, Any], given: dict[str, Any] | None
) -> dict[str, Any]:
    """Words for every column a view did not format itself: dates, Yes/No, JSON, dashes, roles."""
    formatters = dict(given or {})
    for prop in sa_inspect(model).column_attrs:
        column_type = prop.columns[0].type
        if isinstance(column_type, DateTime):
            formatters.setdefault(prop.key, format_user_datetime)
        elif isinstance(column_type, Boolean):
            formatters.setdefault(prop.key, format_yes_no)
        elif prop.key == "translations":
            formatters.setdefault(prop.key, translations_formatter(labels))
        elif isinstance(column_type, JSON):
            formatters.setdefault(prop.key, format_json)
        elif isinstance(column_type, Numeric) and prop.key in MONEY_COLUMNS:
            formatters.setdefault(prop.key, format_amount)
        elif isinstance(column_type, String) and holds_latin_text(prop.key):
            formatters.setdefault(prop.key, format_latin)
        else:
            formatters.setdefault(prop.key, format_blank_none)
    for rel in sa_inspect(model).relationships:
        if rel.mapper.class_ is Role:
            formatters.setdefault(rel.key, format_roles)
        formatters.setdefault(rel.key, format_related_list if rel.uselist else format_blank_none)
    return formatters
