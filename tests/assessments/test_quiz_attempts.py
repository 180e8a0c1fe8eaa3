"""Quiz attempts: server deadline, limits and window, overrides, random draws, grading, review, overdue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.assessments.models import AttemptAnswer, GradeChange, Question, QuizAttempt, QuizOverride
from app.assessments.services import quizzes
from app.assessments.services.attempts import (
    abandon_attempt,
    grade_answer,
    pending_grading_count,
    save_answer,
    start_attempt,
    submit_attempt,
    submit_overdue_attempts,
)
from app.assessments.services.review import attempt_view
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import as_utc, utcnow
from app.extensions import db
from tests.assessment_factories import make_bank, make_question, make_quiz
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user

T0 = utcnow().replace(microsecond=0)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def world(ctx: None) -> SimpleNamespace:
    """An instructor's course with one enrolled student and a question bank."""
    instructor, student = make_user("Instructor"), make_user("Student")
    course = make_course(instructors=[instructor])
    make_enrollment(student, course)
    return SimpleNamespace(
        instructor=instructor, student=student, course=course, bank=make_bank(instructor, course)
    )


def _student(world: SimpleNamespace) -> Any:
    student = make_user("Student")
    make_enrollment(student, world.course)
    return student


def _right(question: Question) -> list[int]:
    return [option.id for option in question.options if option.is_correct]


def _wrong(question: Question) -> int:
    return next(option.id for option in question.options if not option.is_correct)


def _answer(attempt: QuizAttempt, question: Question) -> AttemptAnswer | None:
    return db.session.scalar(
        select(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_id == question.id
        )
    )


def _attempt_count(quiz: Any, user: Any) -> int:
    return db.session.scalar(
        select(func.count(QuizAttempt.id)).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id
        )
    )


def _mc_quiz(world: SimpleNamespace, count: int = 2, **fields: Any) -> tuple[Any, list[Question]]:
    questions = [make_question(world.bank) for _ in range(count)]
    return make_quiz(world.course, questions=questions, **fields), questions


# ---- server deadline --------------------------------------------------------------------------------
def test_answer_after_the_deadline_is_refused_and_the_attempt_closes_as_overdue(world):
    first, second = make_question(world.bank), make_question(world.bank)
    essay = make_question(world.bank, "essay", points=2)
    quiz = make_quiz(world.course, questions=[first, second, essay], time_limit_minutes=10)
    attempt = start_attempt(world.student, quiz, now=T0)
    assert as_utc(attempt.deadline_at) == T0 + minutes(10)
    save_answer(world.student, attempt, first.id, _right(first)[0], now=T0 + minutes(1))
    save_answer(world.student, attempt, essay.id, "<p>My essay</p>", now=T0 + minutes(9))
    # the client ignores its timer and sends one more answer: refused, the attempt handed in instead
    assert save_answer(world.student, attempt, second.id, _right(second)[0], now=T0 + minutes(11)) is None
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.state == "overdue"  # the essay still waits for a grader
    assert as_utc(attempt.submitted_at) == T0 + minutes(10)
    late = _answer(attempt, second)
    assert late.selected_option_ids == [] and late.saved_at is None and late.points_awarded == 0
    kept = _answer(attempt, first)
    assert kept.is_correct and kept.points_awarded == Decimal("1.00")
    assert _answer(attempt, essay).needs_grading


def test_submit_after_the_deadline_counts_only_answers_saved_in_time(world):
    quiz, (first, second) = _mc_quiz(world, time_limit_minutes=5)
    attempt = start_attempt(world.student, quiz, now=T0)
    save_answer(world.student, attempt, first.id, _right(first), now=T0 + minutes(2))
    answers = {str(first.id): _wrong(first), str(second.id): _right(second)}
    attempt = submit_attempt(world.student, attempt, answers, now=T0 + minutes(6))
    assert attempt.state == "graded"
    assert as_utc(attempt.submitted_at) == T0 + minutes(5)
    assert _answer(attempt, first).selected_option_ids == _right(first)  # not replaced by the late one
    assert _answer(attempt, second).selected_option_ids == []
    assert (attempt.score, attempt.max_score, attempt.percent) == (
        Decimal("1.00"),
        Decimal("2.00"),
        Decimal("50.00"),
    )


