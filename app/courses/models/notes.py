"""Notes on courses, sections and lessons, with their edit history and likes (PRD 3.1.6)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId
from app.courses.models.course import Course
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class Note(BaseModel):
    """A note on a course, section or lesson; its visibility decides who else may read it."""

    __tablename__ = "note"
    __label__ = _l("Notes")
    __table_args__ = (Index("ix_note_target", "target_type", "target_id"),)
    __audit_ignored__ = frozenset({"updated_at", "like_count"})

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    visibility_id: Mapped[int] = lookup_fk("note_visibility", nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    color: Mapped[str] = mapped_column(String(16), default="yellow", server_default="yellow", nullable=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    like_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    visibility: Mapped[Lookup] = relationship(foreign_keys=[visibility_id], lazy="joined")
    revisions: Mapped[list[NoteRevision]] = relationship(
        back_populates="note", order_by="NoteRevision.created_at.desc()"
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.body[:40]}"


class NoteRevision(BaseModel):
    """A note's text and visibility before an edit, shown to its author as history."""

    __tablename__ = "note_revision"
    __label__ = _l("Note history")

    note_id: Mapped[int] = mapped_column(BigId, ForeignKey("note.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    visibility_id: Mapped[int] = lookup_fk("note_visibility", nullable=False)
    color: Mapped[str] = mapped_column(String(16), nullable=False)
    edited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    note: Mapped[Note] = relationship(back_populates="revisions")
    visibility: Mapped[Lookup] = relationship(foreign_keys=[visibility_id])


class NoteLike(BaseModel):
    """One user's like of a public note."""

    __tablename__ = "note_like"
    __table_args__ = (UniqueConstraint("note_id", "user_id", name="uq_note_like_note_user"),)

    note_id: Mapped[int] = mapped_column(BigId, ForeignKey("note.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
