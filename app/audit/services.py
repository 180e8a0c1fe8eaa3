"""Audit rules: explicit records (views, downloads, logins) and reading an entity's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, true

from app.audit.context import Actor, current_actor, request_info, user_actor
from app.audit.listeners import RowMaker, jsonable
from app.audit.models import AuditLog
from app.audit.scopes import viewed_clause
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import lookup_id
from app.security.models import LmsUser


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


def deferred_row(action: str, entity_type: str, entity_id: int | None, *, user: Any = None) -> dict[str, Any]:
    """An audit row to write later, in bulk (`record_rows`): what, who, from where and when, as JSON
    values, read without the database (page views are recorded this way: no write per view)."""
    actor = user_actor(user) if user is not None else current_actor()
    return {
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        **request_info(),
        "created_at": utcnow().isoformat(),
    }


def record_rows(rows: list[dict[str, Any]]) -> int:
    """Write `deferred_row`s with one statement (each keeps its own time); how many were written.

    A row made for a user deleted since keeps its actor label without the user's id (`actor_id`
    has a foreign key): a vanished user never fails the rows written with theirs.
    """
    if not rows:
        return 0
    actor_ids = {int(row["actor_id"]) for row in rows if row.get("actor_id") is not None}
    existing: set[int] = set()
    if actor_ids:
        stmt = select(LmsUser.id).where(LmsUser.id.in_(actor_ids)).execution_options(include_deleted=True)
        existing = set(db.session.scalars(stmt))  # soft-deleted users still have their row
    action_ids: dict[str, int | None] = {}
    values = []
    for row in rows:
        action = str(row["action"])
        if action not in action_ids:
            action_ids[action] = lookup_id("audit_actions", action)
        if action_ids[action] is None:
            raise RuntimeError(f"Audit action '{action}' is not seeded: run `flask app init`.")
        when = datetime.fromisoformat(str(row["created_at"]))
        values.append(
            {
                "action_id": action_ids[action],
                "entity_type": str(row["entity_type"])[:64],
                "entity_id": row.get("entity_id"),
                "actor_id": row["actor_id"] if row.get("actor_id") in existing else None,
                "actor_label": str(row.get("actor_label") or "anonymous")[:150],
                "ip": row.get("ip"),
                "user_agent": row.get("user_agent"),
                "request_id": row.get("request_id"),
                "created_at": when,
                "updated_at": when,
            }
        )
    db.session.execute(insert(AuditLog.__table__), values)
    return len(values)


def history(
    entity_type: str,
    entity_id: int,
    scope: ColumnElement[bool] | None = None,
    *,
    with_views: bool = False,
) -> list[AuditLog]:
    """Every audit row of one entity (within a reader's scope), oldest first.

    Without the recorded page views ("viewed" rows, one per member and window: thousands on a popular
    course) unless `with_views`; `view_total` counts them and the "Page views" screen lists them.
    """
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .where(scope if scope is not None else true())
        .where(true() if with_views else ~viewed_clause())
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return list(db.session.scalars(stmt))


def view_total(entity_type: str, entity_id: int, scope: ColumnElement[bool] | None = None) -> int:
    """How many recorded page views ("viewed" rows) one entity has (within a reader's scope)."""
    stmt = (
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id, viewed_clause())
        .where(scope if scope is not None else true())
    )
    return int(db.session.scalar(stmt) or 0)


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
