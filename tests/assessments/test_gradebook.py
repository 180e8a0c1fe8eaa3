"""The gradebook (cells, weighted totals, filters, CSV, access) and the assessment completion criteria."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from app.assessments.models import QuizAttempt, Submission
from app.assessments.services.attempts import start_attempt, submit_attempt
from app.assessments.services.gradebook import (
    build_gradebook,
    course_grade,
    grade_history,
    gradebook_csv,
    gradebook_for,
    record_grade_change,
)
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.courses.models import Course, Enrollment
from app.courses.services import progress
from app.courses.signals import course_completed
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.assessment_factories import make_assignment, make_bank, make_question, make_quiz, set_completion
from tests.course_factories import make_course, make_enrollment, make_lesson, make_progress, make_section
from tests.factories import make_user

T0 = utcnow().replace(microsecond=0)


def _graded_attempts(quiz: Any, user: Any, *percents: int) -> None:
    """Graded attempts written directly, numbered in order."""
    for number, percent in enumerate(percents, start=1):
        db.session.add(
            QuizAttempt(
                quiz_id=quiz.id,
                user_id=user.id,
                course_id=quiz.course_id,
                number=number,
                state="graded",
                started_at=T0,
                submitted_at=T0,
                graded_at=T0,
                question_ids=[],
                option_order={},
                max_score=Decimal("100"),
                score=Decimal(percent),
                percent=Decimal(percent),
                passed=percent >= quiz.pass_mark,
            )
        )
    db.session.commit()


def _submission(assignment: Any, user: Any, points: Any = None) -> Submission:
    """A handed-in submission written directly, graded when `points` are given."""
    row = Submission(
        assignment_id=assignment.id,
        user_id=user.id,
        course_id=assignment.course_id,
        status_id=require_lookup_id("assignment_status", "submitted" if points is None else "graded"),
        text="<p>Work</p>",
        submitted_at=T0,
        submission_count=1,
    )
    db.session.add(row)
    db.session.commit()
    if points is not None:
        _set_points(row, points)
    return row


def _set_points(row: Submission, points: Any) -> None:
    value = Decimal(str(points))
    row.raw_points, row.penalty_points, row.points = value, Decimal("0"), value
    row.status_id = require_lookup_id("assignment_status", "graded")
    db.session.commit()


@pytest.fixture
def book(ctx: None) -> SimpleNamespace:
    """Two quizzes (weights 1 and 2), one assignment (weight 1, 50 points) and three students."""
    instructor = make_user("Instructor")
    course = make_course(instructors=[instructor])
    first = make_quiz(course, title="Quiz one", weight=Decimal("1"))
    final = make_quiz(course, title="=Final", weight=Decimal("2"))
    make_quiz(course, title="Draft", is_published=False)
    essay = make_assignment(course, title="Essay", weight=Decimal("1"), max_points=Decimal("50"))
    alice = make_user("Student", first_name="Alice", last_name="Adams", email="alice@school.test")
    bob = make_user("Student", first_name="Bob", last_name="Brown", email="bob@school.test")
    carol = make_user("Student", first_name="=SUM(A1)", last_name="Carter", email="carol@school.test")
    make_enrollment(alice, course)
    make_enrollment(bob, course)
    make_enrollment(carol, course, status="completed")
    _graded_attempts(first, alice, 80)
    _graded_attempts(final, alice, 50)
    _graded_attempts(first, bob, 40, 100)  # highest counts
    _graded_attempts(final, carol, 75)
    _submission(essay, alice, 45)  # 90 %
    _submission(essay, bob)  # not graded yet
    record_grade_change(course.id, alice.id, "assignment", essay.id, None, Decimal("45"), instructor)
    db.session.commit()
    return SimpleNamespace(
        instructor=instructor,
        course=course,
        keys=[f"quiz:{first.id}", f"quiz:{final.id}", f"assignment:{essay.id}"],
        essay=essay,
        alice=alice,
        bob=bob,
        carol=carol,
    )


def _cells(book: SimpleNamespace, gradebook: Any) -> dict[str, list[Any]]:
    return {row.name: [row.cells[key] for key in book.keys] for row in gradebook.rows}


def test_cells_and_weighted_totals(book):
    gradebook = gradebook_for(book.instructor, book.course)
    assert [item.key for item in gradebook.items] == book.keys
    assert [item.weight for item in gradebook.items] == [Decimal("1"), Decimal("2"), Decimal("1")]
    assert [row.name for row in gradebook.rows] == ["Alice Adams", "Bob Brown", "=SUM(A1) Carter"]
    assert _cells(book, gradebook) == {
        "Alice Adams": [Decimal("80.00"), Decimal("50.00"), Decimal("90.00")],
        "Bob Brown": [Decimal("100.00"), None, None],
        "=SUM(A1) Carter": [None, Decimal("75.00"), None],
    }
    # (80 x 1 + 50 x 2 + 90 x 1) / 4, (100 + 0 + 0) / 4, (0 + 75 x 2 + 0) / 4: a missing grade counts 0
    assert [row.total for row in gradebook.rows] == [Decimal("67.50"), Decimal("25.00"), Decimal("37.50")]
    assert [row.status for row in gradebook.rows] == ["active", "active", "completed"]
    assert course_grade(book.alice.id, book.course) == Decimal("67.50")
    assert course_grade(book.bob.id, book.course) == Decimal("25.00")
    history = grade_history(book.course, book.alice.id)
    assert [(c.item_type, c.old_points, c.new_points, c.changed_by_id) for c in history] == [
        ("assignment", None, Decimal("45.00"), book.instructor.id)
    ]
    assert grade_history(book.course, book.bob.id) == []


def test_filters_by_name_email_status_and_kind(book):
    def names(**filters: Any) -> list[str]:
        return [row.name for row in build_gradebook(book.course, **filters).rows]

    assert names(search="aDaMs") == ["Alice Adams"]
    assert names(search="bob@school") == ["Bob Brown"]
    assert names(search="nobody") == []
    assert names(status="completed") == ["=SUM(A1) Carter"]
    assert names(status="active", search="b") == ["Bob Brown"]
    quizzes_only = build_gradebook(book.course, kind="quiz")
    assert [item.kind for item in quizzes_only.items] == ["quiz", "quiz"]
    assert [row.total for row in quizzes_only.rows] == [Decimal("60.00"), Decimal("33.33"), Decimal("50.00")]
    assignments_only = build_gradebook(book.course, kind="assignment")
    assert [item.key for item in assignments_only.items] == book.keys[2:]
    assert [row.total for row in assignments_only.rows] == [
        Decimal("90.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]


def test_csv_has_a_header_a_row_per_student_and_no_formulas(book):
    rows = list(csv.reader(io.StringIO(gradebook_csv(build_gradebook(book.course)))))
    assert rows[0] == [
        "Student",
        "Email",
        "Status",
        "Quiz one (1.00)",
        "'=Final (2.00)",
        "Essay (1.00)",
        "Total",
    ]
    assert rows[1:] == [
        ["Alice Adams", "alice@school.test", "active", "80.00", "50.00", "90.00", "67.50"],
        ["Bob Brown", "bob@school.test", "active", "100.00", "", "", "25.00"],
        ["'=SUM(A1) Carter", "carol@school.test", "completed", "", "75.00", "", "37.50"],
    ]


def test_only_the_course_staff_see_the_gradebook(book):
    outsider = make_user("Instructor")
    make_course(instructors=[outsider])
    for user in (book.alice, outsider):
        with pytest.raises(Forbidden):
            gradebook_for(user, book.course)
    assert len(gradebook_for(make_user("Admin"), book.course).rows) == 3


# ---- completion criteria ----------------------------------------------------------------------------
def _completing_course(**completion: Any) -> SimpleNamespace:
    """A course with one required lesson (done by the student) and completion settings."""
    instructor, student = make_user("Instructor"), make_user("Student")
    course = make_course(instructors=[instructor])
    lesson = make_lesson(make_section(course))
    enrollment = make_enrollment(student, course)
    make_progress(student, lesson, completed=True)
    if completion:
        set_completion(course, **completion)
    return SimpleNamespace(instructor=instructor, student=student, course=course, enrollment=enrollment)


def _completed(world: SimpleNamespace) -> bool:
    enrollment = db.session.get(Enrollment, world.enrollment.id, populate_existing=True)
    return enrollment.status.code == "completed" and enrollment.completed_at is not None


@pytest.fixture
def hook_calls() -> Any:
    """A temporary `course_completed` receiver recording its calls, disconnected afterwards."""
    calls: list[tuple[int, int]] = []

    def hook(_sender: Any, *, user_id: int, course_id: int) -> None:
        calls.append((user_id, course_id))

    course_completed.connect(hook)
    try:
        yield calls
    finally:
        course_completed.disconnect(hook)


def test_minimum_grade_completes_the_course_once_reached_and_calls_the_hooks_once(ctx, hook_calls):
    world = _completing_course(min_grade_percent=Decimal("60"))
    assignment = make_assignment(world.course)
    assert progress.refresh_completion(world.student.id, world.course) is False  # no grade: 0 %
    submission = _submission(assignment, world.student)
    assert progress.refresh_completion(world.student.id, world.course) is False  # not graded: 0 %
    _set_points(submission, "59.99")
    assert progress.refresh_completion(world.student.id, world.course) is False
    assert not _completed(world) and hook_calls == []
    _set_points(submission, 60)
    assert progress.refresh_completion(world.student.id, world.course) is True
    assert _completed(world)
    assert hook_calls == [(world.student.id, world.course.id)]
    _set_points(submission, 95)
    assert progress.refresh_completion(world.student.id, world.course) is False  # already completed
    assert hook_calls == [(world.student.id, world.course.id)]


def test_minimum_grade_needs_the_required_lessons_too(ctx):
    world = _completing_course(min_grade_percent=Decimal("60"))
    extra = make_lesson(make_section(world.course), "Second")
    assignment = make_assignment(world.course)
    _submission(assignment, world.student, 100)
    assert progress.refresh_completion(world.student.id, world.course) is False
    assert not _completed(world)
    make_progress(world.student, extra, completed=True)
    assert progress.refresh_completion(world.student.id, world.course) is True
    assert _completed(world)


def _two_question_quiz(world: SimpleNamespace, **fields: Any) -> tuple[Any, list[Any]]:
    bank = make_bank(world.instructor, world.course)
    questions = [make_question(bank), make_question(bank)]
    return make_quiz(world.course, questions=questions, **fields), questions


def _take(world: SimpleNamespace, quiz: Any, questions: list[Any], right: int, minute: int) -> QuizAttempt:
    now = T0 + timedelta(minutes=minute)
    attempt = start_attempt(world.student, quiz, now=now)
    answers = {str(q.id): [o.id for o in q.options if o.is_correct] for q in questions[:right]}
    return submit_attempt(world.student, attempt, answers, now=now + timedelta(seconds=30))


@pytest.mark.parametrize("settings", [{}, {"require_quizzes_passed": True}])
def test_required_quizzes_must_be_passed(ctx, hook_calls, settings):
    world = _completing_course(**settings)
    quiz, questions = _two_question_quiz(world, pass_mark=Decimal("60"))
    optional, _ = _two_question_quiz(world, is_required=False)
    _two_question_quiz(world, is_published=False)
    assert progress.refresh_completion(world.student.id, world.course) is False
    assert _take(world, quiz, questions, right=1, minute=0).passed is False
    assert not _completed(world) and hook_calls == []
    assert _take(world, quiz, questions, right=2, minute=5).passed is True  # completes on grading
    assert _completed(world)
    assert hook_calls == [(world.student.id, world.course.id)]
    assert optional.is_required is False


def test_quizzes_need_not_be_passed_when_the_course_says_so(ctx):
    world = _completing_course(require_quizzes_passed=False)
    _two_question_quiz(world, pass_mark=Decimal("60"))
    assert progress.refresh_completion(world.student.id, world.course) is True
    assert _completed(world)


def test_required_assignments_must_be_graded(ctx, hook_calls):
    world = _completing_course(require_assignments_graded=True)
    required = make_assignment(world.course)
    make_assignment(world.course, title="Optional", is_required=False)
    make_assignment(world.course, title="Hidden", is_published=False)
    assert progress.refresh_completion(world.student.id, world.course) is False
    submission = _submission(required, world.student)
    assert progress.refresh_completion(world.student.id, world.course) is False  # handed in, not graded
    _set_points(submission, 10)  # any grade will do
    assert progress.refresh_completion(world.student.id, world.course) is True
    assert _completed(world)
    assert hook_calls == [(world.student.id, world.course.id)]
    course = db.session.get(Course, world.course.id)
    assert progress.refresh_completion(world.student.id, course) is False
    assert len(hook_calls) == 1