def test_the_deadline_is_the_earlier_of_time_limit_and_close_time(world):
    closing, _ = _mc_quiz(world, time_limit_minutes=60, closes_at=T0 + minutes(20))
    assert as_utc(start_attempt(world.student, closing, now=T0).deadline_at) == T0 + minutes(20)
    timed, _ = _mc_quiz(world, time_limit_minutes=30, closes_at=T0 + minutes(90))
    assert as_utc(start_attempt(world.student, timed, now=T0).deadline_at) == T0 + minutes(30)
    untimed, _ = _mc_quiz(world)
    assert start_attempt(world.student, untimed, now=T0).deadline_at is None


def test_a_resumed_attempt_keeps_its_deadline_and_two_starts_return_the_same_attempt(world):
    quiz, _ = _mc_quiz(world, time_limit_minutes=15)
    first = start_attempt(world.student, quiz, now=T0)
    again = start_attempt(world.student, quiz, now=T0)
    later = start_attempt(world.student, quiz, now=T0 + minutes(7))
    assert first.id == again.id == later.id
    assert as_utc(later.deadline_at) == T0 + minutes(15)
    assert as_utc(later.started_at) == T0
    assert _attempt_count(quiz, world.student) == 1


# ---- limits, window, overrides ----------------------------------------------------------------------
def test_attempt_limit_counts_abandoned_attempts(world):
    quiz, (question, _) = _mc_quiz(world, max_attempts=2)
    first = start_attempt(world.student, quiz, now=T0)
    submit_attempt(world.student, first, {str(question.id): _right(question)}, now=T0 + minutes(1))
    second = start_attempt(world.student, quiz, now=T0 + minutes(2))
    assert second.number == 2
    abandon_attempt(world.student, second)
    assert quizzes.describe_rules(quiz, world.student.id)["attempts_left"] == 0
    with pytest.raises(Forbidden):
        start_attempt(world.student, quiz, now=T0 + minutes(3))
    assert _attempt_count(quiz, world.student) == 2


def test_an_attempt_abandoned_by_staff_does_not_use_up_one_of_the_learners(world):
    quiz, _ = _mc_quiz(world, max_attempts=1)
    admin = make_user("Admin")
    for number, staff in enumerate((world.instructor, admin), start=1):
        attempt = start_attempt(world.student, quiz, now=T0 + minutes(number))
        assert attempt.number == number
        abandoned = abandon_attempt(staff, attempt, now=T0 + minutes(number))
        assert abandoned.state == "abandoned" and abandoned.abandoned_by_id == staff.id
        assert quizzes.describe_rules(quiz, world.student.id)["attempts_left"] == 1
    own = start_attempt(world.student, quiz, now=T0 + minutes(5))
    assert own.number == 3
    assert abandon_attempt(world.student, own).abandoned_by_id == world.student.id
    assert quizzes.describe_rules(quiz, world.student.id)["attempts_left"] == 0
    with pytest.raises(Forbidden):
        start_attempt(world.student, quiz, now=T0 + minutes(6))


def test_window_refuses_before_opening_and_after_closing(world):
    quiz, _ = _mc_quiz(world, opens_at=T0 + minutes(60), closes_at=T0 + minutes(120))
    with pytest.raises(Forbidden):
        start_attempt(world.student, quiz, now=T0)
    with pytest.raises(Forbidden):
        start_attempt(world.student, quiz, now=T0 + minutes(120))
    assert _attempt_count(quiz, world.student) == 0
    assert start_attempt(world.student, quiz, now=T0 + minutes(61)).state == "in_progress"


def _override(quiz: Any, user: Any, **fields: Any) -> QuizOverride:
    override = QuizOverride(quiz_id=quiz.id, user_id=user.id, **fields)
    db.session.add(override)
    db.session.commit()
    return override


def test_override_extra_minutes_and_attempts_apply_to_that_student_only(world):
    other = _student(world)
    quiz, _ = _mc_quiz(world, time_limit_minutes=10, max_attempts=1)
    _override(quiz, world.student, extra_minutes=15, extra_attempts=1)
    mine = start_attempt(world.student, quiz, now=T0)
    theirs = start_attempt(other, quiz, now=T0)
    assert as_utc(mine.deadline_at) == T0 + minutes(25)
    assert as_utc(theirs.deadline_at) == T0 + minutes(10)
    submit_attempt(world.student, mine, now=T0 + minutes(1))
    submit_attempt(other, theirs, now=T0 + minutes(1))
    assert start_attempt(world.student, quiz, now=T0 + minutes(2)).number == 2
    with pytest.raises(Forbidden):
        start_attempt(other, quiz, now=T0 + minutes(2))


