"""The settings rules of `services` (quizzes, overrides, draws, quiz questions, assignments, rubric
levels, completion criteria), called directly: one refused and one accepted value per rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from app.assessments.models import (
    Assignment,
    CourseCompletion,
    Quiz,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
    RubricCriterion,
    RubricLevel,
)
from app.assessments.services.assignments import check_assignment, check_rubric_criterion, check_rubric_level
from app.assessments.services.completion import check_completion
from app.assessments.services.quizzes import check_draw, check_override, check_quiz, check_quiz_question
from app.core.errors import Conflict, Invalid
from app.core.models import utcnow
from app.core.softdelete import soft_delete
from app.extensions import db
from tests.assessment_factories import make_bank, make_question, make_quiz, make_rubric, set_completion
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user

T0 = utcnow().replace(microsecond=0)
TITLE = {"en": {"title": "Settings"}, "ar": {"title": "إعدادات"}}


@pytest.fixture
def world(ctx: None) -> SimpleNamespace:
    """A course (lesson, enrolled student, bank of two questions, quiz), a rubric, another course's lesson."""
    instructor, student = make_user("Instructor"), make_user("Student")
    course, other = make_course(instructors=[instructor]), make_course(instructors=[instructor])
    make_enrollment(student, course)
    bank = make_bank(instructor, course)
    first, second = make_question(bank, "essay"), make_question(bank, "essay")
    return SimpleNamespace(
        course=course,
        lesson=make_lesson(make_section(course)),
        other_lesson=make_lesson(make_section(other)),
        student=student,
        bank=bank,
        first=first,
        second=second,
        quiz=make_quiz(course, questions=[first]),
        rubric=make_rubric(instructor, [[0, 5]]),
    )


