"""Quiz rules: the settings of quizzes, overrides, draws and fixed questions; a learner's effective
settings (with overrides), the question draw, review and grades."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.assessments.models import (
    GRADING_METHODS,
    REVIEW_OPTIONS,
    Question,
    Quiz,
    QuizAttempt,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
)
from app.assessments.services.settings import (
    MINUTES_PER_WEEK,
    Errors,
    add_error,
    check_dates,
    check_lesson,
    check_order,
    check_position,
    check_weight,
    in_range,
    one_of,
    raise_errors,
    refuse_duplicate,
    related,
    related_id,
)
from app.core.errors import Forbidden
from app.core.models import as_utc, cents
from app.courses import services as courses
from app.extensions import db

GRADED_STATES = ("graded",)
FINISHED_STATES = ("submitted", "overdue", "graded")
MAX_ATTEMPTS, MAX_DRAW, MAX_TAG_LENGTH = 100, 100, 100


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


def _check_window(errors: Errors, item: Quiz | QuizOverride) -> None:
    """The close time, when both are set, comes after the opening time."""
    check_order(errors, item, "opens_at", "closes_at", _("The quiz must close after it opens."))


def check_quiz(quiz: Quiz) -> None:
    """Invalid (422) when a quiz's settings are out of range or contradict each other."""
    errors: Errors = {}
    check_dates(errors, quiz, "opens_at", "closes_at")
    one_of(errors, quiz, "grading_method", GRADING_METHODS)
    one_of(errors, quiz, "review_option", REVIEW_OPTIONS)
    limit = _("The time limit is from 1 to %(max)d minutes (7 days), or empty.", max=MINUTES_PER_WEEK)
    in_range(errors, quiz, "time_limit_minutes", 1, MINUTES_PER_WEEK, limit)
    attempts = _("Allow from 1 to %(max)d attempts, or leave it empty.", max=MAX_ATTEMPTS)
    in_range(errors, quiz, "max_attempts", 1, MAX_ATTEMPTS, attempts)
    in_range(errors, quiz, "pass_mark", 0, 100, _("The pass mark is a percentage from 0 to 100."))
    check_weight(errors, quiz)
    _check_window(errors, quiz)
    if quiz.review_option == "after_close" and quiz.closes_at is None:
        add_error(errors, "review_option", _("Showing the answers after the close needs a close time."))
    check_lesson(errors, quiz)
    raise_errors(errors, _("The quiz settings are not valid."))


def check_override(override: QuizOverride) -> None:
    """Extras in range (empty: 0), dates in order, an enrolled student; one per student and quiz (409)."""
    errors: Errors = {}
    check_dates(errors, override, "opens_at", "closes_at")
    override.extra_minutes = override.extra_minutes or 0
    override.extra_attempts = override.extra_attempts or 0
    minutes = _("Extra minutes are from 0 to %(max)d (7 days).", max=MINUTES_PER_WEEK)
    in_range(errors, override, "extra_minutes", 0, MINUTES_PER_WEEK, minutes)
    attempts = _("Extra attempts are from 0 to %(max)d.", max=MAX_ATTEMPTS)
    in_range(errors, override, "extra_attempts", 0, MAX_ATTEMPTS, attempts)
    _check_window(errors, override)
    quiz, user_id = related(override, "quiz"), related_id(override, "user")
    if quiz is not None and user_id is not None and courses.enrollment_of(user_id, quiz.course_id) is None:
        add_error(errors, "user_id", _("This student is not enrolled in the quiz's course."))
    raise_errors(errors, _("The override is not valid."))
    message = _("This student already has an override of this quiz: edit it instead.")
    refuse_duplicate(override, "user_id", message, quiz_id=related_id(override, "quiz"), user_id=user_id)


def check_draw(draw: QuizDraw) -> None:
    """A count from 1 to 100, a stripped tag of at most 100 characters; an empty position goes last."""
    errors: Errors = {}
    count = _("Draw from 1 to %(max)d questions.", max=MAX_DRAW)
    in_range(errors, draw, "count", 1, MAX_DRAW, count)
    draw.tag = (draw.tag or "").strip() or None
    if draw.tag is not None and len(draw.tag) > MAX_TAG_LENGTH:
        add_error(errors, "tag", _("A tag has at most %(n)d characters.", n=MAX_TAG_LENGTH))
    check_position(errors, draw, "quiz")
    raise_errors(errors, _("The random questions rule is not valid."))


