"""Question banks, questions and their options (reusable across quizzes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Numeric, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, JsonType
from app.core.translations import translated
from app.courses.models import Course
from app.courses.models.course import TranslatedTitleMixin
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class QuestionBank(TranslatedTitleMixin, BaseModel):
    """A set of reusable questions, owned by an instructor and optionally tied to one course."""

    __tablename__ = "question_bank"
    __label__ = _l("Question banks")
    __translatable__ = ("title", "description")

    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    course_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("course.id"), index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)

    owner: Mapped[LmsUser] = relationship(foreign_keys=[owner_id])
    course: Mapped[Course | None] = relationship()
    questions: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.position")


class Question(BaseModel):
    """One question: its type, bilingual text and feedback, points, tags and accepted answers."""

    __tablename__ = "question"
    __label__ = _l("Questions")
    __translatable__ = ("text", "feedback")
    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)

    bank_id: Mapped[int] = mapped_column(BigId, ForeignKey("question_bank.id"), nullable=False, index=True)
    question_type_id: Mapped[int] = lookup_fk("quiz_question_types", nullable=False)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"), nullable=False)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list, nullable=False)
    # Multiple choice: several options may be right, and all of them must be chosen.
    multiple_answers: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # Short answer: the answers accepted, compared after normalisation (see services.grading).
    accepted_answers: Mapped[list[str]] = mapped_column(JsonType, default=list, nullable=False)
    case_sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")
    question_type: Mapped[Lookup] = relationship(foreign_keys=[question_type_id], lazy="joined")
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", order_by="QuestionOption.position"
    )

    @property
    def text(self) -> str:
        """The question in the viewer's language."""
        return translated(self.translations, "text")

    @property
    def type_code(self) -> str:
        """multiple_choice, true_false, short_answer or essay."""
        return self.question_type.code

    def __str__(self) -> str:
        text = self.text or f"#{self.id}"
        return text if len(text) <= 80 else text[:79] + "…"


class QuestionOption(BaseModel):
    """A choice of a multiple-choice or true/false question."""

    __tablename__ = "question_option"
    __label__ = _l("Question options")
    __translatable__ = ("text", "feedback")

    question_id: Mapped[int] = mapped_column(BigId, ForeignKey("question.id"), nullable=False, index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    question: Mapped[Question] = relationship(back_populates="options")

    @property
    def text(self) -> str:
        """The option in the viewer's language."""
        return translated(self.translations, "text")

    def __str__(self) -> str:
        return self.text or f"#{self.id}"
