"""The gradebook of a course: learners x quizzes and assignments, weights, totals, CSV, and the
history of every grade change (who, when, from what, to what)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.assessments.models import Assignment, GradeChange, Quiz, QuizAttempt, Submission
from app.assessments.services.access import require_staff
from app.core.models import cents
from app.core.targets import signed_in_user_id
from app.core.views import csv_safe
from app.courses.models import Course, Enrollment
from app.extensions import db
from app.lookups.models import Lookup
from app.security.models import LmsUser


@dataclass(frozen=True)
class GradeItem:
    """A column of the gradebook."""

    kind: str  # quiz or assignment
    id: int
    title: str
    weight: Decimal
    pass_mark: Decimal | None = None

    @property
    def key(self) -> str:
        """`quiz:7` or `assignment:3`."""
        return f"{self.kind}:{self.id}"


@dataclass
class GradeRow:
    """A learner's line: percent per item (None: no grade yet) and the weighted total."""

    user_id: int
    name: str
    email: str
    status: str
    cells: dict[str, Decimal | None] = field(default_factory=dict)
    total: Decimal | None = None


@dataclass
class Gradebook:
    """The items (columns) and rows of a course's gradebook."""

    course: Course
    items: list[GradeItem]
    rows: list[GradeRow]


def record_grade_change(
    course_id: int,
    student_id: int,
    item_type: str,
    item_id: int,
    old: Decimal | None,
    new: Decimal | None,
    actor: Any,
    reason: str | None = None,
) -> GradeChange:
    """Append one grade change (the caller commits)."""
    change = GradeChange(
        course_id=course_id,
        student_id=student_id,
        item_type=item_type,
        item_id=item_id,
        old_points=old,
        new_points=new,
        changed_by_id=signed_in_user_id(actor),
        reason=reason,
    )
    db.session.add(change)
    return change


def grade_items(course_id: int, kind: str | None = None) -> list[GradeItem]:
    """The course's published quizzes and assignments (optionally one kind), in creation order."""
    items: list[GradeItem] = []
    if kind in (None, "quiz"):
        quizzes = db.session.scalars(
            select(Quiz).where(Quiz.course_id == course_id, Quiz.is_published.is_(True)).order_by(Quiz.id)
        )
        items += [GradeItem("quiz", q.id, q.title, q.weight, q.pass_mark) for q in quizzes]
    if kind in (None, "assignment"):
        assignments = db.session.scalars(
            select(Assignment)
            .where(Assignment.course_id == course_id, Assignment.is_published.is_(True))
            .order_by(Assignment.id)
        )
        items += [GradeItem("assignment", a.id, a.title, a.weight) for a in assignments]
    return items


def _quiz_grades(course_id: int, quizzes: dict[int, Quiz]) -> dict[tuple[int, int], Decimal]:
    """(quiz id, user id) -> the quiz grade by the quiz's grading method, in one query."""
    percents: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    rows = db.session.execute(
        select(QuizAttempt.quiz_id, QuizAttempt.user_id, QuizAttempt.percent)
        .where(
            QuizAttempt.course_id == course_id,
            QuizAttempt.state == "graded",
            QuizAttempt.percent.is_not(None),
        )
        .order_by(QuizAttempt.number)
    )
    for quiz_id, user_id, percent in rows:
        percents[(quiz_id, user_id)].append(percent)
    grades: dict[tuple[int, int], Decimal] = {}
    for key, values in percents.items():
        method = quizzes[key[0]].grading_method if key[0] in quizzes else "highest"
        value = (
            values[-1]
            if method == "last"
            else sum(values) / len(values)
            if method == "average"
            else max(values)
        )
        grades[key] = cents(value)
    return grades


def _assignment_grades(course_id: int) -> dict[tuple[int, int], Decimal]:
    rows = db.session.execute(
        select(Submission.assignment_id, Submission.user_id, Submission.points, Assignment.max_points)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Lookup, Lookup.id == Submission.status_id)
        .where(Submission.course_id == course_id, Lookup.code == "graded", Submission.points.is_not(None))
    )
    return {(aid, uid): cents(100 * points / maximum) for aid, uid, points, maximum in rows}


