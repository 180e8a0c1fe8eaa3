"""Quiz rules: a learner's effective settings (with overrides), the question draw, review and grades."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessments.models import GRADING_METHODS, REVIEW_OPTIONS, Question, Quiz, QuizAttempt, QuizOverride
from app.core.errors import Forbidden, Invalid
from app.extensions import db

GRADED_STATES = ("graded",)
FINISHED_STATES = ("submitted", "overdue", "graded")


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite returns stored UTC times without their zone)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def two_places(value: Decimal | float | int) -> Decimal:
    """Points and percentages are kept to two decimals, rounded half up."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuizRules:
    """A learner's quiz settings once their override is applied."""

    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_seconds: int | None
    max_attempts: int | None

    def deadline_for(self, started: datetime) -> datetime | None:
        """The earlier of the time limit and the close time (None: no deadline)."""
        limits = [moment for moment in (self.closes_at,) if moment is not None]
        if self.time_limit_seconds:
            limits.append(started + timedelta(seconds=self.time_limit_seconds))
        return min(limits) if limits else None


def _in_range(errors: dict[str, list[str]], name: str, value: Any, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        errors[name] = [_("Between %(low)s and %(high)s.", low=low, high=high)]


def check_quiz(quiz: Quiz) -> None:
    """Invalid (422) when a quiz's settings are out of range or contradict each other."""
    errors: dict[str, list[str]] = {}
    if quiz.grading_method not in GRADING_METHODS:
        errors["grading_method"] = [_("One of: %(values)s.", values=", ".join(GRADING_METHODS))]
    if quiz.review_option not in REVIEW_OPTIONS:
        errors["review_option"] = [_("One of: %(values)s.", values=", ".join(REVIEW_OPTIONS))]
    _in_range(errors, "time_limit_minutes", quiz.time_limit_minutes, 1, 7 * 24 * 60)
    _in_range(errors, "max_attempts", quiz.max_attempts, 1, 100)
    _in_range(errors, "pass_mark", quiz.pass_mark, 0, 100)
    _in_range(errors, "weight", quiz.weight, 0, 1000)
    opens, closes = aware(quiz.opens_at), aware(quiz.closes_at)
    if opens is not None and closes is not None and closes <= opens:
        errors["closes_at"] = [_("The quiz must close after it opens.")]
    if quiz.review_option == "after_close" and closes is None:
        errors["review_option"] = [_("Results shown after the close need a close time.")]
    if errors:
        raise Invalid(_("The quiz settings are not valid."), errors)


def check_override(override: QuizOverride) -> None:
    """Invalid (422) when an override's values are out of range."""
    errors: dict[str, list[str]] = {}
    _in_range(errors, "extra_minutes", override.extra_minutes, 0, 7 * 24 * 60)
    _in_range(errors, "extra_attempts", override.extra_attempts, 0, 100)
    opens, closes = aware(override.opens_at), aware(override.closes_at)
    if opens is not None and closes is not None and closes <= opens:
        errors["closes_at"] = [_("The quiz must close after it opens.")]
    if errors:
        raise Invalid(_("The override is not valid."), errors)


def override_of(quiz: Quiz, user_id: int) -> QuizOverride | None:
    """The learner's override of this quiz, if any."""
    return db.session.scalar(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz.id, QuizOverride.user_id == user_id)
    )


def rules_for(quiz: Quiz, user_id: int) -> QuizRules:
    """The quiz's settings for one learner: the override's dates replace the quiz's, its extra
    minutes and attempts add to them."""
    override = override_of(quiz, user_id)
    opens, closes = aware(quiz.opens_at), aware(quiz.closes_at)
    limit = quiz.time_limit_minutes * 60 if quiz.time_limit_minutes else None
    attempts = quiz.max_attempts
    if override is not None:
        opens = aware(override.opens_at) or opens
        closes = aware(override.closes_at) or closes
        if limit is not None:
            limit += override.extra_minutes * 60
        if attempts is not None:
            attempts += override.extra_attempts
    return QuizRules(opens, closes, limit, attempts)


