"""What a learner must hand in soon: assignments due and quizzes closing in the coming days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.assessments.models import Assignment, Quiz, Submission
from app.core.models import utcnow
from app.courses.services.access import accessible_course_ids
from app.extensions import db
from app.lookups.services import lookup_id

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Deadline:
    """An assignment or quiz with the moment it is due."""

    kind: str  # "assignment" or "quiz"
    id: int
    title: str
    due_at: datetime


def upcoming_deadlines(user_id: int, within: timedelta = WEEK, limit: int = 10) -> list[Deadline]:
    """Published work in the learner's open courses due within `within`, not handed in yet, soonest first."""
    now = utcnow()
    courses = accessible_course_ids(user_id)
    handed_in = select(Submission.assignment_id).where(
        Submission.user_id == user_id,
        Submission.status_id != lookup_id("assignment_status", "not_submitted"),
    )
    assignments = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.course_id.in_(courses),
            Assignment.is_published.is_(True),
            Assignment.due_at > now,
            Assignment.due_at <= now + within,
            Assignment.id.not_in(handed_in),
        )
        .order_by(Assignment.due_at)
        .limit(limit)
    )
    quizzes = db.session.scalars(
        select(Quiz)
        .where(
            Quiz.course_id.in_(courses),
            Quiz.is_published.is_(True),
            Quiz.closes_at > now,
            Quiz.closes_at <= now + within,
        )
        .order_by(Quiz.closes_at)
        .limit(limit)
    )
    found: list[Any] = [Deadline("assignment", a.id, a.title, a.due_at) for a in assignments]
    found += [Deadline("quiz", q.id, q.title, q.closes_at) for q in quizzes]
    return sorted(found, key=lambda deadline: deadline.due_at)[:limit]