def _ids(rules: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    return [f"{field}-{n}" for n, (field, _bad, _good) in enumerate(rules)]


def _refused(check: Any, item: Any, field: str) -> Invalid:
    """The rule refuses the item with a message on `field`."""
    with pytest.raises(Invalid) as refused:
        check(item)
    assert field in refused.value.errors, refused.value.errors
    assert all(isinstance(m, str) and m for m in refused.value.errors[field])
    assert refused.value.status_code == 422 and refused.value.message
    return refused.value


def _stored(item: Any) -> Any:
    db.session.add(item)
    db.session.commit()
    return item


# ---- quizzes ----------------------------------------------------------------------------------
def _quiz(world: SimpleNamespace, **fields: Any) -> Quiz:
    values = {"grading_method": "highest", "review_option": "immediately", "pass_mark": 50, "weight": 1}
    return Quiz(course_id=world.course.id, translations=TITLE, **{**values, **fields})


QUIZ_RULES = [
    ("grading_method", {"grading_method": "median"}, {"grading_method": "average"}),
    ("review_option", {"review_option": "sometimes"}, {"review_option": "never"}),
    ("time_limit_minutes", {"time_limit_minutes": 0}, {"time_limit_minutes": 1}),
    ("time_limit_minutes", {"time_limit_minutes": 7 * 24 * 60 + 1}, {"time_limit_minutes": 7 * 24 * 60}),
    ("max_attempts", {"max_attempts": 0}, {"max_attempts": 1}),
    ("max_attempts", {"max_attempts": 101}, {"max_attempts": 100}),
    ("pass_mark", {"pass_mark": Decimal("-0.01")}, {"pass_mark": 0}),
    ("pass_mark", {"pass_mark": Decimal("100.01")}, {"pass_mark": 100}),
    ("weight", {"weight": -1}, {"weight": 0}),
    ("weight", {"weight": 1001}, {"weight": 1000}),
    (
        "closes_at",
        {"opens_at": T0, "closes_at": T0},
        {"opens_at": T0, "closes_at": T0 + timedelta(minutes=1)},
    ),
    ("review_option", {"review_option": "after_close"}, {"review_option": "after_close", "closes_at": T0}),
]


@pytest.mark.parametrize(("field", "bad", "good"), QUIZ_RULES, ids=_ids(QUIZ_RULES))
def test_quiz_rules(world, field, bad, good):
    _refused(check_quiz, _quiz(world, **bad), field)
    check_quiz(_quiz(world, **good))


def test_a_quiz_lesson_belongs_to_the_quiz_course(world):
    _refused(check_quiz, _quiz(world, lesson_id=world.other_lesson.id), "lesson_id")
    check_quiz(_quiz(world, lesson_id=world.lesson.id))
    # a form sets the relationships, not the ids
    _refused(check_quiz, _quiz(world, lesson=world.other_lesson), "lesson_id")
    check_quiz(_quiz(world, lesson=world.lesson))


def test_every_problem_of_a_quiz_is_reported_at_once(world):
    refused = _refused(check_quiz, _quiz(world, pass_mark=101, weight=-1, max_attempts=0), "pass_mark")
    assert {"pass_mark", "weight", "max_attempts"} <= set(refused.errors)


def test_a_stored_quiz_cannot_empty_its_required_settings(world):
    world.quiz.pass_mark = None
    _refused(check_quiz, world.quiz, "pass_mark")
    world.quiz.pass_mark = Decimal("60")
    check_quiz(world.quiz)


# ---- overrides --------------------------------------------------------------------------------
def _override(world: SimpleNamespace, **fields: Any) -> QuizOverride:
    values = {"quiz_id": world.quiz.id, "user_id": world.student.id}
    return QuizOverride(**{**values, **fields})


OVERRIDE_RULES = [
    ("extra_minutes", {"extra_minutes": -1}, {"extra_minutes": 0}),
    ("extra_minutes", {"extra_minutes": 7 * 24 * 60 + 1}, {"extra_minutes": 7 * 24 * 60}),
    ("extra_attempts", {"extra_attempts": -1}, {"extra_attempts": 0}),
    ("extra_attempts", {"extra_attempts": 101}, {"extra_attempts": 100}),
    ("closes_at", {"opens_at": T0, "closes_at": T0 - timedelta(days=1)}, {"opens_at": T0, "closes_at": None}),
]


@pytest.mark.parametrize(("field", "bad", "good"), OVERRIDE_RULES, ids=_ids(OVERRIDE_RULES))
def test_override_rules(world, field, bad, good):
    _refused(check_override, _override(world, **bad), field)
    check_override(_override(world, **good))


def test_empty_extras_are_zero(world):
    override = _override(world, extra_minutes=None, extra_attempts=None)
    check_override(override)
    assert (override.extra_minutes, override.extra_attempts) == (0, 0)


def test_an_override_is_for_a_student_enrolled_in_the_quiz_course(world):
    _refused(check_override, _override(world, user_id=make_user("Student").id), "user_id")
    check_override(_override(world, user_id=world.student.id))


def test_one_live_override_per_quiz_and_student(world):
    stored = _stored(_override(world, extra_minutes=10))
    with pytest.raises(Conflict) as refused:
        check_override(_override(world, extra_minutes=20))
    assert refused.value.status_code == 409 and "user_id" in refused.value.errors
    check_override(stored)  # the stored override itself is no duplicate
    soft_delete(stored)
    db.session.commit()
    check_override(_override(world, extra_minutes=20))


# ---- draws and fixed questions ----------------------------------------------------------------
def _draw(world: SimpleNamespace, **fields: Any) -> QuizDraw:
    return QuizDraw(quiz_id=world.quiz.id, bank_id=world.bank.id, **{"count": 1, **fields})


DRAW_RULES = [
    ("count", {"count": 0}, {"count": 1}),
    ("count", {"count": 101}, {"count": 100}),
    ("tag", {"tag": "x" * 101}, {"tag": "x" * 100}),
    ("position", {"position": -1}, {"position": 0}),
]


@pytest.mark.parametrize(("field", "bad", "good"), DRAW_RULES, ids=_ids(DRAW_RULES))
def test_draw_rules(world, field, bad, good):
    _refused(check_draw, _draw(world, **bad), field)
    check_draw(_draw(world, **good))


def test_a_draw_tag_is_stripped_and_a_new_draw_goes_last(world):
    stored = _stored(_draw(world, position=4))
    draw = _draw(world, tag="  algebra  ")
    check_draw(draw)
    assert (draw.tag, draw.position) == ("algebra", stored.position + 1)
    blank = _draw(world, tag="   ")
    check_draw(blank)
    assert blank.tag is None


def test_a_question_is_once_in_a_quiz(world):
    with pytest.raises(Conflict) as refused:
        check_quiz_question(QuizQuestion(quiz_id=world.quiz.id, question_id=world.first.id))
    assert "question_id" in refused.value.errors
    link = QuizQuestion(quiz_id=world.quiz.id, question_id=world.second.id)
    check_quiz_question(link)
    assert link.position == 1  # after the first question (position 0)


# ---- assignments ------------------------------------------------------------------------------
def _assignment(world: SimpleNamespace, **fields: Any) -> Assignment:
    values = {
        "late_policy": "penalty",
        "late_penalty_percent": 10,
        "max_points": 100,
        "max_files": 5,
        "weight": 1,
        "allow_files": True,
        "allow_text": True,
        "allowed_extensions": [],
    }
    return Assignment(course_id=world.course.id, translations=TITLE, **{**values, **fields})


ASSIGNMENT_RULES = [
    ("late_policy", {"late_policy": "forgive"}, {"late_policy": "refuse"}),
    ("late_penalty_percent", {"late_penalty_percent": -1}, {"late_penalty_percent": 0}),
    ("late_penalty_percent", {"late_penalty_percent": 101}, {"late_penalty_percent": 100}),
    ("max_points", {"max_points": 0}, {"max_points": Decimal("0.01")}),
    ("max_points", {"max_points": 100_001}, {"max_points": 100_000}),
    ("max_files", {"max_files": -1}, {"max_files": 0}),
    ("max_files", {"max_files": 101}, {"max_files": 100}),
    ("max_file_mb", {"max_file_mb": 0}, {"max_file_mb": 1}),
    ("max_file_mb", {"max_file_mb": 101}, {"max_file_mb": 100}),  # the submissions kind takes 100 MB
    ("weight", {"weight": -1}, {"weight": 0}),
    ("weight", {"weight": 1001}, {"weight": 1000}),
    ("cutoff_at", {"due_at": T0, "cutoff_at": T0 - timedelta(hours=1)}, {"due_at": T0, "cutoff_at": T0}),
    ("allow_text", {"allow_files": False, "allow_text": False}, {"allow_files": False, "allow_text": True}),
    ("allowed_extensions", {"allowed_extensions": ["exe"]}, {"allowed_extensions": ["pdf"]}),
    ("allowed_extensions", {"allowed_extensions": "pdf"}, {"allowed_extensions": []}),
]


@pytest.mark.parametrize(("field", "bad", "good"), ASSIGNMENT_RULES, ids=_ids(ASSIGNMENT_RULES))
def test_assignment_rules(world, field, bad, good):
    _refused(check_assignment, _assignment(world, **bad), field)
    check_assignment(_assignment(world, **good))


def test_an_assignment_lesson_belongs_to_the_assignment_course(world):
    _refused(check_assignment, _assignment(world, lesson_id=world.other_lesson.id), "lesson_id")
    check_assignment(_assignment(world, lesson_id=world.lesson.id))


def test_accepted_extensions_are_stored_lower_case_without_dots(world):
    assignment = _assignment(world, allowed_extensions=[".PDF", " docx ", "pdf", ""])
    check_assignment(assignment)
    assert assignment.allowed_extensions == ["docx", "pdf"]


# ---- rubrics ----------------------------------------------------------------------------------
def test_rubric_level_points_are_not_negative(world):
    criterion = world.rubric.criteria[0]
    _refused(check_rubric_level, RubricLevel(criterion_id=criterion.id, points=Decimal("-0.5")), "points")
    level = RubricLevel(criterion_id=criterion.id, points=0)
    check_rubric_level(level)
    assert level.position == max(lv.position for lv in criterion.levels) + 1


def test_rubric_criterion_position(world):
    _refused(check_rubric_criterion, RubricCriterion(rubric_id=world.rubric.id, position=-1), "position")
    criterion = RubricCriterion(rubric_id=world.rubric.id)
    check_rubric_criterion(criterion)
    assert criterion.position == 1  # after the rubric's only criterion (position 0)


# ---- completion -------------------------------------------------------------------------------
@pytest.mark.parametrize(("bad", "good"), [(Decimal("-1"), Decimal("0")), (Decimal("100.5"), None)])
def test_completion_minimum_grade_is_a_percentage(world, bad, good):
    _refused(
        check_completion,
        CourseCompletion(course_id=world.course.id, min_grade_percent=bad),
        "min_grade_percent",
    )
    check_completion(CourseCompletion(course_id=world.course.id, min_grade_percent=good))


def test_one_completion_row_per_course(world):
    stored = set_completion(world.course, min_grade_percent=Decimal("50"))
    with pytest.raises(Conflict) as refused:
        check_completion(CourseCompletion(course_id=world.course.id))
    assert refused.value.status_code == 409 and "course_id" in refused.value.errors
    check_completion(stored)
