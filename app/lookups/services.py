"""Lookup rules: cached id by code, seeding from YAML (upsert by code), locked system lookups."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.lookups.models import Lookup, LookupType

SEED_DIR = Path(__file__).resolve().parents[2] / "seed" / "lookups"

_cache: dict[tuple[str, str], tuple[int | None, float]] = {}
_cache_lock = threading.Lock()
_choices_cache: dict[str, tuple[dict[str, list[tuple[int, str, str]]], float]] = {}


def clear_lookup_cache() -> None:
    """Forget every cached lookup id (called after a commit that changed lookups)."""
    with _cache_lock:
        _cache.clear()
        _choices_cache.clear()


@event.listens_for(Session, "after_flush")
def _forget_changed_lookups(session: Session, _flush_context: Any) -> None:
    """A change to any lookup empties this process's cache (others expire it by TTL)."""
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, Lookup | LookupType) for obj in changed):
        clear_lookup_cache()


# What the code relies on in a system lookup: every other field (names, order, metadata) stays editable.
LOCKED_FIELDS = {
    LookupType: ("code",),
    Lookup: ("code", "type", "type_id"),
}


def _locked_changes(item: Lookup | LookupType) -> list[str]:
    """The locked fields changed (in the session, not yet flushed) on a system lookup."""
    state = sa_inspect(item)
    if not item.is_system or state.transient or state.pending:
        return []
    changed = [name for name in LOCKED_FIELDS[type(item)] if state.attrs[name].history.has_changes()]
    # Deactivating or deleting is refused; reactivating or restoring from the Trash is welcome.
    changed += [
        name for name in ("is_active",) if not item.is_active and state.attrs[name].history.has_changes()
    ]
    changed += [
        name for name in ("is_deleted",) if item.is_deleted and state.attrs[name].history.has_changes()
    ]
    return list(dict.fromkeys("type" if name == "type_id" else name for name in changed))


def _refusal(item: Lookup | LookupType, fields: list[str]) -> Conflict:
    message = _(
        "“%(name)s” is a system value the platform relies on: its code, type and active state cannot "
        "change and it cannot be deleted. Its names, order and metadata can be edited.",
        name=item.name_en,
    )
    return Conflict(message, {field: [_("Locked on a system value.")] for field in fields})


def check_system_change(item: Lookup | LookupType) -> None:
    """Refuse (409) a change to a system lookup's code, type, active flag or deletion."""
    fields = _locked_changes(item)
    if fields:
        raise _refusal(item, fields)


def check_system_delete(item: Lookup | LookupType) -> None:
    """Refuse (409) deleting or soft-deleting a system lookup."""
    if item.is_system:
        raise _refusal(item, ["is_deleted"])


