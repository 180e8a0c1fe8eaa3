"""What a learner (or the course's staff) sees of an attempt: questions in the attempt's order, the
saved answers, and scores and correct answers only when the quiz's review option allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.assessments.models import AttemptAnswer, Question, QuestionOption, QuizAttempt
from app.assessments.services.access import is_staff, quiz_of
from app.assessments.services.quizzes import review_open, seconds_left
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.targets import signed_in_user_id
from app.core.translations import translated
from app.extensions import db


def can_see_attempt(user: Any, attempt: QuizAttempt) -> bool:
    """The learner who made it and the course's staff."""
    return signed_in_user_id(user) == attempt.user_id or is_staff(user, quiz_of(attempt).course)


def _option(option: QuestionOption, reveal: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": option.id, "text": option.text}
    if reveal:
        item["is_correct"] = option.is_correct
        item["feedback"] = translated(option.translations, "feedback") or None
    return item


def attempt_view(user: Any, attempt: QuizAttempt, *, now: datetime | None = None) -> dict[str, Any]:
    """The attempt as the user may see it (NotFound for anyone else)."""
    if not can_see_attempt(user, attempt):
        raise NotFound()
    now = now or utcnow()
    staff = is_staff(user, quiz_of(attempt).course)
    finished = attempt.state in ("submitted", "overdue", "graded")
    reveal = staff or (finished and review_open(quiz_of(attempt), attempt.user_id, now))
    questions = {
        question.id: question
        for question in db.session.scalars(
            select(Question).where(Question.id.in_(attempt.question_ids or []))
        )
    }
    answers = {
        answer.question_id: answer
        for answer in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    }
    items = []
    for question_id in attempt.question_ids:
        question = questions.get(question_id)
        if question is None:
            continue
        by_id = {option.id: option for option in question.options}
        order = attempt.option_order.get(str(question_id), list(by_id))
        answer = answers.get(question_id)
        item: dict[str, Any] = {
            "id": question.id,
            "type": question.type_code,
            "text": question.text,
            "points": str(question.points),
            "multiple_answers": question.multiple_answers,
            "options": [_option(by_id[oid], reveal) for oid in order if oid in by_id],
            "answer": {
                "selected_option_ids": answer.selected_option_ids if answer else [],
                "text": answer.text_answer if answer else None,
            },
        }
        if reveal and answer is not None:
            item["result"] = {
                "is_correct": answer.is_correct,
                "points_awarded": None if answer.points_awarded is None else str(answer.points_awarded),
                "needs_grading": answer.needs_grading,
                "feedback": answer.feedback,
                "question_feedback": translated(question.translations, "feedback") or None,
            }
            if question.type_code == "short_answer":
                item["result"]["accepted_answers"] = question.accepted_answers
        if staff and answer is not None:
            item["answer_id"] = answer.id
        items.append(item)
    view: dict[str, Any] = {
        "id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at.isoformat(),
        "deadline_at": attempt.deadline_at.isoformat() if attempt.deadline_at else None,
        "seconds_left": seconds_left(attempt, now) if attempt.state == "in_progress" else None,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "review_available": reveal,
        "questions": items,
    }
    if reveal:
        view.update(
            score=None if attempt.score is None else str(attempt.score),
            max_score=str(attempt.max_score),
            percent=None if attempt.percent is None else str(attempt.percent),
            passed=attempt.passed,
        )
    return view
