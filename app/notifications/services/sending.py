"""notify(): one call per event, in the cause's transaction; delivery runs after the commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Boolean, String, bindparam, cast, func, insert, inspect, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.core import targets
from app.core.errors import Invalid
from app.core.models import utcnow
from app.core.tasks import enqueue
from app.extensions import db
from app.lookups.services import lookup_id
from app.notifications.models import EMAIL_DIGEST, EMAIL_DUE, EMAIL_NONE, Notification
from app.notifications.services.preferences import channels_for_users
from app.security.models import LmsUser

DELIVER_TASK = "app.notifications.tasks.deliver_notifications"
# Actors a grouped notification remembers (not counted twice); beyond, each new one just counts.
MAX_GROUP_ACTORS = 200


def _user_ids(recipients: Iterable[Any] | Any) -> set[int]:
    if isinstance(recipients, (int, LmsUser)) or not isinstance(recipients, Iterable):
        recipients = [recipients]
    ids = set()
    for item in recipients:
        # A row's key without loading it: an expired user object would be refreshed one by one.
        state = inspect(item, raiseerr=False)
        value = state.identity[0] if state is not None and state.identity else getattr(item, "id", item)
        if value is not None:
            ids.add(int(value))
    return ids


def _target_ref(target: Any) -> tuple[str | None, int | None, Any]:
    """(code, id, row) of a target given as a row or as (code, row)."""
    if target is None:
        return None, None, None
    if isinstance(target, tuple):
        code, obj = target
    else:
        code, obj = targets.code_of(target), target
    targets.get_target(code)  # an unknown code is refused here, not when listed
    return code, obj.id, obj


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(params, default=str))
    except (TypeError, ValueError) as exc:
        raise Invalid(f"Notification parameters must be JSON: {exc}") from exc


def dedupe_key(
    type_code: str, code: str | None, target_id: int | None, actor_id: int | None, params: dict[str, Any]
) -> str:
    """The same event told twice (a retried task) has the same key, so it makes one row."""
    raw = json.dumps([type_code, code, target_id, actor_id, params], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _visible_recipients(ids: set[int], code: str | None, obj: Any) -> list[LmsUser]:
    """Active recipients who may see the target, loaded with their roles in one statement."""
    users = (
        db.session.scalars(
            select(LmsUser)
            .where(LmsUser.id.in_(ids), LmsUser.active.is_(True))
            .options(joinedload(LmsUser.roles))
        )
        .unique()
        .all()
    )
    users = [user for user in users if user.is_active]
    if code is None:
        return users
    return [user for user in users if targets.can_view(user, code, obj)]


def notify(
    recipients: Iterable[Any] | Any,
    type_code: str,
    target: Any = None,
    actor: Any = None,
    *,
    key: str | None = None,
    group: str | None = None,
    **params: Any,
) -> list[int]:
    """Tell `recipients` (users or ids) that `type_code` happened to `target`, done by `actor`.

    Never the actor, never someone who cannot see the target, only through the channels each
    recipient keeps on. Rows are written now, in the caller's transaction (a rollback takes them
    back); delivery (real time, e-mail, push) is queued for after the commit. The same event told
    again (same type, target, actor and params, or the same `key`) adds nothing. With `group`, a
    recipient's unread row of the same group takes the event instead of a new row: its actor
    becomes this one and `params["others"]` counts the earlier actors ("Sara and 4 others").
    Returns the ids of the rows written.
    """
    type_id = lookup_id("notification_types", type_code)
    if type_id is None:
        raise Invalid(f"Unknown notification type '{type_code}'")
    actor_id = getattr(actor, "id", actor)
    ids = _user_ids(recipients) - {actor_id}
    if not ids:
        return []
    code, target_id, obj = _target_ref(target)
    params = _jsonable(params)
    users = _visible_recipients(ids, code, obj)
    channels = channels_for_users((u.id for u in users), type_id, type_code)
    dedupe = key or dedupe_key(type_code, code, target_id, actor_id, params)
    rows = []
    for user in users:
        chosen = channels[user.id]
        wants_email = bool(user.email) and (chosen["email"] or chosen["digest"])
        if not (chosen["in_app"] or wants_email or chosen["push"]):
            continue
        email_state = (EMAIL_DIGEST if chosen["digest"] else EMAIL_DUE) if wants_email else EMAIL_NONE
        rows.append(
            {
                "recipient_id": user.id,
                "type_id": type_id,
                "actor_id": actor_id,
                "target_type": code,
                "target_id": target_id,
                "params": params,
                "dedupe_key": dedupe,
                "in_app": chosen["in_app"],
                "email_state": email_state,
                "push_due": chosen["push"],
            }
        )
    written = _insert_grouped(rows, group) if group else _insert(rows)
    if written:
        enqueue(DELIVER_TASK, written)
    return written


def _insert_grouped(rows: list[dict[str, Any]], group: str) -> list[int]:
    """Each recipient's open row of the group takes the event; recipients without one get a new row
    (the new ids). A row per recipient: groups are for events told to a few owners, not to crowds."""
    # A row kept off the in-app list can never be read, so it would stay open and swallow the group's
    # later events: those recipients get a row per event, as without a group.
    written = _insert([row for row in rows if not row["in_app"]])
    for row in rows:
        if not row["in_app"]:
            continue
        row = {**row, "group_key": group}
        recipient_id = row["recipient_id"]
        current = _open_group_row(recipient_id, group)
        if current is None:
            try:
                # Two first events at once: the partial unique index lets one insert, the other joins it.
                with db.session.begin_nested():
                    written.append(
                        db.session.scalar(insert(Notification).values(**row).returning(Notification.id))
                    )
                continue
            except IntegrityError:
                current = _open_group_row(recipient_id, group)
                if current is None:  # the clash was the dedupe key: this event was already told
                    continue
        previous = current.params or {}
        earlier = previous.get("actor_ids") or [current.actor_id]
        if row["actor_id"] not in earlier:  # someone already counted (back after an undo) is not again
            current.params = {
                **row["params"],
                "actor_ids": [*earlier, row["actor_id"]][-MAX_GROUP_ACTORS:],
                "others": int(previous.get("others") or 0) + 1,
            }
            current.actor_id = row["actor_id"]
            current.created_at = utcnow()  # back to the top of the list
    db.session.flush()
    return written


def _open_group_row(recipient_id: int, group: str) -> Notification | None:
    """The recipient's unread, undeleted in-app row of a group, locked."""
    return db.session.scalar(
        select(Notification)
        .where(
            Notification.recipient_id == recipient_id,
            Notification.group_key == group,
            Notification.read_at.is_(None),
            Notification.in_app.is_(True),
        )
        .with_for_update(of=Notification)
    )


