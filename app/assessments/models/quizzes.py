"""Quizzes on lessons, their questions (fixed or drawn from a bank), overrides, attempts, answers."""

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
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.assessments.models.banks import Question, QuestionBank
from app.core.models import BaseModel, BigId, JsonType
from app.core.softdelete import parent, trashed_name
from app.courses.models import Course, Lesson
from app.courses.models.course import TranslatedTitleMixin
from app.security.models import LmsUser

GRADING_METHODS = ("highest", "last", "average")
REVIEW_OPTIONS = ("immediately", "after_close", "never")
ATTEMPT_STATES = ("in_progress", "submitted", "overdue", "graded", "abandoned")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Quiz(TranslatedTitleMixin, BaseModel):
    """A quiz of a course (usually on a lesson): timing, attempts, pass mark, grading and review rules."""

    __tablename__ = "quiz"
    __label__ = _l("Quizzes")
    __translatable__ = ("title", "description")
    __table_args__ = (
        CheckConstraint(_one_of("grading_method", GRADING_METHODS), name="grading_method"),
        CheckConstraint(_one_of("review_option", REVIEW_OPTIONS), name="review_option"),
        CheckConstraint("time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit"),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark"),
        CheckConstraint("weight >= 0", name="weight"),
    )

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    lesson_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lesson.id"), index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("50"), nullable=False)
    grading_method: Mapped[str] = mapped_column(String(16), default="highest", nullable=False)
    review_option: Mapped[str] = mapped_column(String(16), default="immediately", nullable=False)
    shuffle_questions: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    shuffle_options: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # Counts towards course completion ("quizzes passed") and its weight in the gradebook.
    is_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"), nullable=False)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)

    course: Mapped[Course] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
    questions: Mapped[list[QuizQuestion]] = relationship(
        back_populates="quiz", order_by="QuizQuestion.position"
    )
    draws: Mapped[list[QuizDraw]] = relationship(back_populates="quiz", order_by="QuizDraw.position")


class QuizQuestion(BaseModel):
    """A fixed question of a quiz, in order."""

    __tablename__ = "quiz_question"
    __label__ = _l("Quiz questions")

    quiz_id: Mapped[int] = mapped_column(BigId, ForeignKey("quiz.id"), nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(BigId, ForeignKey("question.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()

    def __str__(self) -> str:
        return str(self.question)


class QuizDraw(BaseModel):
    """A rule of a quiz: draw `count` random questions of a bank (with a tag, when one is given)."""

    __tablename__ = "quiz_draw"
    __label__ = _l("Random questions")
    __table_args__ = (CheckConstraint("count > 0", name="count_positive"),)

    quiz_id: Mapped[int] = mapped_column(BigId, ForeignKey("quiz.id"), nullable=False, index=True)
    bank_id: Mapped[int] = mapped_column(BigId, ForeignKey("question_bank.id"), nullable=False, index=True)
    tag: Mapped[str | None] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    quiz: Mapped[Quiz] = relationship(back_populates="draws")
    bank: Mapped[QuestionBank] = relationship()

    def __str__(self) -> str:
        return f"{self.count} x {self.bank}" + (f" [{self.tag}]" if self.tag else "")


class QuizOverride(BaseModel):
    """One student's exceptions to a quiz: extra time, extra attempts, other dates."""

    __tablename__ = "quiz_override"
    __label__ = _l("Quiz overrides")
    __table_args__ = (
        CheckConstraint("extra_minutes >= 0", name="extra_minutes"),
        CheckConstraint("extra_attempts >= 0", name="extra_attempts"),
        Index(
            "uq_quiz_override_quiz_user_live",
            "quiz_id",
            "user_id",
            unique=True,
            postgresql_where=text("is_deleted IS false"),
            sqlite_where=text("is_deleted = 0"),
        ),
    )

    quiz_id: Mapped[int] = mapped_column(BigId, ForeignKey("quiz.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[LmsUser] = relationship()

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz}"


class QuizAttempt(BaseModel):
    """One attempt: the questions drawn for it, its server deadline, its state and score."""

    __tablename__ = "quiz_attempt"
    __label__ = _l("Quiz attempts")
    __table_args__ = (
        CheckConstraint(_one_of("state", ATTEMPT_STATES), name="state"),
        UniqueConstraint("quiz_id", "user_id", "number", name="uq_quiz_attempt_number"),
        # At most one attempt in progress per learner and quiz: starting twice resumes it.
        Index(
            "uq_quiz_attempt_open",
            "quiz_id",
            "user_id",
            unique=True,
            postgresql_where=text("state = 'in_progress'"),
            sqlite_where=text("state = 'in_progress'"),
        ),
        # The overdue task looks for attempts in progress past their deadline.
        Index("ix_quiz_attempt_deadline", "deadline_at", postgresql_where=text("state = 'in_progress'")),
    )

    quiz_id: Mapped[int] = mapped_column(BigId, ForeignKey("quiz.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="in_progress", nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The questions of this attempt in the order shown, and each question's option order.
    question_ids: Mapped[list[int]] = mapped_column(JsonType, default=list, nullable=False)
    option_order: Mapped[dict[str, list[int]]] = mapped_column(JsonType, default=dict, nullable=False)
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"), nullable=False)
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Who gave the attempt up: the learner's own abandon counts against the limit, staff's does not.
    abandoned_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    abandoned_by: Mapped[LmsUser | None] = relationship(foreign_keys=[abandoned_by_id])
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt")

    def __str__(self) -> str:
        return f"{self.quiz} · {self.user} · #{self.number}"

    def quiz_name(self) -> str:
        """The quiz's title, marked "(deleted)" when the quiz is in the trash (back-office pages)."""
        return trashed_name(parent(self, "quiz"))


class AttemptAnswer(BaseModel):
    """The answer to one question of an attempt, and its (automatic or manual) grade."""

    __tablename__ = "attempt_answer"
    __label__ = _l("Answers")
    __table_args__ = (UniqueConstraint("attempt_id", "question_id", name="uq_attempt_answer_question"),)

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("quiz_attempt.id"), nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(BigId, ForeignKey("question.id"), nullable=False, index=True)
    # Option ids (choice questions) or text (short answer, sanitized HTML for essays).
    selected_option_ids: Mapped[list[int]] = mapped_column(JsonType, default=list, nullable=False)
    text_answer: Mapped[str | None] = mapped_column(Text)
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    points_awarded: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    needs_grading: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    feedback: Mapped[str | None] = mapped_column(Text)
    graded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
