"""Quiz attempts as a server-side state machine.

Services here only flush: the request, task or command around them commits once
(`app.core.transactions.transaction()`), so an error half-way leaves nothing half-written.

in_progress -> submitted (by the learner, in time) or overdue (after the deadline, by the learner or
the overdue task) -> graded (at once when every answer is graded automatically, after manual grading
of essays otherwise); in_progress -> abandoned. The deadline is fixed on the server when the attempt
starts; answers after it are refused whatever the client does.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessments import notices
from app.assessments.models import AttemptAnswer, Question, Quiz, QuizAttempt
from app.assessments.services import quizzes as rules
from app.assessments.services.access import is_staff, quiz_of, require_learner, require_staff
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.html import sanitize_html
from app.core.models import as_utc, cents, utcnow
from app.core.softdelete import parent
from app.core.targets import signed_in_user_id
from app.core.transactions import transaction, unique_insert
from app.courses.services.progress import require_open_lesson
from app.extensions import db

MAX_TEXT_ANSWER = 20_000
AUTO_GRADED = ("multiple_choice", "true_false", "short_answer")


def time_up() -> Forbidden:
    """The refusal of an answer that came after the deadline (the attempt was handed in)."""
    return Forbidden(_("Time is up: this answer came after the deadline and was not saved."))


def _locked(attempt: QuizAttempt) -> QuizAttempt:
    """The attempt re-read under a row lock, so two requests never move it at once."""
    locked = db.session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.id == attempt.id)
        .with_for_update(of=QuizAttempt)
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound()
    return locked


def _open_attempt(quiz: Quiz, user_id: int) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.user_id == user_id,
            QuizAttempt.state == "in_progress",
        )
    )


def _past_deadline(attempt: QuizAttempt, now: datetime) -> bool:
    deadline = as_utc(attempt.deadline_at)
    return deadline is not None and now >= deadline


def start_attempt(user: Any, quiz: Quiz, *, now: datetime | None = None) -> QuizAttempt:
    """Resume the learner's attempt in progress, or start a new one within the quiz's rules."""
    return start_or_resume(user, quiz, now=now)[0]


def start_or_resume(user: Any, quiz: Quiz, *, now: datetime | None = None) -> tuple[QuizAttempt, bool]:
    """(the attempt, True when this call created it): only the request whose insert won says created."""
    now = now or utcnow()
    user_id = require_learner(user, quiz.course)
    if not quiz.is_published and not is_staff(user, quiz.course):
        raise NotFound()
    if quiz.lesson is not None:
        require_open_lesson(user, quiz.lesson)
    current = _open_attempt(quiz, user_id)
    if current is not None:
        if not _past_deadline(current, now):
            return current, False  # a reload or a reconnect: the same questions, the same deadline
        _close(_locked(current), now, None)
    quiz_rules = rules.rules_for(quiz, user_id)
    rules.check_window(quiz_rules, now)
    used = rules.attempts_used(quiz, user_id)
    if quiz_rules.max_attempts is not None and used >= quiz_rules.max_attempts:
        raise Forbidden(_("You have used all your attempts at this quiz."))
    rng = random.SystemRandom()
    questions = rules.draw_questions(quiz, rng)
    if not questions:
        raise Conflict(_("This quiz has no questions yet."))
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        user_id=user_id,
        course_id=quiz.course_id,
        number=rules.last_attempt_number(quiz, user_id) + 1,  # staff-abandoned ones keep their number
        state="in_progress",
        started_at=now,
        deadline_at=quiz_rules.deadline_for(now),
        question_ids=[question.id for question in questions],
        option_order=rules.option_order(quiz, questions, rng),
        max_score=cents(sum((question.points for question in questions), Decimal("0"))),
    )
    try:
        with unique_insert(""):
            db.session.add(attempt)
    except Conflict:  # a second tab started at the same moment: resume the one that won
        current = _open_attempt(quiz, user_id)  # committed by the winner (its insert made ours wait)
        if current is None:
            raise Conflict(_("Please try again.")) from None
        return current, False
    return attempt, True


def _require_owner(user: Any, attempt: QuizAttempt) -> None:
    if signed_in_user_id(user) != attempt.user_id:
        raise Forbidden(_("This is not your attempt."))


def _row_id(value: Any) -> int | None:
    """A row id given as a JSON number or a string of ASCII digits; None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def _question_of(attempt: QuizAttempt, question_id: Any) -> Question:
    qid = _row_id(question_id)
    if qid is None:
        raise Invalid(_("Unknown question."), {"question_id": [_("Unknown question.")]})
    if qid not in attempt.question_ids:
        raise Invalid(_("This question is not part of your attempt."), {"question_id": [str(qid)]})
    question = db.session.get(Question, qid)
    if question is None:
        raise Invalid(_("Unknown question."), {"question_id": [str(qid)]})
    return question


