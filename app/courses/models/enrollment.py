"""Enrolments, per-lesson progress, and course purchases (lifetime access, recorded by billing)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId
from app.courses.models.course import Course, Lesson
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class Enrollment(BaseModel):
    """A student's place in a course: how access was obtained, its state, progress and time spent."""

    __tablename__ = "enrollment"
    __label__ = _l("Enrollments")
    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_enrollment_user_course"),)
    # Heartbeats move the counters many times a minute; completion and status changes are audited.
    __audit_ignored__ = frozenset({"updated_at", "time_spent_seconds", "last_accessed_at"})

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    enrollment_type_id: Mapped[int] = lookup_fk("enrollment_type", nullable=False)
    status_id: Mapped[int] = lookup_fk("enrollment_status", nullable=False)
    # self, instructor, csv, purchase or subscription: who or what created the enrolment.
    source: Mapped[str] = mapped_column(String(16), default="self", nullable=False)
    enrolled_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_accessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    enrolled_by: Mapped[LmsUser | None] = relationship(foreign_keys=[enrolled_by_id])
    course: Mapped[Course] = relationship()
    enrollment_type: Mapped[Lookup] = relationship(foreign_keys=[enrollment_type_id], lazy="joined")
    status: Mapped[Lookup] = relationship(foreign_keys=[status_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.user} → {self.course}"


class LessonProgress(BaseModel):
    """One learner's progress in one lesson; kept whatever happens to the enrolment."""

    __tablename__ = "lesson_progress"
    __label__ = _l("Lesson progress")
    __table_args__ = (UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_lesson"),)
    __audit_ignored__ = frozenset(
        {"updated_at", "time_spent_seconds", "last_heartbeat_at", "video_position_seconds"}
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    lesson_id: Mapped[int] = mapped_column(BigId, ForeignKey("lesson.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    video_position_seconds: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    lesson: Mapped[Lesson] = relationship()


class CoursePurchase(BaseModel):
    """A bought course: lifetime access, recorded by billing when the payment completes."""

    __tablename__ = "course_purchase"
    __label__ = _l("Course purchases")
    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_course_purchase_user_course"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    purchased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The billing payment behind it (none for purchases recorded by hand); a refund ends the access.
    payment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("payment.id"), index=True)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    def __str__(self) -> str:
        return f"{self.user} → {self.course}"
