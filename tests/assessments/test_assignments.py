"""Assignments: text and file submissions, resubmission, late policy, file rules, rubric grading, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.assessments.models import GradeChange, RubricScore, Submission
from app.assessments.services.assignments import (
    can_edit_submission,
    files_of,
    grade_submission,
    percent_of,
    submission_of,
    submit_assignment,
)
from app.audit.models import AuditLog
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models import utcnow
from app.core.softdelete import INCLUDE_DELETED
from app.extensions import db
from app.media.models import Media
from tests.assessment_factories import make_assignment, make_rubric
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user
from tests.media_fixtures import png_bytes

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
T0 = utcnow().replace(microsecond=0)


@pytest.fixture
def world(ctx: None) -> SimpleNamespace:
    """An instructor's course with one enrolled student."""
    instructor, student = make_user("Instructor"), make_user("Student")
    course = make_course(instructors=[instructor])
    make_enrollment(student, course)
    return SimpleNamespace(instructor=instructor, student=student, course=course)


@pytest.fixture
def uploads(app, media_config) -> Iterator[Any]:
    """Local media storage and a request (the upload rate limit reads the client's address)."""
    with app.test_request_context():
        yield media_config


def _student(world: SimpleNamespace) -> Any:
    student = make_user("Student")
    make_enrollment(student, world.course)
    return student


def _media_rows() -> int:
    return db.session.scalar(select(func.count(Media.id)).execution_options(**{INCLUDE_DELETED: True}))


def _stored_files(root: Any) -> list[Any]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# ---- submitting -------------------------------------------------------------------------------------
def test_text_resubmission_until_graded_then_conflict(world):
    assignment = make_assignment(world.course)
    first = submit_assignment(world.student, assignment, text="<p>First</p><script>x()</script>", now=T0)
    assert first.status.code == "submitted" and first.submission_count == 1
    assert "First" in first.text and "<script" not in first.text
    assert first.is_late is False and first.submitted_at == T0
    again = submit_assignment(world.student, assignment, text="<p>Second</p>", now=T0 + timedelta(hours=1))
    assert again.id == first.id and again.submission_count == 2 and "Second" in again.text
    assert can_edit_submission(world.student, again)
    grade_submission(world.instructor, again, points=80)
    with pytest.raises(Conflict):
        submit_assignment(world.student, assignment, text="<p>Third</p>", now=T0 + timedelta(hours=2))
    db.session.expire_all()
    kept = submission_of(assignment, world.student.id)
    assert kept.submission_count == 2 and "Second" in kept.text and kept.status.code == "graded"
    assert not can_edit_submission(world.student, kept)


def test_files_are_stored_and_replaced_by_a_resubmission(world, uploads):
    assignment = make_assignment(world.course)
    first = submit_assignment(
        world.student, assignment, files=[("diagram.png", png_bytes((32, 32))), ("report.pdf", PDF)], now=T0
    )
    stored = files_of(first)
    assert sorted(media.original_filename for media in stored) == ["diagram.png", "report.pdf"]
    assert all(media.mediable_type == "submission" and not media.is_temporary for media in stored)
    assert {media.mime_type for media in stored} == {"image/png", "application/pdf"}
    old_ids = {media.id for media in stored}
    again = submit_assignment(world.student, assignment, files=[("final.pdf", PDF)], now=T0)
    assert again.submission_count == 2
    assert [media.original_filename for media in files_of(again)] == ["final.pdf"]
    replaced = db.session.scalars(
        select(Media).where(Media.id.in_(old_ids)).execution_options(**{INCLUDE_DELETED: True})
    )
    assert all(media.is_deleted for media in replaced)
    # text alone keeps the files already handed in
    third = submit_assignment(world.student, assignment, text="<p>Notes</p>", now=T0)
    assert third.submission_count == 3 and [m.original_filename for m in files_of(third)] == ["final.pdf"]


def test_nothing_to_hand_in_is_refused(world):
    assignment = make_assignment(world.course)
    for text in (None, "", "<p>  </p>"):
        with pytest.raises(Invalid):
            submit_assignment(world.student, assignment, text=text, now=T0)
    assert submission_of(assignment, world.student.id) is None


def test_students_not_entitled_and_unpublished_assignments_are_refused(world):
    assignment = make_assignment(world.course)
    with pytest.raises(Forbidden):
        submit_assignment(make_user("Student"), assignment, text="<p>Hi</p>", now=T0)
    hidden = make_assignment(world.course, is_published=False)
    with pytest.raises(NotFound):
        submit_assignment(world.student, hidden, text="<p>Hi</p>", now=T0)
    assert submission_of(hidden, world.student.id) is None


