"""Automatic audit rows, written in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from app.audit.context import current_actor, is_audit_disabled, request_info
from app.audit.models import AuditLog
from app.core.models import entity_type_of

REDACTED = "***"
_DESCRIBE_ATTRS = ("name_en", "name", "title", "code", "username")


def is_audited(cls_or_obj: Any) -> bool:
    """True for models that declare `__audited__` (AuditedMixin)."""
    return bool(getattr(cls_or_obj, "__audited__", False))


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _column_attrs(obj: Any) -> list[Any]:
    mapper = inspect(obj).mapper
    return list(mapper.column_attrs)


def _value(cls: Any, key: str, value: Any) -> Any:
    return REDACTED if key in cls.__audit_redacted__ and value is not None else jsonable(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    cls, state = type(obj), inspect(obj)
    return {
        attr.key: _value(cls, attr.key, state.dict.get(attr.key))
        for attr in _column_attrs(obj)
        if attr.key not in cls.__audit_ignored__
    }


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    cls, state = type(obj), inspect(obj)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for attr in _column_attrs(obj):
        if attr.key in cls.__audit_ignored__:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        old[attr.key] = _value(cls, attr.key, before)
        new[attr.key] = _value(cls, attr.key, after)
    return old, new


def _ids(items: list[Any]) -> list[Any]:
    return sorted(inspect(item).mapper.primary_key_from_instance(item)[0] for item in items)


def _collection_changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Many-to-many changes (a user's roles, a role's permissions) as sorted id lists."""
    state = inspect(obj)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.viewonly:
            continue
        history = state.attrs[rel.key].history
        if not (history.added or history.deleted):
            continue
        old[rel.key] = _ids([*history.unchanged, *history.deleted])
        new[rel.key] = _ids([*history.unchanged, *history.added])
    return old, new


def _describe(state_dict: dict[str, Any]) -> str | None:
    for attr in _DESCRIBE_ATTRS:
        if state_dict.get(attr):
            return str(state_dict[attr])[:255]
    return None


def build_row(
    connection: Any,
    action: str,
    entity_type: str,
    entity_id: int | None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    description: str | None = None,
    actor: Any = None,
) -> dict[str, Any]:
    """One audit_log row as a dict for a Core insert."""
    from app.lookups.services import lookup_id

    action_id = lookup_id("audit_actions", action, connection=connection)
    if action_id is None:
        raise RuntimeError(
            f"Audit action '{action}' is not seeded: run `flask app init` (or `flask seed lookups`)."
        )
    who = actor or current_actor()
    return {
        "uuid": uuid.uuid4(),
        "actor_id": who.user_id,
        "actor_label": who.label,
        "action_id": action_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "old_values": old,
        "new_values": new,
        "description": description,
        **request_info(),
    }


def audit_model(cls: type, entity: str, ignored: frozenset[str] = frozenset()) -> None:
    """Audit a model we do not own (FAB's roles) like our own."""
    cls.__audited__ = True  # type: ignore[attr-defined]
    cls.__audit_entity__ = entity  # type: ignore[attr-defined]
    cls.__audit_redacted__ = frozenset()  # type: ignore[attr-defined]
    cls.__audit_ignored__ = ignored  # type: ignore[attr-defined]


@event.listens_for(Mapper, "mapper_configured")
def _keep_old_values(mapper: Mapper, cls: type) -> None:
    """Load a column's old value when it is set while expired, so updates log "before" too."""
    if is_audited(cls):
        for prop in mapper.column_attrs:
            mapper.class_manager[prop.key].impl.active_history = True


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _flush_context: Any) -> None:
    """Turn the flushed inserts, updates, soft deletes and restores into audit rows."""
    if is_audit_disabled():
        return
    connection = session.connection()
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if is_audited(obj):
            state = inspect(obj)
            rows.append(
                build_row(
                    connection,
                    "created",
                    entity_type_of(obj),
                    # New rows get their identity key only after the flush; read the id itself.
                    state.mapper.primary_key_from_instance(obj)[0],
                    None,
                    _snapshot(obj),
                    _describe(state.dict),
                )
            )
    for obj in session.dirty:
        if not is_audited(obj) or not session.is_modified(obj):
            continue
        old, new = _changes(obj)
        old_links, new_links = _collection_changes(obj)
        old, new = {**old, **old_links}, {**new, **new_links}
        if not new:
            continue
        action = "updated"
        if "is_deleted" in new:
            action = "deleted" if new["is_deleted"] else "restored"
        state = inspect(obj)
        rows.append(
            build_row(
                connection,
                action,
                entity_type_of(obj),
                state.identity[0],
                old,
                new,
                _describe(state.dict),
            )
        )
    for obj in session.deleted:
        if is_audited(obj):
            state = inspect(obj)
            rows.append(
                build_row(
                    connection,
                    "deleted",
                    entity_type_of(obj),
                    state.identity[0],
                    _snapshot(obj),
                    None,
                    "hard delete",
                )
            )
    if rows:
        connection.execute(insert(AuditLog.__table__), rows)


@event.listens_for(Session, "do_orm_execute")
def _audit_bulk_statement(state: ORMExecuteState) -> Any:
    """Bulk UPDATE/DELETE statements skip the flush: audit each affected row here."""
    if not (state.is_update or state.is_delete) or is_audit_disabled():
        return None
    mapper = state.bind_arguments.get("mapper")
    if mapper is None or not is_audited(mapper.class_):
        return None
    cls = mapper.class_
    table = mapper.local_table
    pk = mapper.primary_key[0]
    connection = state.session.connection()
    where = state.statement.whereclause
    before_stmt = select(table) if where is None else select(table).where(where)
    before = {row._mapping[pk.name]: dict(row._mapping) for row in connection.execute(before_stmt)}
    result = state.invoke_statement()
    if not before:
        return result
    after: dict[Any, dict[str, Any]] = {}
    if state.is_update:
        after = {
            row._mapping[pk.name]: dict(row._mapping)
            for row in connection.execute(select(table).where(pk.in_(list(before))))
        }
    rows = []
    for key, old_row in before.items():
        new_row = after.get(key)
        if new_row is None:
            old = {k: _value(cls, k, v) for k, v in old_row.items()}
            rows.append(build_row(connection, "deleted", entity_type_of(cls), key, old, None))
            continue
        changed = [k for k in new_row if new_row[k] != old_row[k] and k not in cls.__audit_ignored__]
        if not changed:
            continue
        old = {k: _value(cls, k, old_row[k]) for k in changed}
        new = {k: _value(cls, k, new_row[k]) for k in changed}
        action = "updated"
        if "is_deleted" in changed:
            action = "deleted" if new_row["is_deleted"] else "restored"
        rows.append(build_row(connection, action, entity_type_of(cls), key, old, new))
    if rows:
        connection.execute(insert(AuditLog.__table__), rows)
    return result