@event.listens_for(Session, "before_flush")
def _guard_system_lookups(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Whatever the path (screen, API, bulk action, service), a system lookup keeps its code and exists."""
    for obj in session.deleted:
        if isinstance(obj, Lookup | LookupType):
            check_system_delete(obj)
    for obj in session.dirty:
        if isinstance(obj, Lookup | LookupType):
            check_system_change(obj)


def _ttl() -> int:
    return current_app.config.get("LOOKUP_CACHE_SECONDS", 300) if has_app_context() else 300


def _cached(key: tuple[str, str], fetch: Callable[[], int | None]) -> int | None:
    """A cached id; a missing one is not cached (it may be seeded any moment)."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]
    value = fetch()
    if value is not None:
        with _cache_lock:
            _cache[key] = (value, now + _ttl())
    return value


# Built once: a cache hit costs a dict lookup, not a statement (the audit asks on every flush).
_LOOKUP, _LOOKUP_TYPE = Lookup.__table__, LookupType.__table__
_LOOKUP_ID = (
    select(_LOOKUP.c.id)
    .join(_LOOKUP_TYPE, _LOOKUP_TYPE.c.id == _LOOKUP.c.type_id)
    .where(
        _LOOKUP_TYPE.c.code == bindparam("type_code"),
        _LOOKUP.c.code == bindparam("code"),
        _LOOKUP.c.is_deleted.is_(False),
        _LOOKUP_TYPE.c.is_deleted.is_(False),
    )
)
_LOOKUP_TYPE_ID = select(_LOOKUP_TYPE.c.id).where(
    _LOOKUP_TYPE.c.code == bindparam("type_code"), _LOOKUP_TYPE.c.is_deleted.is_(False)
)


def lookup_id(type_code: str, code: str, connection: Connection | None = None) -> int | None:
    """The id of an active, non-deleted lookup value by type and code, cached per process."""

    def fetch() -> int | None:
        conn = connection if connection is not None else db.session.connection()
        return conn.execute(_LOOKUP_ID, {"type_code": type_code, "code": code}).scalar()

    return _cached((type_code, code), fetch)


def lookup_id_subquery(type_code: str, code: str) -> Any:
    """The id of a lookup value as a scalar subquery: a filter on it costs no statement of its own
    (`lookup_id` costs one the first time a process asks)."""
    return _LOOKUP_ID.params(type_code=type_code, code=code).scalar_subquery()


def require_lookup_id(type_code: str, code: str) -> int:
    """Like lookup_id, but a missing value is an error."""
    value = lookup_id(type_code, code)
    if value is None:
        raise NotFound(f"Unknown lookup {type_code}.{code}")
    return value


def lookup_type_id(type_code: str) -> int | None:
    """The id of a lookup type by code, cached (forms ask for it on every render)."""
    params = {"type_code": type_code}
    return _cached((type_code, ""), lambda: db.session.connection().execute(_LOOKUP_TYPE_ID, params).scalar())


def lookup_choices(type_code: str) -> list[tuple[int, str, str]]:
    """(id, English name, Arabic name) of a type's active values in display order, cached like ids.

    Search forms offer them on every list page (a count and a select per lookup filter made 10
    of the back-office course list's 16 statements); every type is loaded in one query.
    """
    now = time.monotonic()
    hit = _choices_cache.get("")
    if hit is None or hit[1] <= now:
        stmt = (
            select(LookupType.code, Lookup.id, Lookup.name_en, Lookup.name_ar)
            .join(Lookup.type)
            .where(Lookup.is_active.is_(True))
            .order_by(Lookup.sort_order, Lookup.id)
        )
        by_type: dict[str, list[tuple[int, str, str]]] = {}
        for code, pk, name_en, name_ar in db.session.execute(stmt):
            by_type.setdefault(code, []).append((pk, name_en, name_ar))
        hit = (by_type, now + _ttl())
        with _cache_lock:
            _choices_cache[""] = hit
    return hit[0].get(type_code, [])


def values_of(type_code: str, *, active_only: bool = True) -> list[Lookup]:
    """The values of one type in display order."""
    stmt = (
        select(Lookup)
        .join(Lookup.type)
        .where(LookupType.code == type_code)
        .order_by(Lookup.sort_order, Lookup.id)
    )
    if active_only:
        stmt = stmt.where(Lookup.is_active.is_(True))
    return list(db.session.scalars(stmt))


def _load_seed_files(directory: Path) -> list[dict[str, Any]]:
    types: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise Invalid(f"{path.name}: expected a list of lookup types")
        types.extend(data)
    return types


def _description(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in ("en", "ar"):
        text = item.get(f"description_{lang}")
        if text:
            out[lang] = {"description": text}
    return out


def seed_lookups(directory: Path = SEED_DIR, only: tuple[str, ...] | None = None) -> dict[str, int]:
    """Upsert every lookup type and value from the YAML files by code; returns counts."""
    specs = [s for s in _load_seed_files(directory) if only is None or s["code"] in only]
    existing_types = {
        t.code: t for t in db.session.scalars(select(LookupType).execution_options(include_deleted=True))
    }
    counts = {"types_created": 0, "values_created": 0, "updated": 0}
    for spec in specs:
        ltype = existing_types.get(spec["code"])
        if ltype is None:
            ltype = LookupType(code=spec["code"])
            db.session.add(ltype)
            existing_types[spec["code"]] = ltype
            counts["types_created"] += 1
        _mark_system(ltype)
        _assign(ltype, spec, counts, ("name_en", "name_ar"))
        ltype.translations = _description(spec) or ltype.translations or {}
        db.session.flush()
    # Parents of types and values point at codes; resolve after everything exists.
    for spec in specs:
        ltype = existing_types[spec["code"]]
        if spec.get("parent") and spec["parent"] in existing_types:
            ltype.parent_id = existing_types[spec["parent"]].id
        _seed_values(ltype, spec.get("values") or [], counts)
    db.session.flush()
    clear_lookup_cache()
    return counts


def _mark_system(obj: Lookup | LookupType) -> None:
    """Everything seeded from seed/lookups is a system lookup (admins' own additions are not)."""
    if not obj.is_system:
        obj.is_system = True


def _assign(obj: Any, spec: dict[str, Any], counts: dict[str, int], fields: tuple) -> None:
    changed = False
    for field in fields:
        if field in spec and getattr(obj, field) != spec[field]:
            setattr(obj, field, spec[field])
            changed = True
    seeded = spec.get("metadata") or {}
    current = obj.meta or {}
    if any(current.get(key) != value for key, value in seeded.items()):
        # Seeded keys win; keys added at run time (e.g. a storage provider's settings) stay.
        obj.meta = {**current, **seeded}
        changed = True
    if changed and obj.id is not None:
        counts["updated"] += 1


def _seed_values(ltype: LookupType, specs: list[dict[str, Any]], counts: dict[str, int]) -> None:
    existing = {
        v.code: v
        for v in db.session.scalars(
            select(Lookup).where(Lookup.type_id == ltype.id).execution_options(include_deleted=True)
        )
    }
    for spec in specs:
        value = existing.get(spec["code"])
        if value is None:
            value = Lookup(code=spec["code"], type_id=ltype.id)
            db.session.add(value)
            existing[spec["code"]] = value
            counts["values_created"] += 1
        _mark_system(value)
        _assign(value, spec, counts, ("name_en", "name_ar", "sort_order", "timezone"))
        translations = _description(spec)
        if translations and value.translations != translations:
            value.translations = translations
    db.session.flush()
    for spec in specs:
        if spec.get("parent"):
            existing[spec["code"]].parent_id = existing[spec["parent"]].id
