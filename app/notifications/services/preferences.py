"""Which channels carry each type to each user: the user's choice, else the site's, else built-in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core.errors import Invalid
from app.extensions import db
from app.lookups.services import values_of
from app.notifications.models import NotificationPreference
from app.notifications.types import CHANNELS, defaults_for

Channels = dict[str, bool]


def notification_types() -> list[Any]:
    """The active notification types (lookup rows), in their order."""
    return values_of("notification_types")


def _as_channels(row: NotificationPreference, type_code: str) -> Channels:
    unavailable = defaults_for(type_code).unavailable
    return {c: bool(getattr(row, c)) and c not in unavailable for c in CHANNELS}


def site_defaults() -> dict[str, Channels]:
    """{type code: channels} as admins set them, else built in."""
    rows = {
        row.type_id: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id.is_(None))
        )
    }
    result = {}
    for kind in notification_types():
        row = rows.get(kind.id)
        result[kind.code] = _as_channels(row, kind.code) if row else defaults_for(kind.code).as_dict()
    return result


def channels_for_users(user_ids: Iterable[int], type_id: int, type_code: str) -> dict[int, Channels]:
    """{user id: channels} for one type, in one query whatever the number of users."""
    ids = list(user_ids)
    rows = db.session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.type_id == type_id,
            or_(NotificationPreference.user_id.in_(ids), NotificationPreference.user_id.is_(None)),
        )
    ).all()
    default = defaults_for(type_code).as_dict()
    own = {}
    for row in rows:
        if row.user_id is None:
            default = _as_channels(row, type_code)
        else:
            own[row.user_id] = _as_channels(row, type_code)
    return {uid: own.get(uid, default) for uid in ids}


def user_preferences(user_id: int) -> dict[str, Channels]:
    """{type code: channels} for one user (their rows over the site's defaults)."""
    result = site_defaults()
    rows = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    for row in rows:
        if row.type.code in result:
            result[row.type.code] = _as_channels(row, row.type.code)
    return result


def _clean(choices: Mapping[str, Mapping[str, Any]]) -> dict[str, Channels]:
    known = {kind.code: kind for kind in notification_types()}
    unknown = sorted(set(choices) - set(known))
    if unknown:
        raise Invalid(_("Unknown notification type."), {"types": unknown})
    cleaned = {}
    for code, channels in choices.items():
        if not isinstance(channels, Mapping) or set(channels) - set(CHANNELS):
            raise Invalid(
                _("Unknown notification channel."), {code: sorted(set(channels or {}) - set(CHANNELS))}
            )
        cleaned[code] = {c: bool(channels.get(c, False)) for c in CHANNELS}
    return cleaned


def save_preferences(user_id: int | None, choices: Mapping[str, Mapping[str, Any]]) -> dict[str, Channels]:
    """Store the choices of a user (None: the site's defaults) for the types given; flushes."""
    cleaned = _clean(choices)
    types = {kind.code: kind for kind in notification_types()}
    owner = (
        NotificationPreference.user_id.is_(None)
        if user_id is None
        else NotificationPreference.user_id == user_id
    )
    existing = {row.type_id: row for row in db.session.scalars(select(NotificationPreference).where(owner))}
    for code, channels in cleaned.items():
        type_id = types[code].id
        row = existing.get(type_id)
        if row is None:
            row = NotificationPreference(user_id=user_id, type_id=type_id, **channels)
            db.session.add(row)
        else:
            for channel, on in channels.items():
                setattr(row, channel, on)
    db.session.flush()
    return site_defaults() if user_id is None else user_preferences(user_id)


def turn_off(user_id: int, type_code: str, channels: Iterable[str]) -> dict[str, Channels]:
    """Switch some channels of one type off for a user (the unsubscribe link)."""
    current = dict(user_preferences(user_id)[type_code])
    for channel in channels:
        current[channel] = False
    return save_preferences(user_id, {type_code: current})