def _checked_answer(question: Question, answer: Any) -> tuple[list[int], str | None]:
    """(selected option ids, text) from an answer, or Invalid: option ids of this question only."""
    kind = question.type_code
    if kind in ("multiple_choice", "true_false"):
        values = answer if isinstance(answer, list) else [] if answer is None else [answer]
        valid = {option.id for option in question.options}
        chosen: set[int] = set()
        for value in values:
            option_id = _row_id(value)
            if option_id is None:
                raise Invalid(_("Choose among the question's options."), {"answer": [_("Unknown option.")]})
            chosen.add(option_id)
        if any(option_id not in valid for option_id in chosen):
            raise Invalid(_("Choose among the question's options."), {"answer": [_("Unknown option.")]})
        if len(chosen) > 1 and not (kind == "multiple_choice" and question.multiple_answers):
            raise Invalid(_("Choose one option."), {"answer": [_("Choose one option.")]})
        return sorted(chosen), None
    if answer is not None and not isinstance(answer, str):
        raise Invalid(_("Write your answer as text."), {"answer": [_("Write your answer as text.")]})
    text = (answer or "")[:MAX_TEXT_ANSWER]
    if len(answer or "") > MAX_TEXT_ANSWER:
        raise Invalid(_("This answer is too long."), {"answer": [_("This answer is too long.")]})
    if kind == "essay":
        return [], sanitize_html(text)
    return [], text.strip()


def save_answer(
    user: Any, attempt: QuizAttempt, question_id: Any, answer: Any, *, now: datetime | None = None
) -> AttemptAnswer | None:
    """Store (or replace) one answer of the learner's attempt in progress, before its deadline.

    None when time is up: the attempt is handed in instead (the caller commits that, then refuses
    the answer with `time_up()`)."""
    now = now or utcnow()
    _require_owner(user, attempt)
    attempt = _locked(attempt)
    if attempt.state != "in_progress":
        raise Conflict(_("This attempt is finished."))
    if _past_deadline(attempt, now):
        _close(attempt, now, None)
        return None
    question = _question_of(attempt, question_id)
    selected, text = _checked_answer(question, answer)
    row = db.session.scalar(
        select(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_id == question.id
        )
    )
    if row is None:
        row = AttemptAnswer(attempt_id=attempt.id, question_id=question.id)
        db.session.add(row)
    row.selected_option_ids, row.text_answer, row.saved_at = selected, text, now
    db.session.flush()
    return row


def submit_attempt(
    user: Any, attempt: QuizAttempt, answers: dict[str, Any] | None = None, *, now: datetime | None = None
) -> QuizAttempt:
    """Hand in the attempt: answers sent with it count only before the deadline; after it the attempt
    is closed as overdue with the answers saved in time."""
    now = now or utcnow()
    _require_owner(user, attempt)
    attempt = _locked(attempt)
    if attempt.state != "in_progress":
        raise Conflict(_("This attempt is already finished."))
    if answers and not _past_deadline(attempt, now):
        if not isinstance(answers, dict):
            raise Invalid(_("Send answers as an object of question ids."), {"answers": [_("Not an object.")]})
        for question_id, answer in answers.items():
            save_answer(user, attempt, question_id, answer, now=now)
        attempt = _locked(attempt)
    _close(attempt, now, user)
    return attempt


def _close(attempt: QuizAttempt, now: datetime, actor: Any) -> None:
    """Finish a locked attempt, record the quiz grade it changes, then check completion."""
    if attempt.state != "in_progress":  # finished meanwhile (a parallel submit, the overdue task)
        return
    old = rules.quiz_percent(quiz_of(attempt), attempt.user_id)
    _finish(attempt, now)
    db.session.flush()
    if attempt.state != "graded":  # an essay waits for its grader
        notices.attempt_to_grade(attempt)
    _record_quiz_change(attempt, old, actor)
    _after_grading(attempt)


def abandon_attempt(user: Any, attempt: QuizAttempt, *, now: datetime | None = None) -> QuizAttempt:
    """Give up an attempt in progress (the learner, or the course's staff). The learner's own counts
    against the limit, one abandoned by staff does not. After its deadline it is handed in as overdue
    instead, so that a bad attempt cannot be dropped."""
    now = now or utcnow()
    if signed_in_user_id(user) != attempt.user_id:
        require_staff(user, quiz_of(attempt).course)
    attempt = _locked(attempt)
    if attempt.state != "in_progress":
        raise Conflict(_("This attempt is already finished."))
    if _past_deadline(attempt, now):
        _close(attempt, now, None)
        return attempt
    attempt.state = "abandoned"
    attempt.submitted_at, attempt.abandoned_by_id = now, signed_in_user_id(user)
    db.session.flush()
    return attempt


def _finish(attempt: QuizAttempt, now: datetime) -> None:
    """Close a locked attempt in progress (submitted or overdue) and grade what can be graded."""
    overdue = _past_deadline(attempt, now)
    attempt.state = "overdue" if overdue else "submitted"
    attempt.submitted_at = min(now, as_utc(attempt.deadline_at)) if overdue else now
    answers = {answer.question_id: answer for answer in attempt.answers}
    for question_id in attempt.question_ids:
        question = db.session.get(Question, question_id)
        if question is None:
            continue
        answer = answers.get(question_id)
        if answer is None:
            answer = AttemptAnswer(attempt_id=attempt.id, question_id=question_id)
            db.session.add(answer)
            attempt.answers.append(answer)
        _auto_grade(question, answer)
    _total(attempt)


