"""Codes people choose from a list instead of typing: currencies, languages and time zones, named in
the viewer's language by Babel and checked on the server (an unknown code is a form error).

A string column is such a field by its name (`currency`, `language` or `locale`, `timezone`) or by
its info (`info={"choices": "currency" | "language" | "languages" | "timezone"}`; `"choices": None`
opts a column out). `language` means the platform's own languages (config `LANGUAGES`);
`languages` every language Babel knows.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import get_timezone_location
from babel.numbers import get_territory_currencies
from flask import current_app
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy import inspect as sa_inspect
from wtforms import SelectField
from wtforms.validators import ValidationError

BY_NAME = {"currency": "currency", "language": "language", "locale": "language", "timezone": "timezone"}
MESSAGES = {
    "currency": _l("Choose a currency from the list."),
    "language": _l("Choose a language from the list."),
    "languages": _l("Choose a language from the list."),
    "timezone": _l("Choose a time zone from the list."),
}


def _viewer() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else "en"


@cache
def _current_currencies() -> frozenset[str]:
    """Currencies legal tender somewhere today (Babel's list also holds the Austrian schilling...)."""
    codes: set[str] = set()
    for territory in Locale.parse("en").territories:
        codes.update(get_territory_currencies(str(territory)))
    return frozenset(codes)


@cache
def _currencies(viewer: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(viewer).currencies
    labelled = [
        (code, f"{names[code]} ({code})" if code in names else code) for code in _current_currencies()
    ]
    return tuple(sorted(labelled, key=lambda item: item[1].casefold()))


@cache
def _all_languages(viewer: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(viewer).languages
    labelled = [
        (code, f"{name} ({code})") for code, name in names.items() if code.isalpha() and len(code) <= 3
    ]
    return tuple(sorted(labelled, key=lambda item: item[1].casefold()))


def _zone_label(zone: str, viewer: str) -> str:
    if zone == "UTC":
        return "UTC"
    try:
        return f"{get_timezone_location(zone, locale=viewer)} ({zone})"
    except LookupError:  # a zone the system knows and Babel does not
        return zone


@cache
def _timezones(viewer: str) -> tuple[tuple[str, str], ...]:
    zones = sorted(zoneinfo.available_timezones() - {"UTC", "localtime", "Factory"})
    return (("UTC", "UTC"), *((zone, _zone_label(zone, viewer)) for zone in zones))


def _platform_languages(viewer: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(viewer).languages
    labelled = []
    for code in current_app.config["LANGUAGES"]:
        native = Locale.parse(code).languages.get(code, code)
        name = names.get(code, native)
        labelled.append((code, name if name == native else f"{name} ({native})"))
    return tuple(labelled)


SOURCES: dict[str, Callable[[str], tuple[tuple[str, str], ...]]] = {
    "currency": _currencies,
    "language": _platform_languages,
    "languages": _all_languages,
    "timezone": _timezones,
}


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, name in the viewer's language) of a kind of code."""
    return list(SOURCES[kind](_viewer()))


def valid_codes(kind: str) -> frozenset[str]:
    """Every code of a kind (the same in any language)."""
    return frozenset(code for code, _label in SOURCES[kind]("en"))


def is_valid(kind: str, value: Any) -> bool:
    """True for a known code of the kind."""
    return isinstance(value, str) and value in valid_codes(kind)


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CodeChoiceField(SelectField):
    """A Select2 list of codes; an empty value passes only when the column may be empty."""

    def __init__(self, label: Any, kind: str, *, required: bool, **kwargs: Any) -> None:
        self.kind, self.required = kind, required
        filters = [_upper] if kind == "currency" else [_stripped]
        super().__init__(
            label,
            choices=lambda: ([] if required else [("", "")]) + choices(kind),
            filters=filters,
            widget=Select2Widget(),
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        """A known code, or nothing when allowed; anything else is the kind's message, never a 500."""
        value: Any = getattr(self, "data", None)
        if value in (None, "") and not self.required:
            setattr(self, "data", None)  # noqa: B010 - stored as NULL, not as ""
            return
        if not is_valid(self.kind, value):
            raise ValidationError(str(MESSAGES[self.kind]))


def choice_kind(column: Any) -> str | None:
    """The kind of codes a column holds, from its info or its name (string columns only)."""
    if "choices" in column.info:
        return column.info["choices"]
    if isinstance(column.type, String):
        return BY_NAME.get(column.key)
    return None


def choice_columns(model: type[Any]) -> dict[str, tuple[str, bool, Any]]:
    """Attribute name -> (kind, required, default) for every code column of a model."""
    found: dict[str, tuple[str, bool, Any]] = {}
    for prop in sa_inspect(model).column_attrs:
        column = prop.columns[0]
        kind = choice_kind(column)
        if kind in SOURCES:
            default = column.default.arg if column.default is not None and column.default.is_scalar else None
            found[prop.key] = (kind, not column.nullable, default)
    return found


def setup_choice_fields(view: Any, model: type[Any]) -> None:
    """Give a view's add and edit forms a list of choices for each code column (also instead of a
    text field the view declared itself for it, whose label it keeps)."""
    columns = choice_columns(model)
    if not columns:
        return
    labels = view.label_columns or {}
    for attr in ("add_form_extra_fields", "edit_form_extra_fields"):
        extra = dict(getattr(view, attr, None) or {})
        for key, (kind, required, default) in columns.items():
            declared = extra.get(key)
            label = declared.args[0] if declared is not None and declared.args else labels.get(key, key)
            extra[key] = CodeChoiceField(label, kind, required=required, default=default)
        setattr(view, attr, extra)
