"""Gradebook history, per-course completion settings, and certificates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId
from app.courses.models import Course
from app.media.models import Media
from app.security.models import LmsUser


class GradeChange(BaseModel):
    """One change of a student's grade on a quiz or assignment: who, when, from what, to what."""

    __tablename__ = "grade_change"
    __label__ = _l("Grade history")
    __table_args__ = (CheckConstraint("item_type IN ('quiz', 'assignment')", name="item_type"),)

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    student_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    item_type: Mapped[str] = mapped_column(String(16), nullable=False)
    item_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    old_points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    new_points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    changed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    reason: Mapped[str | None] = mapped_column(String(200))

    course: Mapped[Course] = relationship()
    student: Mapped[LmsUser] = relationship(foreign_keys=[student_id])
    changed_by: Mapped[LmsUser | None] = relationship(foreign_keys=[changed_by_id])


class CourseCompletion(BaseModel):
    """What completing a course takes beyond its required lessons, and whether it earns a certificate."""

    __tablename__ = "course_completion"
    __label__ = _l("Completion criteria")
    __table_args__ = (
        CheckConstraint(
            "min_grade_percent IS NULL OR (min_grade_percent >= 0 AND min_grade_percent <= 100)",
            name="min_grade",
        ),
    )

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, unique=True)
    require_quizzes_passed: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true"), nullable=False
    )
    require_assignments_graded: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    min_grade_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    certificate_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )

    course: Mapped[Course] = relationship()

    def __str__(self) -> str:
        return str(self.course)


class Certificate(BaseModel):
    """A course completion certificate: its public number, state, language and PDF."""

    __tablename__ = "certificate"
    __label__ = _l("Certificates")
    __audit_ignored__ = frozenset({"updated_at"})
    __table_args__ = (
        # One valid certificate per learner and course, whatever runs the issuing task twice.
        Index(
            "uq_certificate_valid",
            "user_id",
            "course_id",
            unique=True,
            postgresql_where=text("is_deleted IS false AND revoked_at IS NULL"),
            sqlite_where=text("is_deleted = 0 AND revoked_at IS NULL"),
        ),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    # Names as they were when issued: a certificate does not change when a profile does.
    student_name: Mapped[str] = mapped_column(String(200), nullable=False)
    course_title: Mapped[str] = mapped_column(String(400), nullable=False)
    language: Mapped[str] = mapped_column(String(8), default="en", nullable=False)
    completed_on: Mapped[date] = mapped_column(Date, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    media_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("media.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    reissued_from_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("certificate.id"))

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    media: Mapped[Media | None] = relationship()
    revoked_by: Mapped[LmsUser | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_valid(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    @property
    def download_count(self) -> int:
        """Downloads of its PDF (counted by the media library)."""
        return self.media.download_count if self.media else 0

    def __str__(self) -> str:
        return self.number