def test_override_dates_replace_the_quiz_dates_for_that_student_only(world):
    other = _student(world)
    quiz, _ = _mc_quiz(world, opens_at=T0 - minutes(120), closes_at=T0 - minutes(60))
    _override(quiz, world.student, opens_at=T0 - minutes(10), closes_at=T0 + minutes(30))
    with pytest.raises(Forbidden):
        start_attempt(other, quiz, now=T0)
    attempt = start_attempt(world.student, quiz, now=T0)
    assert as_utc(attempt.deadline_at) == T0 + minutes(30)
    early, _ = _mc_quiz(world, opens_at=T0 - minutes(10))
    _override(early, world.student, opens_at=T0 + minutes(10))
    with pytest.raises(Forbidden):
        start_attempt(world.student, early, now=T0)
    assert start_attempt(other, early, now=T0).state == "in_progress"


# ---- random draws -----------------------------------------------------------------------------------
def test_random_draw_gives_students_different_tagged_questions_kept_on_resume(world):
    options = [("A", True), ("B", False), ("C", False), ("D", False)]
    tagged = {make_question(world.bank, options=options, tags=["X", "easy"]).id for _ in range(30)}
    untagged = {make_question(world.bank, options=options, tags=["Y"]).id for _ in range(6)}
    quiz = make_quiz(world.course, draws=[(world.bank, "X", 5)], shuffle_options=True)
    students = [world.student, *(_student(world) for _ in range(4))]
    attempts = [start_attempt(student, quiz, now=T0) for student in students]
    sets = [frozenset(attempt.question_ids) for attempt in attempts]
    for attempt, drawn in zip(attempts, sets, strict=True):
        assert len(drawn) == len(attempt.question_ids) == 5
        assert drawn <= tagged and not drawn & untagged
        assert attempt.max_score == Decimal("5.00")
        for qid in attempt.question_ids:
            natural = [o.id for o in db.session.get(Question, qid).options]
            assert sorted(attempt.option_order[str(qid)]) == sorted(natural)
    assert len(set(sets)) > 1
    orders = [attempt.option_order for attempt in attempts]
    natural_orders = [
        {str(qid): [o.id for o in db.session.get(Question, qid).options] for qid in attempt.question_ids}
        for attempt in attempts
    ]
    assert orders != natural_orders  # options were shuffled (and stored) somewhere
    resumed = start_attempt(world.student, quiz, now=T0 + minutes(5))
    db.session.expire_all()
    stored = db.session.get(QuizAttempt, resumed.id)
    assert stored.id == attempts[0].id
    assert stored.question_ids == list(attempts[0].question_ids)
    assert stored.option_order == orders[0]
    view = attempt_view(world.student, stored, now=T0 + minutes(5))
    assert [item["id"] for item in view["questions"]] == stored.question_ids
    for item in view["questions"]:
        assert [option["id"] for option in item["options"]] == stored.option_order[str(item["id"])]


# ---- automatic grading ------------------------------------------------------------------------------
def _graded_kinds(world: SimpleNamespace) -> dict[str, Question]:
    bank = world.bank
    return {
        "single": make_question(bank, points=2),
        "multiple": make_question(
            bank,
            points=3,
            multiple_answers=True,
            options=[("a", True), ("b", True), ("c", False), ("d", False)],
        ),
        "true_false": make_question(bank, "true_false"),
        "short": make_question(bank, "short_answer", accepted=["Paris"]),
        "arabic": make_question(bank, "short_answer", accepted=["مُقَدِّمَة"]),
        "unanswered": make_question(bank, points=2),
    }


