"""Audit rows as sentences: "Sara Mansour updated Course *Python for Beginners*: Price 0 → 10".

Actors, entity types and field names become words through `app.core.display`, which every module
fills (a screen registers its model's type, a module its tasks' names); nothing here knows a module.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.audit.models import AuditLog
from app.audit.services import diff_rows
from app.core.display import code_label, empty, entity, entity_label, entity_url, humanized, link
from app.core.formatters import format_json
from app.core.references import lookup_choices
from app.core.translations import current_language
from app.extensions import db
from app.security.models import LmsUser

SENTENCES = {
    "created": _l("%(actor)s created %(entity)s"),
    "updated": _l("%(actor)s updated %(entity)s"),
    "deleted": _l("%(actor)s deleted %(entity)s"),
    "restored": _l("%(actor)s restored %(entity)s"),
    "viewed": _l("%(actor)s viewed %(entity)s"),
    "downloaded": _l("%(actor)s downloaded %(entity)s"),
    "logged_in": _l("%(actor)s signed in"),
    "logged_out": _l("%(actor)s signed out"),
    "login_failed": _l("%(actor)s failed to sign in"),
}
SHORT_VALUE = 80  # longer texts are named as changed, not quoted, in a sentence


def _user_names(user_ids: set[int]) -> dict[int, str]:
    """Full names of users, cached for the request (a page repeats the same few actors)."""
    cache: dict[int, str] = g.setdefault("_audit_user_names", {})
    missing = user_ids - set(cache)
    if missing:
        rows = db.session.execute(
            select(LmsUser.id, LmsUser.first_name, LmsUser.last_name, LmsUser.username).where(
                LmsUser.id.in_(missing)
            )
        )
        for user_id, first, last, username in rows:
            cache[user_id] = f"{first or ''} {last or ''}".strip() or username
    return cache


def actor_text(label: str | None, actor_id: int | None = None) -> Markup:
    """`system:issue_certificate` -> "System: Issue certificate"; `user:1` or a user -> their name, linked."""
    if not label:
        return empty()
    if label.startswith("system:"):
        return Markup("{}").format(gettext("System: %(task)s", task=code_label("task", label[7:])))
    if label == "anonymous":
        return Markup("{}").format(gettext("Anonymous visitor"))
    if actor_id is None and label.startswith("user:") and label[5:].isdigit():
        actor_id = int(label[5:])
    if actor_id is None:
        return Markup("{}").format(label)
    name = _user_names({actor_id}).get(actor_id, label)
    return link(name, entity_url("user", actor_id))


def format_actor_label(label: Any) -> Markup:
    """List/show formatter of `actor_label` (the user's id is not at hand: `user:<id>` is looked up)."""
    return actor_text(label)


def _lookup_name(type_code: str, value: Any) -> str | None:
    arabic = current_language() == "ar"
    for pk, name_en, name_ar in lookup_choices(type_code):
        if pk == value:
            return name_ar if arabic and name_ar else name_en
    return None


def _value_text(model: type | None, key: str, value: Any, limit: int | None) -> Markup:
    """One stored value as words: lookups by name, booleans as Yes/No, empty as a dash."""
    if value is None or value == "":
        return empty()
    if isinstance(value, bool):
        return Markup("{}").format(gettext("Yes") if value else gettext("No"))
    if model is not None and key in sa_inspect(model).columns:
        type_code = sa_inspect(model).columns[key].info.get("lookup_type")
        name = _lookup_name(type_code, value) if type_code else None
        if name is not None:
            return Markup("{}").format(name)
    if limit is None:
        return format_json(value)
    text = str(value) if not isinstance(value, dict | list) else ""
    return Markup("{}").format(text) if text and len(text) <= limit else Markup("…")


def _field_label(entity_type: str, key: str) -> str:
    known = entity(entity_type)
    labels = known.field_labels if known is not None else {}
    base = key[:-3] if key.endswith("_id") and key[:-3] in labels else key
    return str(labels.get(base) or humanized(base))


def readable_changes(entry: AuditLog, limit: int | None = None) -> list[tuple[str, Markup, Markup]]:
    """(field label, before, after) of one row as words; values longer than `limit` as "…"."""
    known = entity(entry.entity_type)
    model = known.model if known is not None else None
    return [
        (
            _field_label(entry.entity_type, key),
            _value_text(model, key, before, limit),
            _value_text(model, key, after, limit),
        )
        for key, before, after in diff_rows(entry)
    ]


def _entity_name(entry: AuditLog) -> str:
    """The row's own name (title, name...) now, else as the log last recorded it, else "#id"."""
    row = _entity_row(entry.entity_type, entry.entity_id)
    if row is not None:
        return str(row)
    for values in (entry.new_values or {}, entry.old_values or {}):
        for key in ("title", "name", "code", "username", "number"):
            if isinstance(values.get(key), str) and values[key]:
                return str(values[key])
    return f"#{entry.entity_id}" if entry.entity_id is not None else ""


def entity_title(entity_type: str, entity_id: int) -> Markup:
    """ "Course *Python for Beginners*", linked to the row's page when it has one."""
    row = _entity_row(entity_type, entity_id)
    name = str(row) if row is not None else f"#{entity_id}"
    return Markup("{} {}").format(
        entity_label(entity_type),
        link(Markup("<em>{}</em>").format(name), entity_url(entity_type, entity_id)),
    )


def _entity_row(entity_type: str, entity_id: int | None) -> Any:
    known = entity(entity_type)
    if known is None or known.model is None or entity_id is None:
        return None
    return db.session.get(known.model, entity_id)


def sentence(entry: AuditLog, *, with_changes: bool = True) -> Markup:
    """ "Sara Mansour updated Course *Python for Beginners*: Price 0 → 10" in the reader's language."""
    actor = actor_text(entry.actor_label, entry.actor_id)
    name = _entity_name(entry)
    target = Markup("{} {}").format(
        entity_label(entry.entity_type),
        link(Markup("<em>{}</em>").format(name), entity_url(entry.entity_type, entry.entity_id))
        if name
        else "",
    )
    code = entry.action.code if entry.action is not None else ""
    template = SENTENCES.get(code) or _l("%(actor)s: %(action)s %(entity)s")
    # Markup's % escapes the action's name and keeps the actor's and the entity's links.
    result = Markup.escape(str(template)) % {
        "actor": actor,
        "entity": target,
        "action": str(entry.action or ""),
    }
    changes = readable_changes(entry, SHORT_VALUE) if with_changes and code == "updated" else []
    if changes:
        listed = Markup("; ").join(
            Markup("{} {} → {}").format(label, before, after) for label, before, after in changes
        )
        result = Markup("{}: {}").format(result, listed)
    return result
