"""Audit rules: explicit records (views, downloads, logins) and reading an entity's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select, true

from app.audit.context import Actor, user_actor
from app.audit.listeners import RowMaker, jsonable
from app.audit.models import AuditLog
from app.extensions import db
from app.lookups.services import lookup_id


def record(
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    *,
    description: str | None = None,
    old_values: dict[str, Any] | None = None,
    new_values: dict[str, Any] | None = None,
    user: Any = None,
    commit: bool = False,
) -> None:
    """Write one audit row for an action the ORM cannot see (viewed, downloaded, logged_in...)."""
    actor: Actor | None = user_actor(user) if user is not None else None
    maker = RowMaker(db.session.connection(), actor)
    row = maker.row(
        action,
        entity_type,
        entity_id,
        jsonable(old_values) if old_values is not None else None,
        jsonable(new_values) if new_values is not None else None,
        description,
    )
    # Through the session, so that the request's boundary sees work to commit.
    db.session.execute(insert(AuditLog.__table__), [row])
    if commit:  # only for a row that must stay although the request then answers an error
        db.session.commit()


def history(entity_type: str, entity_id: int, scope: ColumnElement[bool] | None = None) -> list[AuditLog]:
    """Every audit row of one entity (within a reader's scope), oldest first."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .where(scope if scope is not None else true())
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return list(db.session.scalars(stmt))


def diff_rows(entry: AuditLog) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for one audit row, fields sorted."""
    old = entry.old_values or {}
    new = entry.new_values or {}
    return [(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new))]


def signed_in_from(user_id: int, ip: str, since: datetime) -> bool:
    """True when the user signed in successfully from this IP address since the given time."""
    stmt = (
        select(AuditLog.id)
        .where(
            AuditLog.entity_type == "user",
            AuditLog.entity_id == user_id,
            AuditLog.action_id == lookup_id("audit_actions", "logged_in"),
            AuditLog.ip == ip,
            AuditLog.created_at >= since,
        )
        .limit(1)
    )
    return db.session.scalar(stmt) is not None