def attempts_used(quiz: Quiz, user_id: int) -> int:
    """Attempts that count against the limit: every one started, abandoned ones included."""
    return int(
        db.session.scalar(
            select(func.count(QuizAttempt.id)).where(
                QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id
            )
        )
        or 0
    )


def check_window(rules: QuizRules, now: datetime) -> None:
    """Forbidden before the quiz opens and after it closes (for this learner)."""
    if rules.opens_at is not None and now < rules.opens_at:
        raise Forbidden(_("This quiz is not open yet."))
    if rules.closes_at is not None and now >= rules.closes_at:
        raise Forbidden(_("This quiz is closed."))


def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """The questions of a new attempt: the fixed ones, then each draw's random pick from its bank
    (never the same question twice), shuffled when the quiz says so."""
    chosen: list[Question] = [link.question for link in quiz.questions if not link.question.is_deleted]
    taken = {question.id for question in chosen}
    for draw in quiz.draws:
        pool = [
            question
            for question in draw.bank.questions
            if question.id not in taken and (not draw.tag or draw.tag in (question.tags or []))
        ]
        picked = rng.sample(pool, min(draw.count, len(pool)))
        chosen.extend(picked)
        taken.update(question.id for question in picked)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def option_order(quiz: Quiz, questions: list[Question], rng: random.Random) -> dict[str, list[int]]:
    """Each choice question's option ids in the order this attempt shows them."""
    order: dict[str, list[int]] = {}
    for question in questions:
        ids = [option.id for option in question.options]
        if quiz.shuffle_options and question.type_code == "multiple_choice":
            rng.shuffle(ids)
        if ids:
            order[str(question.id)] = ids
    return order


def quiz_percent(quiz: Quiz, user_id: int) -> Decimal | None:
    """The learner's quiz grade in percent across graded attempts (highest, last or average)."""
    rows = db.session.execute(
        select(QuizAttempt.percent)
        .where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.user_id == user_id,
            QuizAttempt.state.in_(GRADED_STATES),
            QuizAttempt.percent.is_not(None),
        )
        .order_by(QuizAttempt.number)
    ).scalars()
    values = list(rows)
    if not values:
        return None
    if quiz.grading_method == "last":
        return two_places(values[-1])
    if quiz.grading_method == "average":
        return two_places(sum(values) / len(values))
    return two_places(max(values))


def quiz_passed(quiz: Quiz, user_id: int) -> bool:
    """True when the learner's quiz grade reaches the pass mark."""
    percent = quiz_percent(quiz, user_id)
    return percent is not None and percent >= quiz.pass_mark


def review_open(quiz: Quiz, user_id: int, now: datetime) -> bool:
    """May the learner see scores and correct answers of their finished attempts now?"""
    if quiz.review_option == "immediately":
        return True
    if quiz.review_option == "after_close":
        closes = rules_for(quiz, user_id).closes_at
        return closes is not None and now >= closes
    return False


def published_quizzes(course_id: int) -> list[Quiz]:
    """The course's published quizzes, in creation order."""
    return list(
        db.session.scalars(
            select(Quiz).where(Quiz.course_id == course_id, Quiz.is_published.is_(True)).order_by(Quiz.id)
        )
    )


def seconds_left(attempt: QuizAttempt, now: datetime) -> int | None:
    """Whole seconds until the attempt's deadline (None: no deadline)."""
    deadline = aware(attempt.deadline_at)
    if deadline is None:
        return None
    return max(0, int((deadline - now).total_seconds()))


def describe_rules(quiz: Quiz, user_id: int) -> dict[str, Any]:
    """What the quiz page shows before an attempt: dates, limits and attempts left."""
    rules = rules_for(quiz, user_id)
    used = attempts_used(quiz, user_id)
    return {
        "opens_at": rules.opens_at,
        "closes_at": rules.closes_at,
        "time_limit_seconds": rules.time_limit_seconds,
        "max_attempts": rules.max_attempts,
        "attempts_used": used,
        "attempts_left": None if rules.max_attempts is None else max(0, rules.max_attempts - used),
    }