def _auto_grade(question: Question, answer: AttemptAnswer) -> None:
    from app.assessments.services.banks import short_answer_matches

    kind = question.type_code
    if kind == "essay":
        answer.needs_grading = bool((answer.text_answer or "").strip())
        if not answer.needs_grading:  # nothing written: nothing to read
            answer.is_correct, answer.points_awarded = False, Decimal("0")
        return
    if kind == "short_answer":
        correct = bool(answer.text_answer) and short_answer_matches(question, answer.text_answer or "")
    else:
        right = {option.id for option in question.options if option.is_correct}
        correct = bool(answer.selected_option_ids) and set(answer.selected_option_ids) == right
    answer.is_correct = correct
    answer.points_awarded = cents(question.points if correct else 0)
    answer.needs_grading = False


def _total(attempt: QuizAttempt) -> None:
    """Score, percent and pass once no answer waits for a grader; the attempt is then graded."""
    if any(answer.needs_grading for answer in attempt.answers):
        return
    score = sum((answer.points_awarded or Decimal("0") for answer in attempt.answers), Decimal("0"))
    attempt.score = cents(score)
    attempt.percent = cents(100 * score / attempt.max_score) if attempt.max_score else Decimal("0.00")
    attempt.passed = attempt.percent >= quiz_of(attempt).pass_mark
    attempt.state = "graded"
    attempt.graded_at = utcnow()


def grade_answer(grader: Any, answer: AttemptAnswer, points: Any, feedback: str | None = None) -> QuizAttempt:
    """A grader's points (0 to the question's points) and feedback on one answer (essays, or a
    correction of an automatic grade); the attempt is graded when nothing is left."""
    attempt = parent(answer, "attempt")
    require_staff(grader, quiz_of(attempt).course)
    attempt = _locked(attempt)
    if attempt.state in ("in_progress", "abandoned"):
        raise Conflict(_("Only handed-in attempts are graded."))
    try:
        value = cents(points)
    except Exception:
        raise Invalid(_("Points must be a number."), {"points": [_("Not a number.")]}) from None
    question = parent(answer, "question")
    if not value.is_finite() or value < 0 or value > question.points:
        raise Invalid(
            _("Points must be between 0 and %(max)s.", max=question.points),
            {"points": [_("Out of range.")]},
        )
    old = rules.quiz_percent(quiz_of(attempt), attempt.user_id)
    answer.points_awarded, answer.needs_grading = value, False
    answer.is_correct = value == question.points
    answer.feedback = sanitize_html(feedback) if feedback else answer.feedback
    answer.graded_by_id = signed_in_user_id(grader)
    attempt.state = "submitted" if attempt.state == "graded" else attempt.state
    _total(attempt)
    db.session.flush()
    if attempt.state == "graded":  # the last answer graded (or a correction): the learner is told
        notices.attempt_graded(attempt, grader)
    _record_quiz_change(attempt, old, grader)
    _after_grading(attempt)
    return attempt


def _record_quiz_change(attempt: QuizAttempt, old: Decimal | None, actor: Any) -> None:
    from app.assessments.services.gradebook import record_grade_change

    new = rules.quiz_percent(quiz_of(attempt), attempt.user_id)
    if new != old:
        record_grade_change(attempt.course_id, attempt.user_id, "quiz", attempt.quiz_id, old, new, actor)


def _after_grading(attempt: QuizAttempt) -> None:
    """A graded attempt may complete the course (quizzes passed, minimum grade)."""
    if attempt.state == "graded":
        from app.courses.services.progress import refresh_completion

        refresh_completion(attempt.user_id, quiz_of(attempt).course)


def submit_overdue_attempts(now: datetime | None = None) -> int:
    """Scheduled: close every attempt in progress past its deadline (safe to run twice)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(QuizAttempt.id).where(
                QuizAttempt.state == "in_progress",
                QuizAttempt.deadline_at.is_not(None),
                QuizAttempt.deadline_at <= now,
            )
        )
    )
    closed = 0
    for attempt_id in ids:
        with transaction():  # one attempt at a time: a failing one does not keep the others open
            attempt = db.session.scalar(
                select(QuizAttempt)
                .where(QuizAttempt.id == attempt_id, QuizAttempt.state == "in_progress")
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            if attempt is None:  # finished meanwhile, or another worker has it
                continue
            _close(attempt, now, None)
            closed += 1
    return closed


def pending_grading_count(course_id: int) -> int:
    """Answers waiting for a grader in a course (the instructor's to-do)."""
    return int(
        db.session.scalar(
            select(func.count(AttemptAnswer.id))
            .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
            .where(QuizAttempt.course_id == course_id, AttemptAnswer.needs_grading.is_(True))
        )
        or 0
    )
