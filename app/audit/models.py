"""The append-only audit log (PRD 3.13)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BigId, IdMixin, JsonType, TimestampMixin
from app.lookups.models import Lookup
from app.security.models import LmsUser


class AuditLog(IdMixin, TimestampMixin, Model):
    """One action on one entity: who, what, from which values to which, from where."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_actor_created", "actor_id", "created_at"),
        Index("ix_audit_log_created_at", "created_at", "id"),  # newest-first pages
    )

    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    actor_label: Mapped[str] = mapped_column(String(150), nullable=False)
    # No index: a handful of actions, and every query by action also filters a selective column.
    # No foreign key either (migration 0013): the check locked the same lookup rows on every write.
    action_id: Mapped[int] = mapped_column(BigId, nullable=False, info={"lookup_type": "audit_actions"})
    # A code: the list filters it by equality first (ix_audit_log_entity), not "starts with".
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False, info={"search": "equal"})
    entity_id: Mapped[int | None] = mapped_column(BigId)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    description: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)

    actor: Mapped[LmsUser | None] = relationship(foreign_keys=[actor_id])
    # Lookup's side first: with no foreign key, FAB's joins for `action.code` take the right-hand
    # column as the local one.
    action: Mapped[Lookup] = relationship(
        primaryjoin="Lookup.id == AuditLog.action_id", foreign_keys=[action_id], lazy="joined", viewonly=True
    )

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action_id} {self.entity_type}#{self.entity_id}"


# The list's "starts with" on the actor is lower(actor_label) LIKE 'x%' (core.interface).
Index(
    "ix_audit_log_actor_label_prefix",
    func.lower(AuditLog.actor_label).label("lower_actor_label"),
    postgresql_ops={"lower_actor_label": "text_pattern_ops"},
)
