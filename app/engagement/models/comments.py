"""Universal comments (PRD 3.1.6, 3.3.5): threaded, moderated, flagged, counted per target."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.html import plain_text
from app.core.models import BaseModel, BigId, IdMixin, TimestampMixin
from app.security.models import LmsUser


class Comment(BaseModel):
    """A comment on any registered target; a reply shares its parent's target and thread (`root_id`:
    the top-level comment, None for that one; `depth`: 1 for a top-level comment, 2 for a reply...)."""

    __tablename__ = "comment"
    __label__ = _l("Comments")
    __table_args__ = (Index("ix_comment_target", "target_type", "target_id", "parent_id"),)
    # Counters move with other people's actions; they are not edits of the comment.
    __audit_ignored__ = frozenset({"updated_at", "flag_count", "reply_count"})

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("comment.id"), index=True)
    # The thread's top-level comment (one statement loads a whole thread, whatever its depth).
    root_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("comment.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    is_instructor_response: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    is_hidden: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False, index=True
    )
    hidden_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    flag_count: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", nullable=False, index=True
    )
    reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[LmsUser] = relationship(foreign_keys=[author_id], lazy="selectin")
    hidden_by: Mapped[LmsUser | None] = relationship(foreign_keys=[hidden_by_id])
    parent: Mapped[Comment | None] = relationship(remote_side="Comment.id", foreign_keys=[parent_id])
    root: Mapped[Comment | None] = relationship(remote_side="Comment.id", foreign_keys=[root_id])

    @property
    def excerpt(self) -> str:
        """The first words of the comment, without markup (lists, notifications)."""
        text = plain_text(self.body)
        return text if len(text) <= 80 else text[:79] + "…"

    @property
    def target(self) -> str:
        """`type #id`, for screens."""
        return f"{self.target_type} #{self.target_id}"

    def __str__(self) -> str:
        return self.excerpt or f"{type(self).__name__} #{self.id}"


class CommentFlag(BaseModel):
    """One user's report of a comment (once per user)."""

    __tablename__ = "comment_flag"
    __label__ = _l("Comment flags")
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_comment_flag_comment_user"),)

    comment_id: Mapped[int] = mapped_column(BigId, ForeignKey("comment.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="", nullable=False)

    comment: Mapped[Comment] = relationship()
    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])


class CommentCount(IdMixin, TimestampMixin, Model):
    """The number of comments others can see on one target, kept by the comment services."""

    __tablename__ = "comment_count"
    __table_args__ = (UniqueConstraint("target_type", "target_id", name="uq_comment_count_target"),)

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