def test_automatic_grading_of_each_question_type(world):
    questions = _graded_kinds(world)
    quiz = make_quiz(world.course, questions=list(questions.values()), pass_mark=60)
    multiple = questions["multiple"]
    first = start_attempt(world.student, quiz, now=T0)
    answers = {
        questions["single"].id: _right(questions["single"])[0],
        multiple.id: _right(multiple)[:1],  # one right option of two: not enough
        questions["true_false"].id: _right(questions["true_false"]),
        questions["short"].id: "  pARIS ",
        questions["arabic"].id: "مقدمة",
    }
    first = submit_attempt(world.student, first, {str(k): v for k, v in answers.items()}, now=T0 + minutes(1))
    correct = {name: _answer(first, q).is_correct for name, q in questions.items()}
    assert correct == {
        "single": True,
        "multiple": False,
        "true_false": True,
        "short": True,
        "arabic": True,
        "unanswered": False,
    }
    assert _answer(first, questions["unanswered"]).points_awarded == Decimal("0.00")
    assert (first.state, first.score, first.max_score) == ("graded", Decimal("5.00"), Decimal("10.00"))
    assert (first.percent, first.passed) == (Decimal("50.00"), False)

    second = start_attempt(world.student, quiz, now=T0 + minutes(2))
    answers[multiple.id] = _right(multiple)
    answers[questions["short"].id] = "London"
    answers[questions["true_false"].id] = _wrong(questions["true_false"])
    second = submit_attempt(
        world.student, second, {str(k): v for k, v in answers.items()}, now=T0 + minutes(3)
    )
    assert _answer(second, multiple).is_correct and _answer(second, multiple).points_awarded == 3
    assert not _answer(second, questions["short"]).is_correct
    # 2 + 3 + 0 + 0 + 1 + 0 of 10: exactly the pass mark passes
    assert (second.score, second.percent, second.passed) == (Decimal("6.00"), Decimal("60.00"), True)
    # every right option plus a wrong one is wrong
    third = start_attempt(world.student, quiz, now=T0 + minutes(4))
    save_answer(world.student, third, multiple.id, [*_right(multiple), _wrong(multiple)], now=T0 + minutes(4))
    third = submit_attempt(world.student, third, now=T0 + minutes(5))
    assert _answer(third, multiple).is_correct is False and third.percent == Decimal("0.00")


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", Decimal("100.00")), ("last", Decimal("50.00")), ("average", Decimal("58.33"))],
)
def test_grading_method_across_attempts(world, method, expected):
    quiz, questions = _mc_quiz(world, count=4, grading_method=method)
    assert quizzes.quiz_percent(quiz, world.student.id) is None
    for offset, right_count in enumerate((4, 1, 2)):
        attempt = start_attempt(world.student, quiz, now=T0 + minutes(offset))
        answers = {str(q.id): _right(q) for q in questions[:right_count]}
        submit_attempt(world.student, attempt, answers, now=T0 + minutes(offset) + timedelta(seconds=30))
    start_attempt(world.student, quiz, now=T0 + minutes(10))  # in progress: does not count
    assert quizzes.quiz_percent(quiz, world.student.id) == expected
    assert quizzes.quiz_passed(quiz, world.student.id) is (expected >= quiz.pass_mark)


# ---- essays and manual grading ----------------------------------------------------------------------
def test_essay_waits_for_the_instructor_and_grade_changes_are_recorded(world):
    choice, essay = make_question(world.bank), make_question(world.bank, "essay", points=4)
    quiz = make_quiz(world.course, questions=[choice, essay])
    attempt = start_attempt(world.student, quiz, now=T0)
    answers = {str(choice.id): _right(choice), str(essay.id): "<p>Essay</p><script>x()</script>"}
    attempt = submit_attempt(world.student, attempt, answers, now=T0 + minutes(1))
    written = _answer(attempt, essay)
    assert (attempt.state, attempt.score, attempt.percent) == ("submitted", None, None)
    assert written.needs_grading and "<script" not in written.text_answer
    assert pending_grading_count(world.course.id) == 1
    stranger = make_user("Instructor")
    make_course(instructors=[stranger])
    for grader in (stranger, world.student):
        with pytest.raises(Forbidden):
            grade_answer(grader, written, 2)
    for points in (5, -1, "many"):
        with pytest.raises(Invalid):
            grade_answer(world.instructor, written, points)
    assert (
        db.session.scalar(
            select(func.count(GradeChange.id)).where(GradeChange.student_id == world.student.id)
        )
        == 0
    )
    attempt = grade_answer(world.instructor, written, 3, "<p>Good</p>")
    assert (attempt.state, attempt.score, attempt.percent) == ("graded", Decimal("4.00"), Decimal("80.00"))
    assert written.graded_by_id == world.instructor.id and not written.needs_grading
    assert pending_grading_count(world.course.id) == 0
    attempt = grade_answer(world.instructor, written, 4)
    assert (attempt.score, attempt.percent) == (Decimal("5.00"), Decimal("100.00"))
    changes = list(
        db.session.scalars(
            select(GradeChange).where(GradeChange.student_id == world.student.id).order_by(GradeChange.id)
        )
    )
    assert [(c.item_type, c.item_id, c.old_points, c.new_points) for c in changes] == [
        ("quiz", quiz.id, None, Decimal("80.00")),
        ("quiz", quiz.id, Decimal("80.00"), Decimal("100.00")),
    ]
    assert {c.changed_by_id for c in changes} == {world.instructor.id}