def _insert(rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows, skipping those already there (same recipient and key); the new ids."""
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _insert_postgresql(rows)
    stmt = insert(Notification).prefix_with("OR IGNORE").returning(Notification.id)
    return list(db.session.scalars(stmt, rows))


def _insert_postgresql(rows: list[dict[str, Any]]) -> list[int]:
    """One INSERT ... SELECT over unnest() of the per-recipient columns, whatever their number
    (a multi-row VALUES needs a statement per ~2,300 rows under the driver's parameter limit)."""
    first = rows[0]
    shared = ("type_id", "actor_id", "target_type", "target_id", "params", "dedupe_key")
    varying = {
        "recipient_id": BigInteger,
        "in_app": Boolean,
        "email_state": String,
        "push_due": Boolean,
    }
    source = (
        func.unnest(*(cast([row[name] for row in rows], ARRAY(kind)) for name, kind in varying.items()))
        .table_valued(*varying)
        .render_derived()
    )
    columns = Notification.__table__.c
    select_list = [
        *(source.c[name] for name in varying),
        *(bindparam(f"shared_{name}", first[name], type_=columns[name].type) for name in shared),
        func.gen_random_uuid(),
    ]
    stmt = (
        pg_insert(Notification)
        .from_select([*varying, *shared, "uuid"], select(*select_list))
        .on_conflict_do_nothing(constraint="uq_notification_recipient_id")
        .returning(Notification.id)
    )
    return list(db.session.scalars(stmt))
