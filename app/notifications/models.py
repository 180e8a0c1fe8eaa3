"""Notifications (PRD 4.5): one row per recipient and event, and each user's channel preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import AuditedMixin, BigId, IdMixin, JsonType, SoftDeleteMixin, TimestampMixin
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser

# How a notification's e-mail stands: none due, one to send now, waiting for the daily digest, sent.
EMAIL_NONE, EMAIL_DUE, EMAIL_DIGEST, EMAIL_SENT = "none", "due", "digest", "sent"


class Notification(IdMixin, TimestampMixin, SoftDeleteMixin, Model):
    """Something that happened, told to one recipient.

    Not audited: rows are written in bulk (an announcement to a whole course) and say what the
    audited rows of their cause already record.
    """

    __tablename__ = "notification"
    __label__ = _l("Notifications")
    __table_args__ = (
        # A retried task or a repeated call makes no second row for the same event.
        UniqueConstraint("recipient_id", "dedupe_key", name="uq_notification_recipient_id"),
        Index("ix_notification_unread", "recipient_id", "read_at", "is_deleted"),
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        Index("ix_notification_email_state", "email_state"),
        # One open (unread, not deleted) row per recipient and group: later events of the group
        # update it ("Sara and 4 others reacted") instead of adding rows.
        Index(
            "uq_notification_open_group",
            "recipient_id",
            "group_key",
            unique=True,
            postgresql_where=text("group_key IS NOT NULL AND in_app AND read_at IS NULL AND NOT is_deleted"),
            sqlite_where=text("group_key IS NOT NULL AND in_app AND read_at IS NULL AND NOT is_deleted"),
        ),
    )

    recipient_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False)
    type_id: Mapped[int] = lookup_fk("notification_types", nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigId)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(64), nullable=False)
    group_key: Mapped[str | None] = mapped_column(String(64))
    # False when the recipient turned the in-app channel off: the row only carries e-mail or push.
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_state: Mapped[str] = mapped_column(
        String(8), default=EMAIL_NONE, server_default=EMAIL_NONE, nullable=False
    )
    push_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)

    recipient: Mapped[LmsUser] = relationship(foreign_keys=[recipient_id])
    actor: Mapped[LmsUser | None] = relationship(foreign_keys=[actor_id])
    type: Mapped[Lookup] = relationship(foreign_keys=[type_id], lazy="joined")

    @property
    def type_code(self) -> str:
        """The notification type's code (`enrollment`, `grade`, ...)."""
        return self.type.code


class NotificationPreference(IdMixin, TimestampMixin, AuditedMixin, Model):
    """Which channels carry one type to one user; rows without a user are the site's defaults."""

    __tablename__ = "notification_preference"
    __label__ = _l("Notification preferences")
    __audit_entity__ = "notification_preference"
    __table_args__ = (
        UniqueConstraint("user_id", "type_id", name="uq_notification_preference_user_id"),
        # NULL users are not equal to each other in a unique constraint: one site default per type.
        Index(
            "uq_notification_preference_default",
            "type_id",
            unique=True,
            postgresql_where=text("user_id IS NULL"),
            sqlite_where=text("user_id IS NULL"),
        ),
    )

    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"), index=True)
    type_id: Mapped[int] = lookup_fk("notification_types", nullable=False)
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False)
    email: Mapped[bool] = mapped_column(Boolean, nullable=False)
    push: Mapped[bool] = mapped_column(Boolean, nullable=False)
    digest: Mapped[bool] = mapped_column(Boolean, nullable=False)

    type: Mapped[Lookup] = relationship(foreign_keys=[type_id], lazy="joined")


class PushSubscription(IdMixin, TimestampMixin, Model):
    """One browser's web push subscription (its push service address and encryption keys).

    Not audited and really deleted: a browser or its push service drops subscriptions at will, and
    the row holds nothing but where and how to reach that browser.
    """

    __tablename__ = "push_subscription"
    __label__ = _l("Browser push subscriptions")

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    # The push service's capability URL: whoever knows it can reach the browser, so it stays private.
    endpoint: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    p256dh: Mapped[str] = mapped_column(String(128), nullable=False)
    auth: Mapped[str] = mapped_column(String(64), nullable=False)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
