"""Assignments, reusable rubrics (criteria with levels), submissions and their rubric scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, JsonType
from app.core.softdelete import parent, trashed_name
from app.courses.models import Course, Lesson
from app.courses.models.course import TranslatedTitleMixin
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser

LATE_POLICIES = ("penalty", "refuse")


class Rubric(TranslatedTitleMixin, BaseModel):
    """A grading grid an instructor reuses across assignments."""

    __tablename__ = "rubric"
    __label__ = _l("Rubrics")
    __translatable__ = ("title", "description")

    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)

    owner: Mapped[LmsUser] = relationship()
    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric", order_by="RubricCriterion.position"
    )


class RubricCriterion(TranslatedTitleMixin, BaseModel):
    """One criterion of a rubric; its levels say how many points each judgement is worth."""

    __tablename__ = "rubric_criterion"
    __label__ = _l("Rubric criteria")
    __translatable__ = ("title", "description")

    rubric_id: Mapped[int] = mapped_column(BigId, ForeignKey("rubric.id"), nullable=False, index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[RubricLevel]] = relationship(
        back_populates="criterion", order_by="RubricLevel.position"
    )


class RubricLevel(TranslatedTitleMixin, BaseModel):
    """A level of a criterion (for example "Excellent", 10 points)."""

    __tablename__ = "rubric_level"
    __label__ = _l("Rubric levels")
    __translatable__ = ("title", "description")
    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)

    criterion_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rubric_criterion.id"), nullable=False, index=True
    )
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    criterion: Mapped[RubricCriterion] = relationship(back_populates="levels")


class Assignment(TranslatedTitleMixin, BaseModel):
    """Work students hand in: instructions, dates, late policy, what may be submitted, how it is graded."""

    __tablename__ = "assignment"
    __label__ = _l("Assignments")
    __translatable__ = ("title", "instructions")
    __table_args__ = (
        CheckConstraint("late_policy IN ('penalty', 'refuse')", name="late_policy"),
        CheckConstraint("late_penalty_percent >= 0 AND late_penalty_percent <= 100", name="late_penalty"),
        CheckConstraint("max_points > 0", name="max_points"),
        CheckConstraint("max_files >= 0", name="max_files"),
        CheckConstraint("weight >= 0", name="weight"),
        CheckConstraint("allow_files OR allow_text", name="something_to_submit"),
    )

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    lesson_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lesson.id"), index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # After the due date late work is accepted (with the penalty) until the cut-off, or refused.
    cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late_policy: Mapped[str] = mapped_column(String(16), default="penalty", nullable=False)
    late_penalty_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("10"), nullable=False
    )
    max_points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("100"), nullable=False)
    rubric_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rubric.id"), index=True)
    allow_files: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    allow_text: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    max_files: Mapped[int] = mapped_column(Integer, default=5, server_default="5", nullable=False)
    # Narrower than the `assignment_submission` media kind when set: ["pdf", "docx"].
    allowed_extensions: Mapped[list[str]] = mapped_column(JsonType, default=list, nullable=False)
    max_file_mb: Mapped[int | None] = mapped_column(Integer)
    is_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"), nullable=False)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)

    course: Mapped[Course] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
    rubric: Mapped[Rubric | None] = relationship()


class Submission(BaseModel):
    """A student's work on an assignment (one row, resubmitted until graded) and its grade."""

    __tablename__ = "submission"
    __label__ = _l("Submissions")
    __table_args__ = (
        Index(
            "uq_submission_assignment_user_live",
            "assignment_id",
            "user_id",
            unique=True,
            postgresql_where=text("is_deleted IS false"),
            sqlite_where=text("is_deleted = 0"),
        ),
    )

    assignment_id: Mapped[int] = mapped_column(BigId, ForeignKey("assignment.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    status_id: Mapped[int] = lookup_fk("assignment_status", nullable=False)
    text: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submission_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The grader's points, the late penalty taken off, and what counts.
    raw_points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    penalty_points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    feedback: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    graded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))

    assignment: Mapped[Assignment] = relationship()
    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    graded_by: Mapped[LmsUser | None] = relationship(foreign_keys=[graded_by_id])
    status: Mapped[Lookup] = relationship(foreign_keys=[status_id], lazy="joined")
    scores: Mapped[list[RubricScore]] = relationship(back_populates="submission")

    def __str__(self) -> str:
        return f"{self.assignment} · {self.user}"

    def assignment_name(self) -> str:
        """The assignment's title, marked "(deleted)" when it is in the trash (back-office pages)."""
        return trashed_name(parent(self, "assignment"))


class RubricScore(BaseModel):
    """The level a grader chose for one criterion of a submission."""

    __tablename__ = "rubric_score"
    __label__ = _l("Rubric scores")
    __table_args__ = (UniqueConstraint("submission_id", "criterion_id", name="uq_rubric_score_criterion"),)

    submission_id: Mapped[int] = mapped_column(BigId, ForeignKey("submission.id"), nullable=False, index=True)
    criterion_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rubric_criterion.id"), nullable=False, index=True
    )
    level_id: Mapped[int] = mapped_column(BigId, ForeignKey("rubric_level.id"), nullable=False, index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)

    submission: Mapped[Submission] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()
    level: Mapped[RubricLevel] = relationship()
