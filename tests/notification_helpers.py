"""Helpers of the notification wiring tests: a user's rows of a type, their words, their link."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.lookups.services import lookup_id
from app.notifications.models import Notification
from app.notifications.services import open_target
from app.notifications.services.inbox import text_of


def rows_of(user: Any, type_code: str | None = None) -> list[Notification]:
    """The notifications written for a user (of one type), oldest first."""
    query = select(Notification).where(Notification.recipient_id == getattr(user, "id", user))
    if type_code is not None:
        query = query.where(Notification.type_id == lookup_id("notification_types", type_code))
    return list(db.session.scalars(query.order_by(Notification.id)))


def only_row(user: Any, type_code: str) -> Notification:
    """The user's one notification of a type (fails when there are none or several)."""
    found = rows_of(user, type_code)
    assert len(found) == 1, [(row.type_code, row.params) for row in rows_of(user)]
    return found[0]


def texts(row: Notification) -> tuple[str, str]:
    """The sentence in English and in Arabic."""
    return text_of(row, "en"), text_of(row, "ar")


def link_of(user: Any, row: Notification) -> str | None:
    """Where opening the notification leads the user (its path)."""
    with current_app.test_request_context("/"):
        return open_target(user, row.id)