# ---- late policy ------------------------------------------------------------------------------------
def test_late_work_is_marked_and_penalised(world):
    assignment = make_assignment(world.course, due_at=T0, late_penalty_percent=Decimal("25"))
    on_time_student = _student(world)
    on_time = submit_assignment(
        on_time_student, assignment, text="<p>Early</p>", now=T0 - timedelta(minutes=1)
    )
    late = submit_assignment(world.student, assignment, text="<p>Late</p>", now=T0 + timedelta(hours=1))
    assert (on_time.is_late, late.is_late) == (False, True)
    late = grade_submission(world.instructor, late, points=33)
    assert (late.raw_points, late.penalty_points, late.points) == (
        Decimal("33.00"),
        Decimal("8.25"),  # 33 x 25 %
        Decimal("24.75"),
    )
    on_time = grade_submission(world.instructor, on_time, points=33)
    assert (on_time.penalty_points, on_time.points) == (Decimal("0"), Decimal("33.00"))


def test_refuse_policy_closes_submissions_at_the_due_date(world):
    assignment = make_assignment(world.course, due_at=T0, late_policy="refuse")
    assert submit_assignment(world.student, assignment, text="<p>x</p>", now=T0).is_late is False
    other = _student(world)
    with pytest.raises(Forbidden):
        submit_assignment(other, assignment, text="<p>x</p>", now=T0 + timedelta(seconds=1))
    assert submission_of(assignment, other.id) is None


def test_cutoff_refuses_even_with_the_penalty_policy(world):
    assignment = make_assignment(
        world.course, due_at=T0, cutoff_at=T0 + timedelta(days=1), late_policy="penalty"
    )
    assert submit_assignment(world.student, assignment, text="<p>x</p>", now=T0 + timedelta(hours=2)).is_late
    other = _student(world)
    with pytest.raises(Forbidden):
        submit_assignment(other, assignment, text="<p>x</p>", now=T0 + timedelta(days=1, minutes=1))
    assert submission_of(assignment, other.id) is None


# ---- file rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "files"),
    [
        ({"allowed_extensions": ["pdf"]}, [("photo.png", png_bytes((16, 16)))]),
        ({"max_files": 1}, [("a.pdf", PDF), ("b.pdf", PDF)]),
        ({"max_file_mb": 1}, [("big.pdf", PDF + b"%" * (1024 * 1024))]),
        ({}, [("ok.pdf", PDF), ("page.pdf", b"<html><script>alert(1)</script></html>")]),
    ],
    ids=["extension", "max-files", "max-size", "media-validation"],
)
def test_refused_files_store_nothing(world, uploads, fields, files):
    assignment = make_assignment(world.course, **fields)
    before = _media_rows()
    with pytest.raises(Invalid):
        submit_assignment(world.student, assignment, files=files, now=T0)
    assert _media_rows() == before
    assert submission_of(assignment, world.student.id) is None
    assert _stored_files(uploads) == []


def test_allowed_extensions_accept_their_files(world, uploads):
    assignment = make_assignment(world.course, allowed_extensions=[".PDF"], max_files=1, max_file_mb=1)
    row = submit_assignment(world.student, assignment, files=[("Essay.PDF", PDF)], now=T0)
    assert [m.original_filename for m in files_of(row)] == ["Essay.PDF"]
    assert len(_stored_files(uploads)) == 1


def test_allow_text_and_allow_files(world, uploads):
    files_only = make_assignment(world.course, allow_text=False)
    with pytest.raises(Invalid):
        submit_assignment(world.student, files_only, text="<p>Words</p>", now=T0)
    assert submit_assignment(world.student, files_only, files=[("a.pdf", PDF)], now=T0).text is None
    text_only = make_assignment(world.course, allow_files=False)
    before = _media_rows()
    with pytest.raises(Invalid):
        submit_assignment(world.student, text_only, files=[("a.pdf", PDF)], now=T0)
    assert _media_rows() == before and submission_of(text_only, world.student.id) is None
    assert "Words" in submit_assignment(world.student, text_only, text="<p>Words</p>", now=T0).text


# ---- grading ----------------------------------------------------------------------------------------
def _submitted(world: SimpleNamespace, **fields: Any) -> Submission:
    assignment = make_assignment(world.course, **fields)
    return submit_assignment(world.student, assignment, text="<p>My work</p>", now=T0)


def _levels(rubric: Any) -> list[dict[int, Any]]:
    """Each criterion's levels by points."""
    return [{int(level.points): level for level in criterion.levels} for criterion in rubric.criteria]


