"""Assessment services only flush: an error half-way through one of them (or in its caller) inside
`transaction()` leaves nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.assessments.models import Question, Submission
from app.assessments.services import assignments
from app.assessments.services.banks import create_question, import_questions_csv
from app.core.transactions import transaction
from app.extensions import db
from tests.assessment_factories import make_assignment, make_bank
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def _count(model: type, *where: Any) -> int:
    db.session.remove()  # a fresh session: only what was committed
    return db.session.scalar(select(func.count(model.id)).where(*where))


def test_a_submission_failing_half_way_writes_no_submission_row(ctx):
    student, course = make_user("Student"), make_course()
    make_enrollment(student, course)
    assignment = make_assignment(course)
    db.session.commit()
    assignment_id = assignment.id

    def broken(_row: Submission) -> Submission:
        raise RuntimeError("the lock step broke")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assignments, "_locked", broken)  # after the submission row was created
        with pytest.raises(RuntimeError), transaction():
            assignments.submit_assignment(student, assignment, text="<p>Mine</p>", now=T0)
    assert _count(Submission, Submission.assignment_id == assignment_id) == 0


def test_questions_written_before_the_callers_error_are_not_kept(ctx):
    instructor = make_user("Instructor")
    bank = make_bank(owner=instructor)
    db.session.commit()
    bank_id = bank.id
    essay = {"type": "essay", "translations": {"en": {"text": "Why?"}}}
    with pytest.raises(RuntimeError), transaction():
        create_question(instructor, bank, **essay)
        import_questions_csv(instructor, bank, b"type,text_en\nessay,How?\n")
        raise RuntimeError("the caller's next step broke")
    assert _count(Question, Question.bank_id == bank_id) == 0
