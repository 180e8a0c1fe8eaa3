"""Dashboard panel of assessments: work waiting for a grader, in the courses the user grades."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import format_number, gettext
from sqlalchemy import func, select

from app.assessments.models import AttemptAnswer, QuizAttempt, Submission
from app.core.dashboard import DashboardRow, Panel
from app.core.targets import is_admin
from app.courses.services.catalog import courses_taught_by
from app.extensions import db
from app.lookups.services import lookup_id


def work_waiting_for_grading(user: Any) -> Panel | None:
    """Submitted assignments and quiz answers not graded yet: every course for admins, theirs otherwise."""
    submitted_id = lookup_id("assignment_status", "submitted")
    submitted = Submission.status_id == submitted_id
    answers = select(func.count(AttemptAnswer.id)).join(
        QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id
    )
    answers = answers.where(AttemptAnswer.needs_grading.is_(True))
    submissions = select(func.count(Submission.id)).where(submitted)
    if not is_admin(user):
        if not db.session.scalar(select(courses_taught_by(user.id).exists())):
            return None
        answers = answers.where(QuizAttempt.course_id.in_(courses_taught_by(user.id)))
        submissions = submissions.where(Submission.course_id.in_(courses_taught_by(user.id)))
    waiting_answers = db.session.scalar(answers) or 0
    waiting_submissions = db.session.scalar(submissions) or 0
    rows = []
    if waiting_submissions:
        text = gettext("Assignment submissions: %(count)s", count=format_number(waiting_submissions))
        rows.append(DashboardRow(text, url_for("SubmissionModelView.list", _flt_0_status=submitted_id)))
    if waiting_answers:
        text = gettext("Quiz answers: %(count)s", count=format_number(waiting_answers))
        rows.append(DashboardRow(text, url_for("QuizAttemptModelView.list", _flt_0_state=1)))
    return Panel(
        gettext("Work waiting for grading"),
        format_number(waiting_answers + waiting_submissions),
        rows,
        None,
        gettext("Nothing is waiting for grading."),
    )