def test_rubric_totals_are_scaled_to_the_assignment_maximum(world):
    rubric = make_rubric(world.instructor, [[0, 5, 10], [0, 5, 10]])  # 20 points at most
    first, second = rubric.criteria
    one, two = _levels(rubric)
    submission = _submitted(world, rubric_id=rubric.id, max_points=Decimal("100"))
    graded = grade_submission(
        world.instructor, submission, levels={str(first.id): one[10].id, second.id: two[5].id}
    )
    assert graded.raw_points == graded.points == Decimal("75.00")  # (10 + 5) / 20 x 100
    scores = db.session.scalars(select(RubricScore).where(RubricScore.submission_id == graded.id))
    assert {(s.criterion_id, s.level_id, s.points) for s in scores} == {
        (first.id, one[10].id, Decimal("10.00")),
        (second.id, two[5].id, Decimal("5.00")),
    }
    # a re-grade replaces the chosen levels
    graded = grade_submission(world.instructor, graded, levels={first.id: one[5].id, second.id: two[0].id})
    assert graded.points == Decimal("25.00")
    rows = list(db.session.scalars(select(RubricScore).where(RubricScore.submission_id == graded.id)))
    assert sorted(s.points for s in rows) == [Decimal("0.00"), Decimal("5.00")]
    same_scale = _submitted(world, rubric_id=rubric.id, max_points=Decimal("20"))
    same_scale = grade_submission(
        world.instructor, same_scale, levels={first.id: one[10].id, second.id: two[5].id}
    )
    assert same_scale.points == Decimal("15.00")


def test_rubric_levels_must_cover_each_criterion_with_its_own_levels(world):
    rubric = make_rubric(world.instructor, [[0, 5], [0, 3]])
    first, second = rubric.criteria
    one, two = _levels(rubric)
    submission = _submitted(world, rubric_id=rubric.id)
    with pytest.raises(Invalid) as missing:
        grade_submission(world.instructor, submission, levels={first.id: one[5].id})
    assert set(missing.value.errors["levels"]) == {str(second.id)}
    with pytest.raises(Invalid) as foreign:
        grade_submission(world.instructor, submission, levels={first.id: two[3].id, second.id: two[3].id})
    assert set(foreign.value.errors["levels"]) == {str(first.id)}
    with pytest.raises(Invalid):
        grade_submission(world.instructor, submission, levels=[one[5].id, two[3].id])
    db.session.expire_all()
    assert submission.status.code == "submitted" and submission.points is None


def test_grading_without_rubric_checks_the_range_and_the_grader(world):
    submission = _submitted(world, max_points=Decimal("40"))
    for points in (41, -1, "lots", "NaN"):
        with pytest.raises(Invalid):
            grade_submission(world.instructor, submission, points=points)
    with pytest.raises(Invalid):
        grade_submission(world.instructor, submission)  # neither points nor levels
    with pytest.raises(Invalid):
        grade_submission(world.instructor, submission, levels={})  # no rubric
    stranger = make_user("Instructor")
    make_course(instructors=[stranger])
    for grader in (stranger, world.student):
        with pytest.raises(Forbidden):
            grade_submission(grader, submission, points=10)
    db.session.expire_all()
    assert submission.status.code == "submitted" and submission.points is None
    graded = grade_submission(
        world.instructor, submission, points="40", feedback="<p>Great</p><script>x</script>"
    )
    assert graded.points == Decimal("40.00") and graded.graded_by_id == world.instructor.id
    assert "Great" in graded.feedback and "<script" not in graded.feedback


def test_grade_changes_are_recorded_and_audited(world):
    submission = _submitted(world)
    grade_submission(world.instructor, submission, points=50)
    grade_submission(world.instructor, submission, points=70)
    grade_submission(world.instructor, submission, points=70)  # unchanged: no new history row
    changes = list(
        db.session.scalars(
            select(GradeChange).where(GradeChange.student_id == world.student.id).order_by(GradeChange.id)
        )
    )
    assert [(c.item_type, c.item_id, c.old_points, c.new_points, c.changed_by_id) for c in changes] == [
        ("assignment", submission.assignment_id, None, Decimal("50.00"), world.instructor.id),
        ("assignment", submission.assignment_id, Decimal("50.00"), Decimal("70.00"), world.instructor.id),
    ]
    audit = [
        row
        for row in db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "submission", AuditLog.entity_id == submission.id)
            .order_by(AuditLog.id)
        )
        if row.action.code == "updated" and "points" in (row.new_values or {})
    ]
    assert [(row.old_values["points"], row.new_values["points"]) for row in audit] == [
        (None, "50.00"),
        ("50.00", "70.00"),
    ]


def test_the_student_sees_the_grade_only_once_graded(world):
    submission = _submitted(world, max_points=Decimal("40"))
    assert percent_of(submission) is None and percent_of(None) is None
    submission.points = Decimal("30")  # a number alone is not a grade
    db.session.commit()
    assert percent_of(submission) is None
    graded = grade_submission(world.instructor, submission, points=30)
    assert percent_of(graded) == Decimal("75.00")
