"""Fields that hold Latin text whatever the page's language (e-mails, user names, URLs, slugs, codes,
phones, external ids): their inputs and shown values take `dir="auto"`, so that on an Arabic page
"user@example.com" is typed and read left to right instead of being mirrored around its punctuation.
Fields of one language (`name_ar`, `name_en`) get that language's direction whatever the page's.

The back office finds them by column name (`BaseModelView`, the user screens); hand-written forms
set the same attributes themselves.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.fields.core import UnboundField

# Exact names and name endings of the columns and form fields that hold Latin text.
LATIN_NAMES = frozenset(
    {
        "email",
        "username",
        "url",
        "slug",
        "code",
        "phone",
        "number",
        "currency",
        "timezone",
        "ip",
        "user_agent",
        "mime_type",
        "extension",
        "sha256",
        "storage_path",
        "transaction_id",
        "idempotency_key",
        "event_id",
        "request_id",
    }
)
LATIN_SUFFIXES = ("_email", "_url", "_slug", "_code", "_phone", "_number", "_ref", "_key", "_external_id")
AUTO_DIRECTION = {"dir": "auto"}


def holds_latin_text(name: str) -> bool:
    """True for a column or field whose name says it holds Latin text (`email`, `external_url`...)."""
    return name in LATIN_NAMES or name.endswith(LATIN_SUFFIXES)


def input_direction(name: str) -> dict[str, str] | None:
    """The direction attributes of a text input by its name: `dir=auto` for Latin text, right to left
    and Arabic for `*_ar` fields, left to right and English for `*_en` ones; None for the others
    (they follow the page)."""
    if holds_latin_text(name):
        return AUTO_DIRECTION
    if name.endswith("_ar"):
        return {"dir": "rtl", "lang": "ar"}
    if name.endswith("_en"):
        return {"dir": "ltr", "lang": "en"}
    return None


def mark_input_directions(form_class: Any) -> list[str]:
    """Give the text inputs of a WTForms form class their direction by name (`input_direction`; a
    field's own render_kw wins); returns the names marked. Changes the class, so every form made
    from it (no-op for None)."""
    marked = []
    for name in dir(form_class) if form_class is not None else ():
        unbound = getattr(form_class, name, None)
        attrs = input_direction(name)
        if not isinstance(unbound, UnboundField) or attrs is None:
            continue
        if not issubclass(unbound.field_class, StringField) or issubclass(unbound.field_class, PasswordField):
            continue
        unbound.kwargs["render_kw"] = {**attrs, **(unbound.kwargs.get("render_kw") or {})}
        marked.append(name)
    return marked


def latin_value(value: Any) -> Markup:
    """A shown value that holds Latin text, in an element that takes its own direction (escaped
    unless it is markup already)."""
    return Markup('<span dir="auto">{}</span>').format(value)
