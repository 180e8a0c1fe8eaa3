"""Automatic audit rows, written in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapper, ORMExecuteState, Session
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from app.audit.context import Actor, current_actor, is_audit_disabled, request_info
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


@dataclass(frozen=True)
class _Plan:
    """What the audit reads of one model, computed once per class (not per row and flush)."""

    pk: str
    columns: tuple[tuple[str, bool], ...]  # (attribute key, redacted) of the audited columns
    column_keys: frozenset[str]
    links: tuple[str, ...]  # many-to-many relationships (a user's roles)


_plans: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        mapper = inspect(cls)
        ignored, redacted = cls.__audit_ignored__, cls.__audit_redacted__  # type: ignore[attr-defined]
        columns = tuple(
            (attr.key, attr.key in redacted) for attr in mapper.column_attrs if attr.key not in ignored
        )
        plan = _Plan(
            pk=mapper.get_property_by_column(mapper.primary_key[0]).key,
            columns=columns,
            column_keys=frozenset(key for key, _ in columns),
            links=tuple(r.key for r in mapper.relationships if r.secondary is not None and not r.viewonly),
        )
        _plans[cls] = plan
    return plan


def _value(cls: Any, key: str, value: Any) -> Any:
    return REDACTED if key in cls.__audit_redacted__ and value is not None else jsonable(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    values = inspect(obj).dict
    return {
        key: REDACTED if redacted and values.get(key) is not None else jsonable(values.get(key))
        for key, redacted in _plan(type(obj)).columns
    }


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Changed columns (old, new) and many-to-many changes as sorted id lists."""
    cls, state = type(obj), inspect(obj)
    plan = _plan(cls)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    # Only attributes set since the load have a committed value: no need to ask every column.
    for key in state.committed_state:
        if key in plan.column_keys:
            history = state.get_history(key, PASSIVE_NO_INITIALIZE)
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
            old[key] = _value(cls, key, before)
            new[key] = _value(cls, key, after)
        elif key in plan.links:
            history = state.get_history(key, PASSIVE_NO_INITIALIZE)
            if history.added or history.deleted:
                old[key] = _ids([*history.unchanged, *history.deleted])
                new[key] = _ids([*history.unchanged, *history.added])
    return old, new


def _ids(items: list[Any]) -> list[Any]:
    return sorted(inspect(item).mapper.primary_key_from_instance(item)[0] for item in items)


def _describe(state_dict: dict[str, Any]) -> str | None:
    for attr in _DESCRIBE_ATTRS:
        if state_dict.get(attr):
            return str(state_dict[attr])[:255]
    return None