# ---- review options ---------------------------------------------------------------------------------
def _finished(world: SimpleNamespace, **fields: Any) -> QuizAttempt:
    quiz, (question, _) = _mc_quiz(world, **fields)
    attempt = start_attempt(world.student, quiz, now=T0)
    return submit_attempt(world.student, attempt, {str(question.id): _right(question)}, now=T0 + minutes(1))


def _revealed(view: dict[str, Any]) -> bool:
    shows_result = any("result" in item for item in view["questions"])
    shows_correct = any("is_correct" in o for item in view["questions"] for o in item["options"])
    shows_score = "score" in view and "percent" in view
    assert shows_result == shows_correct == shows_score == view["review_available"]
    return view["review_available"]


def test_review_immediately_shows_results_once_finished(world):
    quiz, (question, _) = _mc_quiz(world, review_option="immediately")
    attempt = start_attempt(world.student, quiz, now=T0)
    save_answer(world.student, attempt, question.id, _right(question), now=T0)
    assert not _revealed(attempt_view(world.student, attempt, now=T0))  # still in progress
    attempt = submit_attempt(world.student, attempt, now=T0 + minutes(1))
    view = attempt_view(world.student, attempt, now=T0 + minutes(1))
    assert _revealed(view) and view["score"] == "1.00" and view["percent"] == "50.00"
    assert view["questions"][0]["result"]["is_correct"] is True


def test_review_after_close_waits_for_the_close_time(world):
    attempt = _finished(world, review_option="after_close", closes_at=T0 + minutes(60))
    assert not _revealed(attempt_view(world.student, attempt, now=T0 + minutes(30)))
    assert _revealed(attempt_view(world.instructor, attempt, now=T0 + minutes(30)))
    assert _revealed(attempt_view(world.student, attempt, now=T0 + minutes(60)))


def test_review_never_hides_results_from_the_student_but_not_from_staff(world):
    attempt = _finished(world, review_option="never")
    view = attempt_view(world.student, attempt, now=T0 + timedelta(days=365))
    assert not _revealed(view) and "score" not in view
    staff_view = attempt_view(world.instructor, attempt, now=T0 + minutes(2))
    assert _revealed(staff_view) and staff_view["score"] == str(attempt.score)
    with pytest.raises(NotFound):
        attempt_view(_student(world), attempt, now=T0 + minutes(2))


# ---- overdue task -----------------------------------------------------------------------------------
def test_overdue_task_closes_past_deadline_attempts_once(world):
    quiz, (question, _) = _mc_quiz(world, time_limit_minutes=10)
    untimed, _ = _mc_quiz(world)
    late = start_attempt(world.student, quiz, now=T0)
    save_answer(world.student, late, question.id, _right(question), now=T0 + minutes(3))
    running = start_attempt(_student(world), quiz, now=T0 + minutes(8))
    open_ended = start_attempt(world.student, untimed, now=T0)
    assert submit_overdue_attempts(T0 + minutes(12)) == 1
    db.session.expire_all()
    closed = db.session.get(QuizAttempt, late.id)
    assert closed.state == "graded" and closed.percent == Decimal("50.00")
    assert as_utc(closed.submitted_at) == T0 + minutes(10)
    snapshot = (closed.state, closed.submitted_at, closed.graded_at, closed.score)
    changes = db.session.scalar(select(func.count(GradeChange.id)))
    assert submit_overdue_attempts(T0 + minutes(13)) == 0
    db.session.expire_all()
    closed = db.session.get(QuizAttempt, late.id)
    assert (closed.state, closed.submitted_at, closed.graded_at, closed.score) == snapshot
    assert db.session.scalar(select(func.count(GradeChange.id))) == changes
    assert db.session.get(QuizAttempt, running.id).state == "in_progress"
    assert db.session.get(QuizAttempt, open_ended.id).state == "in_progress"


# ---- access -----------------------------------------------------------------------------------------
def test_students_not_entitled_are_refused_and_unpublished_quizzes_are_hidden(world):
    quiz, _ = _mc_quiz(world)
    outsider = make_user("Student")
    with pytest.raises(Forbidden):
        start_attempt(outsider, quiz, now=T0)
    hidden, _ = _mc_quiz(world, is_published=False)
    with pytest.raises(NotFound):
        start_attempt(world.student, hidden, now=T0)
    assert _attempt_count(quiz, outsider) == 0 and _attempt_count(hidden, world.student) == 0
