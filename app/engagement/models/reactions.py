"""Reactions (PRD 3.3.5, 3.5): one per user and target, of a `reaction_types` value, counted per type."""

from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, IdMixin, TimestampMixin
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class Reaction(BaseModel):
    """One user's reaction to one target. Changing it updates the row; removing it soft-deletes
    the row, and reacting again revives it (the unique key spans deleted rows, so a user has one
    row per target for ever and nothing is physically deleted)."""

    __tablename__ = "reaction"
    __label__ = _l("Reactions")
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id", name="uq_reaction_user_target"),
        Index("ix_reaction_target", "target_type", "target_id", "type_id"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    type_id: Mapped[int] = lookup_fk("reaction_types", nullable=False, index=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id], lazy="selectin")
    type: Mapped[Lookup] = relationship(foreign_keys=[type_id], lazy="selectin")

    @property
    def target(self) -> str:
        """`type #id`, for screens."""
        return f"{self.target_type} #{self.target_id}"

    def __str__(self) -> str:
        return f"{self.type_id} → {self.target}"


class ReactionCount(IdMixin, TimestampMixin, Model):
    """How many live reactions of one type a target has, kept by the reaction services."""

    __tablename__ = "reaction_count"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "type_id", name="uq_reaction_count_target_type"),
    )

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    type_id: Mapped[int] = mapped_column(BigId, ForeignKey("lookup.id"), nullable=False)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