class RowMaker:
    """Audit rows of one flush or record: the actor, request and action ids looked up once."""

    def __init__(self, connection: Any, actor: Actor | None = None) -> None:
        self.connection = connection
        who = actor or current_actor()
        self.common = {"actor_id": who.user_id, "actor_label": who.label, **request_info()}
        self.action_ids: dict[str, int] = {}

    def action_id(self, action: str) -> int:
        """The audit_actions lookup id of `action`; an unseeded action is a set-up error."""
        found = self.action_ids.get(action)
        if found is None:
            from app.lookups.services import lookup_id

            found = lookup_id("audit_actions", action, connection=self.connection)
            if found is None:
                raise RuntimeError(
                    f"Audit action '{action}' is not seeded: run `flask app init` (or `flask seed lookups`)."
                )
            self.action_ids[action] = found
        return found

    def row(
        self,
        action: str,
        entity_type: str,
        entity_id: int | None,
        old: dict[str, Any] | None = None,
        new: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """One audit_log row as a JSON-ready dict (the uuid is the column's default)."""
        return {
            "action_id": self.action_id(action),
            "entity_type": entity_type,
            "entity_id": entity_id,
            "old_values": old,
            "new_values": new,
            "description": description,
            **self.common,
        }

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """Write the rows with one statement, prepared once per database connection."""
        if not rows:
            return
        if self.connection.dialect.name != "postgresql":  # the embedded SQLite of `make run`
            self.connection.execute(insert(AuditLog.__table__), rows)
            return
        prepared = self.connection.connection.info  # kept as long as the DBAPI connection lives
        if _STATEMENT not in prepared:
            self.connection.exec_driver_sql(_prepare_statement())
            prepared[_STATEMENT] = True
        self.connection.exec_driver_sql(f"EXECUTE {_STATEMENT}(%s)", (json.dumps(rows),))


# All rows travel as one JSON parameter to a prepared INSERT: PostgreSQL neither parses nor plans a
# multi-row VALUES list on every flush, and SQLAlchemy binds one string instead of a dozen values per
# row. A prepared statement outlives a rollback and is planned again by PostgreSQL if the table changes.
# The rows' uuids are time-ordered (version 7, RFC 9562): random ones put each row in a different leaf
# of the unique index, and that index then cost as much as the rest of the row.
_STATEMENT = "lms_audit_log_insert"
_COLUMNS = (
    "action_id",
    "entity_type",
    "entity_id",
    "old_values",
    "new_values",
    "description",
    "actor_id",
    "actor_label",
    "ip",
    "user_agent",
    "request_id",
)


# A random uuid whose first 48 bits are the Unix time in milliseconds and whose version nibble is 7.
_UUID7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send("
    "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1),"
    " 'hex')::uuid"
)


def _prepare_statement() -> str:
    table = AuditLog.__table__
    dialect = postgresql.dialect()
    typed = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in _COLUMNS)
    names = ", ".join(_COLUMNS)
    # Only names and types of our own table go into the text; the rows are the parameter.
    return (
        f"PREPARE {_STATEMENT} (jsonb) AS INSERT INTO {table.name} (uuid, {names}) "  # noqa: S608
        f"SELECT {_UUID7}, {names} FROM jsonb_to_recordset($1) AS rows({typed})"
    )


def audit_model(cls: type, entity: str, ignored: frozenset[str] = frozenset()) -> None:
    """Audit a model we do not own (FAB's roles) like our own."""
    cls.__audited__ = True  # type: ignore[attr-defined]
    cls.__audit_entity__ = entity  # type: ignore[attr-defined]
    cls.__audit_redacted__ = frozenset()  # type: ignore[attr-defined]
    cls.__audit_ignored__ = ignored  # type: ignore[attr-defined]
    _plans.pop(cls, None)


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
    created = [obj for obj in session.new if is_audited(obj)]
    changed = [obj for obj in session.dirty if is_audited(obj)]
    removed = [obj for obj in session.deleted if is_audited(obj)]
    if not (created or changed or removed):
        return
    maker = RowMaker(session.connection())
    rows: list[dict[str, Any]] = []
    for obj in created:
        values = inspect(obj).dict
        # New rows get their identity key only after the flush; read the id itself.
        entity_id = values.get(_plan(type(obj)).pk)
        rows.append(
            maker.row("created", entity_type_of(obj), entity_id, None, _snapshot(obj), _describe(values))
        )
    for obj in changed:
        old, new = _changes(obj)
        if not new:
            continue
        action = "updated"
        if "is_deleted" in new:
            action = "deleted" if new["is_deleted"] else "restored"
        state = inspect(obj)
        rows.append(
            maker.row(action, entity_type_of(obj), state.identity[0], old, new, _describe(state.dict))
        )
    for obj in removed:
        state = inspect(obj)
        rows.append(
            maker.row("deleted", entity_type_of(obj), state.identity[0], _snapshot(obj), None, "hard delete")
        )
    maker.insert(rows)


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
    maker = RowMaker(connection)
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
            rows.append(maker.row("deleted", entity_type_of(cls), key, old, None))
            continue
        changed = [k for k in new_row if new_row[k] != old_row[k] and k not in cls.__audit_ignored__]
        if not changed:
            continue
        old = {k: _value(cls, k, old_row[k]) for k in changed}
        new = {k: _value(cls, k, new_row[k]) for k in changed}
        action = "updated"
        if "is_deleted" in changed:
            action = "deleted" if new_row["is_deleted"] else "restored"
        rows.append(maker.row(action, entity_type_of(cls), key, old, new))
    maker.insert(rows)
    return result
