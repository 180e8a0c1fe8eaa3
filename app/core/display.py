"""Codes as words on screens: each module registers what its codes mean; core imports no module.

A "kind" groups codes (`gateway`, `plan`, `role`, `task`, `mime_type`, `extension`...). Entity types
(the codes of the audit log and of polymorphic targets) also know the back-office page of a row:
every `BaseModelView` registers its model's type with its singular title and show endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.routing import BuildError

_LABELS: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Entity:
    """An entity type's translated singular name, its model, the endpoint of its show page and the
    labels of its fields (for readable change lists)."""

    label: Any
    endpoint: str | None
    model: type | None = None
    field_labels: Mapping[str, Any] = field(default_factory=dict)


_ENTITIES: dict[str, Entity] = {}


def register_labels(kind: str, labels: Mapping[str, Any]) -> None:
    """Declare translated labels (lazy strings) for codes of one kind; later calls add to earlier ones."""
    _LABELS.setdefault(kind, {}).update(labels)


def humanized(code: str) -> str:
    """A code nobody registered, as readable as it gets: `issue_certificate` -> `Issue certificate`."""
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def code_label(kind: str, code: Any) -> str:
    """The translated label of a code, else the humanized code ('' for no code)."""
    if code is None or code == "":
        return ""
    label = _LABELS.get(kind, {}).get(str(code))
    return str(label) if label is not None else humanized(str(code))


def register_entity(
    entity_type: str,
    label: Any,
    endpoint: str | None = None,
    *,
    model: type | None = None,
    field_labels: Mapping[str, Any] | None = None,
    replace: bool = True,
) -> None:
    """Declare an entity type's name and the view whose show page displays one row.

    Every `BaseModelView` calls it with `replace=False` (the first screen of a model wins); a module
    naming a type itself (users, roles) replaces it.
    """
    if replace or entity_type not in _ENTITIES:
        _ENTITIES[entity_type] = Entity(label, endpoint, model, field_labels or {})


def entity(entity_type: str) -> Entity | None:
    """What is known of an entity type, if anything."""
    return _ENTITIES.get(entity_type)


def entity_label(entity_type: str) -> str:
    """`course` -> "Course" (translated)."""
    known = _ENTITIES.get(entity_type)
    return str(known.label) if known is not None else humanized(entity_type)


def entity_url(entity_type: str, entity_id: Any) -> str | None:
    """The back-office page of one row, when its type has one and the route exists."""
    known = _ENTITIES.get(entity_type)
    if known is None or known.endpoint is None or entity_id is None:
        return None
    try:
        return url_for(f"{known.endpoint}.show", pk=entity_id)
    except BuildError:
        return None


def link(text: Any, url: str | None) -> Markup:
    """Escaped text, linked when there is an address."""
    if url is None:
        return Markup("{}").format(text)
    return Markup('<a href="{}">{}</a>').format(url, text)


def empty() -> Markup:
    """A dash for an empty value, read out as "empty" by screen readers."""
    return Markup('<span aria-label="{}" title="{}">—</span>').format(gettext("Empty"), gettext("Empty"))


def code_formatter(kind: str) -> Callable[[Any], Any]:
    """A list/show formatter showing a code of one kind as its label (a dash when empty)."""

    def formatter(value: Any) -> Any:
        return code_label(kind, value) if value not in (None, "") else empty()

    return formatter
