"""Favorites (PRD 3.5): a user's saved targets, their private collections and per-target counters."""

from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, IdMixin, TimestampMixin
from app.security.models import LmsUser

# The fixed palette of collection colours (CSS classes `lms-fav-colour-<code>`), with their names.
COLLECTION_COLOURS = {
    "grey": _l("Grey"),
    "red": _l("Red"),
    "orange": _l("Orange"),
    "green": _l("Green"),
    "teal": _l("Teal"),
    "blue": _l("Blue"),
    "purple": _l("Purple"),
    "pink": _l("Pink"),
}
DEFAULT_COLOUR = "blue"


class FavoriteCollection(BaseModel):
    """A user's own named, coloured group of favorites (private to that user)."""

    __tablename__ = "favorite_collection"
    __label__ = _l("Favorite collections")

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    colour: Mapped[str] = mapped_column(String(16), default=DEFAULT_COLOUR, nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])


class Favorite(IdMixin, TimestampMixin, Model):
    """One user's favorite of one target. Never soft-deleted: unfavoriting removes the row, and a
    target that is deleted or hidden keeps it (the list skips it until the target is back)."""

    __tablename__ = "favorite"
    __label__ = _l("Favorites")
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id", name="uq_favorite_user_target"),
        Index("ix_favorite_target", "target_type", "target_id"),
        Index("ix_favorite_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    collection_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("favorite_collection.id"), index=True)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    collection: Mapped[FavoriteCollection | None] = relationship()

    @property
    def target(self) -> str:
        """`type #id`, for screens."""
        return f"{self.target_type} #{self.target_id}"

    def __str__(self) -> str:
        return f"{self.target} ({self.user_id})"


class FavoriteCount(IdMixin, TimestampMixin, Model):
    """The number of favorites of one target, kept by the favorite services."""

    __tablename__ = "favorite_count"
    __table_args__ = (UniqueConstraint("target_type", "target_id", name="uq_favorite_count_target"),)

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