def check_quiz_question(link: QuizQuestion) -> None:
    """Each question once per quiz (409); an empty position goes last."""
    errors: Errors = {}
    check_position(errors, link, "quiz")
    raise_errors(errors, _("The quiz question is not valid."))
    message = _("This question is already in the quiz.")
    quiz_id, question_id = related_id(link, "quiz"), related_id(link, "question")
    refuse_duplicate(link, "question_id", message, quiz_id=quiz_id, question_id=question_id)


def override_of(quiz: Quiz, user_id: int) -> QuizOverride | None:
    """The learner's override of this quiz, if any."""
    return db.session.scalar(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz.id, QuizOverride.user_id == user_id)
    )


def rules_for(quiz: Quiz, user_id: int) -> QuizRules:
    """The quiz's settings for one learner: the override's dates replace the quiz's, its extra
    minutes and attempts add to them."""
    override = override_of(quiz, user_id)
    opens, closes = as_utc(quiz.opens_at), as_utc(quiz.closes_at)
    limit = quiz.time_limit_minutes * 60 if quiz.time_limit_minutes else None
    attempts = quiz.max_attempts
    if override is not None:
        opens = as_utc(override.opens_at) or opens
        closes = as_utc(override.closes_at) or closes
        if limit is not None:
            limit += override.extra_minutes * 60
        if attempts is not None:
            attempts += override.extra_attempts
    return QuizRules(opens, closes, limit, attempts)


def attempts_used(quiz: Quiz, user_id: int) -> int:
    """Attempts that count against the limit: every one started, the learner's own abandoned ones
    included, but not those the course's staff abandoned for them."""
    counted = or_(
        QuizAttempt.state != "abandoned",
        QuizAttempt.abandoned_by_id.is_(None),
        QuizAttempt.abandoned_by_id == user_id,
    )
    return int(
        db.session.scalar(
            select(func.count(QuizAttempt.id)).where(
                QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id, counted
            )
        )
        or 0
    )


def last_attempt_number(quiz: Quiz, user_id: int) -> int:
    """The number of the learner's latest attempt at the quiz (0 before the first)."""
    latest = select(func.max(QuizAttempt.number)).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id
    )
    return int(db.session.scalar(latest) or 0)


def check_window(rules: QuizRules, now: datetime) -> None:
    """Forbidden before the quiz opens and after it closes (for this learner)."""
    if rules.opens_at is not None and now < rules.opens_at:
        raise Forbidden(_("This quiz is not open yet."))
    if rules.closes_at is not None and now >= rules.closes_at:
        raise Forbidden(_("This quiz is closed."))


def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """The questions of a new attempt: the fixed ones, then each draw's random pick from its bank
    (never the same question twice), shuffled when the quiz says so."""
    # A question or bank in the trash loads as None: it is left out of new attempts.
    chosen: list[Question] = [link.question for link in quiz.questions if link.question is not None]
    taken = {question.id for question in chosen}
    for draw in quiz.draws:
        pool = [
            question
            for question in (draw.bank.questions if draw.bank is not None else [])
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
        return cents(values[-1])
    if quiz.grading_method == "average":
        return cents(sum(values) / len(values))
    return cents(max(values))


def quiz_passed(quiz: Quiz, user_id: int) -> bool:
    """True when the learner's quiz grade reaches the pass mark."""
    percent = quiz_percent(quiz, user_id)
    return percent is not None and percent >= quiz.pass_mark


def review_open(quiz: Quiz, user_id: int, now: datetime) -> bool:
    """May the learner see scores and correct answers of their finished attempts now?"""
    if quiz.review_option == "immediately":
        return True
    if quiz.review_option == "after_close":
        closes = last_close(quiz)
        return closes is not None and now >= closes
    return False


def last_close(quiz: Quiz) -> datetime | None:
    """When the quiz closes for everyone: the latest of its close time and its overrides' (answers
    shown "after the close" must not reach learners still working on a later date)."""
    latest = db.session.scalar(
        select(func.max(QuizOverride.closes_at)).where(QuizOverride.quiz_id == quiz.id)
    )
    moments = [moment for moment in (as_utc(quiz.closes_at), as_utc(latest)) if moment is not None]
    return max(moments) if quiz.closes_at is not None and moments else None


def published_quizzes(course_id: int) -> list[Quiz]:
    """The course's published quizzes, in creation order."""
    return list(
        db.session.scalars(
            select(Quiz).where(Quiz.course_id == course_id, Quiz.is_published.is_(True)).order_by(Quiz.id)
        )
    )


def seconds_left(attempt: QuizAttempt, now: datetime) -> int | None:
    """Whole seconds until the attempt's deadline (None: no deadline)."""
    deadline = as_utc(attempt.deadline_at)
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