def weighted_total(items: list[GradeItem], cells: dict[str, Decimal | None]) -> Decimal | None:
    """Sum of weight x percent over the sum of weights; an item without a grade counts as 0."""
    weights = sum((item.weight for item in items), Decimal("0"))
    if not weights:
        return None
    total = sum((item.weight * (cells.get(item.key) or Decimal("0")) for item in items), Decimal("0"))
    return cents(total / weights)


def build_gradebook(
    course: Course, *, search: str | None = None, status: str | None = None, kind: str | None = None
) -> Gradebook:
    """Every enrolled learner (filtered by name or e-mail and enrolment status) x every item."""
    items = grade_items(course.id, kind)
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    quiz_grades = _quiz_grades(course.id, quizzes)
    assignment_grades = _assignment_grades(course.id)
    query = (
        select(Enrollment.user_id, LmsUser.first_name, LmsUser.last_name, LmsUser.email, Lookup.code)
        .join(LmsUser, LmsUser.id == Enrollment.user_id)
        .join(Lookup, Lookup.id == Enrollment.status_id)
        .where(Enrollment.course_id == course.id)
        .order_by(LmsUser.last_name, LmsUser.first_name, LmsUser.id)
    )
    if status:
        query = query.where(Lookup.code == status)
    if search:
        pattern = f"%{search.strip()[:100]}%"
        query = query.where(
            or_(
                LmsUser.first_name.ilike(pattern),
                LmsUser.last_name.ilike(pattern),
                LmsUser.email.ilike(pattern),
            )
        )
    rows: list[GradeRow] = []
    for user_id, first, last, email, status_code in db.session.execute(query):
        row = GradeRow(user_id, f"{first} {last}".strip(), email, status_code)
        for item in items:
            grades = quiz_grades if item.kind == "quiz" else assignment_grades
            row.cells[item.key] = grades.get((item.id, user_id))
        row.total = weighted_total(items, row.cells)
        rows.append(row)
    return Gradebook(course, items, rows)


def course_grade(user_id: int, course: Course) -> Decimal | None:
    """One learner's weighted total in a course."""
    items = grade_items(course.id)
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    quiz_grades = {k: v for k, v in _quiz_grades(course.id, quizzes).items() if k[1] == user_id}
    assignment_grades = {k: v for k, v in _assignment_grades(course.id).items() if k[1] == user_id}
    cells = {
        item.key: (quiz_grades if item.kind == "quiz" else assignment_grades).get((item.id, user_id))
        for item in items
    }
    return weighted_total(items, cells)


def gradebook_for(user: Any, course: Course, **filters: Any) -> Gradebook:
    """The gradebook, for the course's staff only."""
    require_staff(user, course)
    return build_gradebook(course, **filters)


def gradebook_csv(book: Gradebook) -> str:
    """The gradebook as CSV: student, e-mail, status, one column per item (percent), weighted total."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Student"),
            _("Email"),
            _("Status"),
            *(csv_safe(f"{item.title} ({item.weight})") for item in book.items),
            _("Total"),
        ]
    )
    for row in book.rows:
        cells = ["" if row.cells[item.key] is None else str(row.cells[item.key]) for item in book.items]
        writer.writerow(
            [
                csv_safe(row.name),
                csv_safe(row.email),
                row.status,
                *cells,
                "" if row.total is None else row.total,
            ]
        )
    return out.getvalue()


def grade_history(
    course: Course, student_id: int | None = None, limit: int | None = None
) -> list[GradeChange]:
    """The course's grade changes, newest first (one learner's when given; the latest `limit`)."""
    query = select(GradeChange).where(GradeChange.course_id == course.id)
    if student_id is not None:
        query = query.where(GradeChange.student_id == student_id)
    return list(db.session.scalars(query.order_by(GradeChange.id.desc()).limit(limit)))
