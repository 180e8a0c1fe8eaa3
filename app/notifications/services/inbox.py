"""A user's notifications: list (visibility checked again), count, word, read, delete."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import url_for
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.core import targets
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.translations import current_language
from app.extensions import db
from app.lookups.services import lookup_id
from app.notifications.models import Notification
from app.notifications.types import message_for

PAGE_SIZE = 20


def _own(user_id: int) -> Any:
    return (Notification.recipient_id == user_id) & Notification.in_app.is_(True)


def unread_count(user_id: int) -> int:
    """Unread notifications shown in the app (the bell's number)."""
    stmt = select(func.count()).select_from(Notification).where(_own(user_id), Notification.read_at.is_(None))
    return int(db.session.scalar(stmt) or 0)


def unread_counts(user_ids: list[int]) -> dict[int, int]:
    """{user id: unread count} for many users in one statement."""
    stmt = (
        select(Notification.recipient_id, func.count())
        .where(
            Notification.recipient_id.in_(user_ids),
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
        .group_by(Notification.recipient_id)
    )
    counts = {uid: 0 for uid in user_ids}
    counts.update({uid: int(n) for uid, n in db.session.execute(stmt)})
    return counts


def targets_of(rows: list[Notification]) -> dict[tuple[str, int], Any]:
    """The target rows of many notifications: one query per target type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.target_type and row.target_id is not None:
            wanted[row.target_type].add(row.target_id)
    found: dict[tuple[str, int], Any] = {}
    for code, ids in wanted.items():
        try:
            model: Any = targets.get_target(code).model
        except NotFound:
            continue  # a type no longer registered: its notifications are hidden
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(code, obj.id)] = obj
    return found


def is_visible(user: Any, row: Notification, found: dict[tuple[str, int], Any]) -> bool:
    """True when the notification has no subject or the user may still see it."""
    if not row.target_type:
        return True
    obj = found.get((row.target_type, row.target_id or 0))
    return obj is not None and targets.can_view(user, row.target_type, obj)


def list_notifications(
    user: Any,
    *,
    unread_only: bool = False,
    type_code: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the user's notifications, newest first, worded, and the total.

    A notification whose subject the user can no longer see (unenrolled, deleted) is not shown and
    stops counting as unread.
    """
    conditions = [_own(user.id)]
    if unread_only:
        conditions.append(Notification.read_at.is_(None))
    if type_code:
        conditions.append(Notification.type_id == lookup_id("notification_types", type_code))
    total = int(db.session.scalar(select(func.count()).select_from(Notification).where(*conditions)) or 0)
    rows = db.session.scalars(
        select(Notification)
        .where(*conditions)
        .options(joinedload(Notification.actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    found = targets_of(list(rows))
    hidden = [row.id for row in rows if not is_visible(user, row, found)]
    if hidden:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(hidden), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return [describe(row) for row in rows if row.id not in hidden], total


def _param(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def actor_name(row: Notification, language: str) -> str:
    """The actor's name in the reader's language (the Arabic name in Arabic when given)."""
    actor = row.actor
    if actor is None:
        return ""
    if language == "ar" and actor.name_ar:
        return actor.name_ar
    return actor.get_full_name().strip() or actor.username


def text_of(row: Notification, language: str | None = None) -> str:
    """What happened, as a sentence in the reader's language."""
    language = language or current_language()
    values: dict[str, str] = defaultdict(str)
    values.update({name: _param(value, language) for name, value in (row.params or {}).items()})
    message = message_for(row.type_code, row.params or {})
    with force_locale(language):
        values["actor"] = actor_name(row, language) or _("Someone")
        if message is None:
            return row.type.name
        if callable(message) and not isinstance(message, LazyString):
            return str(message(row.params or {}, values))  # a sentence that depends on a count
        return str(message) % values


def describe(row: Notification) -> dict[str, Any]:
    """A notification as the list, the bell and the API show it."""
    return {
        "id": row.id,
        "type": row.type_code,
        "type_label": row.type.name,
        "text": text_of(row),
        "actor_id": row.actor_id,
        "actor": row.actor,  # for pages (the avatar); JSON answers leave it out
        "target_type": row.target_type,
        "target_id": row.target_id,
        "created_at": row.created_at,
        "read": row.read_at is not None,
        "url": url_for("NotificationsView.open", notification_id=row.id),
    }


def own_notification(user: Any, notification_id: int) -> Notification:
    """The user's notification, or NotFound (someone else's too)."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.recipient_id != getattr(user, "id", None):
        raise NotFound(_("Notification not found."))
    return row


def mark_read(user: Any, notification_id: int) -> Notification:
    """Mark one read (again: nothing changes)."""
    row = own_notification(user, notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return row


def mark_all_read(user: Any) -> int:
    """Mark every unread notification of the user read; how many were."""
    result = db.session.execute(
        update(Notification).where(_own(user.id), Notification.read_at.is_(None)).values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_notification(user: Any, notification_id: int) -> None:
    """Move one to the trash (soft delete)."""
    row = own_notification(user, notification_id)
    row.is_deleted = True
    row.deleted_at = utcnow()
    db.session.flush()


def open_target(user: Any, notification_id: int) -> str | None:
    """Mark it read and say where its subject is, if the user may still see it."""
    row = mark_read(user, notification_id)
    if not row.target_type or row.target_id is None:
        return None
    found = targets_of([row])
    if not is_visible(user, row, found):
        return None
    return targets.target_url(user, row.target_type, found[(row.target_type, row.target_id)])
