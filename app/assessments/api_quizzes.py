"""REST API of quizzes: /api/v1/quiz (start), quiz_question, quiz_draw, quiz_override, and the
read-only quiz_attempt (answer, submit, abandon, review, grade) and attempt_answer.

A learner sees scores, correctness and feedback of an attempt only when its quiz's review option
allows (the same rule as `services.review.attempt_view`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.assessments import notices
from app.assessments.api_base import (
    CRUD_ROUTES,
    READ_ONLY_ROUTES,
    AssessmentApiBase,
    LessonContentApi,
    iso,
    row_id,
    text_or_none,
)
from app.assessments.models import (
    AttemptAnswer,
    Quiz,
    QuizAttempt,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
)
from app.assessments.services import attempts
from app.assessments.services.access import is_staff, quiz_of
from app.assessments.services.quizzes import (
    FINISHED_STATES,
    check_draw,
    check_override,
    check_quiz,
    check_quiz_question,
    review_open,
    seconds_left,
)
from app.assessments.services.review import attempt_view
from app.core.api import SYSTEM, BaseModelRestApi, json_object
from app.core.errors import Conflict, Invalid
from app.core.interface import SQLAInterface
from app.core.models import utcnow
from app.core.transactions import transaction
from app.extensions import db

MAX_FEEDBACK = 20_000

QUIZ_FIELDS = [
    "course_id",
    "lesson_id",
    "translations",
    "time_limit_minutes",
    "max_attempts",
    "opens_at",
    "closes_at",
    "pass_mark",
    "grading_method",
    "review_option",
    "shuffle_questions",
    "shuffle_options",
    "is_required",
    "weight",
    "is_published",
]


class QuizApi(LessonContentApi):
    """Quizzes: staff write their courses' ones; entitled learners read published ones and start them."""

    datamodel = SQLAInterface(Quiz)
    class_permission_name = "Quiz"
    include_route_methods = CRUD_ROUTES | {"start"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "start": "start"}
    optional_add_columns = tuple(QUIZ_FIELDS[1:])
    list_columns = show_columns = [*SYSTEM, "title", *QUIZ_FIELDS]
    add_columns = edit_columns = QUIZ_FIELDS
    search_columns = ["course_id", "lesson_id", "is_published", "is_required", "opens_at", "closes_at"]
    order_columns = ["id", "opens_at", "closes_at", "created_at", "updated_at"]
    base_order = ("id", "asc")
    rich_text_fields = ("description",)
    needs_title = True

    def check(self, item: Quiz) -> None:
        """The quiz settings rules (`services.quizzes.check_quiz`)."""
        check_quiz(item)

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    @permission_name("start")
    def start(self, pk: int) -> Response:
        """Start an attempt, or resume the one in progress (200 resumed, 201 new)."""

        def act() -> Response:
            attempt, created = attempts.start_or_resume(g.user, self.scoped(pk))
            status = 201 if created else 200
            return self.response(status, id=attempt.id, result=attempt_view(g.user, attempt))

        return self.run(act)


class QuizQuestionApi(AssessmentApiBase):
    """Fixed questions of the staff's quizzes (a question of a bank they manage)."""

    datamodel = SQLAInterface(QuizQuestion)
    class_permission_name = "QuizQuestion"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("position",)
    list_columns = show_columns = [*SYSTEM, "quiz_id", "question_id", "position"]
    add_columns = edit_columns = ["quiz_id", "question_id", "position"]
    search_columns = ["quiz_id", "question_id"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def check(self, item: QuizQuestion) -> None:
        """Each question once per quiz; new ones go last (`services.quizzes.check_quiz_question`)."""
        check_quiz_question(item)


class QuizDrawApi(AssessmentApiBase):
    """Random-question rules of the staff's quizzes (a bank they manage)."""

    datamodel = SQLAInterface(QuizDraw)
    class_permission_name = "QuizDraw"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("tag", "count", "position")
    list_columns = show_columns = [*SYSTEM, "quiz_id", "bank_id", "tag", "count", "position"]
    add_columns = edit_columns = ["quiz_id", "bank_id", "tag", "count", "position"]
    search_columns = ["quiz_id", "bank_id", "tag"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def check(self, item: QuizDraw) -> None:
        """A count and tag in range; new rules go last (`services.quizzes.check_draw`)."""
        check_draw(item)


class QuizOverrideApi(AssessmentApiBase):
    """One learner's exceptions to a quiz of the staff's course (one per learner and quiz)."""

    datamodel = SQLAInterface(QuizOverride)
    class_permission_name = "QuizOverride"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("extra_minutes", "extra_attempts", "opens_at", "closes_at")
    list_columns = show_columns = [
        *SYSTEM,
        "quiz_id",
        "user_id",
        "extra_minutes",
        "extra_attempts",
        "opens_at",
        "closes_at",
    ]
    add_columns = edit_columns = [
        "quiz_id",
        "user_id",
        "extra_minutes",
        "extra_attempts",
        "opens_at",
        "closes_at",
    ]
    search_columns = ["quiz_id", "user_id"]
    order_columns = ["id"]
    base_order = ("id", "asc")

    def check(self, item: QuizOverride) -> None:
        """Extras, dates, an enrolled student, one per student (`services.quizzes.check_override`)."""
        check_override(item)

    def post_add(self, item: QuizOverride) -> None:
        """The learner is told (in the request's transaction)."""
        with transaction():
            notices.override_granted(item, g.user)


def revealed_attempts(user: Any, rows: list[QuizAttempt]) -> set[int]:
    """Ids of the attempts whose scores the user may see: staff always, learners when review is open."""
    now, staff, shown = utcnow(), {}, set()
    for attempt in rows:
        quiz = quiz_of(attempt)
        if attempt.course_id not in staff:
            staff[attempt.course_id] = is_staff(user, quiz.course)
        finished = attempt.state in FINISHED_STATES
        if staff[attempt.course_id] or (finished and review_open(quiz, attempt.user_id, now)):
            shown.add(attempt.id)
    return shown


def _answer_data(answer: AttemptAnswer, attempt: QuizAttempt) -> dict[str, Any]:
    """A saved answer and the time left."""
    return {
        "id": answer.id,
        "question_id": answer.question_id,
        "selected_option_ids": answer.selected_option_ids,
        "text": answer.text_answer,
        "saved_at": iso(answer.saved_at),
        "seconds_left": seconds_left(attempt, utcnow()),
    }


class QuizAttemptApi(AssessmentApiBase):
    """Own attempts (and the staff's courses' ones), changed only through the actions."""

    datamodel = SQLAInterface(QuizAttempt)
    class_permission_name = "QuizAttempt"
    include_route_methods = READ_ONLY_ROUTES | {"answer", "submit", "abandon", "review", "grade"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "answer": "answer",
        "submit": "submit",
        "abandon": "submit",
        "review": "read",
        "grade": "grade",
    }
    list_columns = show_columns = [
        *SYSTEM,
        "quiz_id",
        "user_id",
        "course_id",
        "number",
        "state",
        "started_at",
        "deadline_at",
        "submitted_at",
        "graded_at",
        "abandoned_by_id",
        "question_ids",
        "max_score",
        "score",
        "percent",
        "passed",
    ]
    secret_columns = ("score", "percent", "passed")
    search_columns = ["quiz_id", "user_id", "course_id", "state", "started_at"]
    order_columns = ["id", "started_at", "submitted_at", "number"]
    base_order = ("id", "desc")

    def revealed(self, ids: list[int]) -> set[int]:
        """Attempts whose scores the user may see now."""
        rows = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids)))
        return revealed_attempts(g.user, list(rows))

    def _view(self, attempt: QuizAttempt) -> Response:
        """200 with the attempt as the user may see it."""
        return self.response(200, id=attempt.id, result=attempt_view(g.user, attempt))

    @expose("/<int:pk>/answer", methods=["POST"])
    @protect()
    @safe
    @permission_name("answer")
    def answer(self, pk: int) -> Response:
        """Save one answer: {"question_id", "answer"} (option ids or text), before the deadline."""

        def act() -> Response:
            attempt = self.scoped(pk)
            body = json_object()
            question_id = row_id(body.get("question_id"), "question_id")
            saved = attempts.save_answer(g.user, attempt, question_id, body.get("answer"))
            if saved is None:  # time was up: the hand-in commits with `run`, the answer is refused
                refused = attempts.time_up()
                return self.response(refused.status_code, message=refused.message, errors=refused.errors)
            return self.response(200, id=attempt.id, result=_answer_data(saved, attempt))

        return self.run(act)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int) -> Response:
        """Hand the attempt in, optionally with {"answers": {question_id: answer}}."""

        def act() -> Response:
            attempt = self.scoped(pk)
            answers = json_object().get("answers")
            if answers is not None and not isinstance(answers, dict):
                raise Invalid(
                    _("Send answers as an object of question ids."), {"answers": [_("Not an object.")]}
                )
            if answers:
                for key in answers:
                    row_id(key, "answers")
            # The answers sent, the grading and the grade change: all or nothing (one `run` transaction).
            submitted = attempts.submit_attempt(g.user, attempt, answers or None)
            return self._view(submitted)

        return self.run(act)

    @expose("/<int:pk>/abandon", methods=["POST"])
    @protect()
    @safe
    @permission_name("abandon")
    def abandon(self, pk: int) -> Response:
        """Give the attempt up (it still counts against the attempts allowed)."""

        def act() -> Response:
            abandoned = attempts.abandon_attempt(g.user, self.scoped(pk))
            return self._view(abandoned)

        return self.run(act)

    @expose("/<int:pk>/review", methods=["GET"])
    @protect()
    @safe
    @permission_name("review")
    def review(self, pk: int) -> Response:
        """The attempt as the user may see it (answers revealed when the quiz's review option allows)."""
        return self.run(lambda: self._view(self.scoped(pk)))

    @expose("/<int:pk>/grade", methods=["POST"])
    @protect()
    @safe
    @permission_name("grade")
    def grade(self, pk: int) -> Response:
        """Grade one answer: {"question_id", "points", "feedback"} (the course's staff)."""

        def act() -> Response:
            attempt = self.scoped(pk)
            body = json_object()
            question_id = row_id(body.get("question_id"), "question_id")
            feedback = text_or_none(body.get("feedback"), "feedback")
            if feedback is not None and len(feedback) > MAX_FEEDBACK:
                raise Invalid(_("The feedback is too long."), {"feedback": [_("Too long.")]})
            points = body.get("points")
            if isinstance(points, bool) or not isinstance(points, int | float | str | Decimal):
                raise Invalid(_("Points must be a number."), {"points": [_("Not a number.")]})
            answer = db.session.scalar(
                select(AttemptAnswer).where(
                    AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_id == question_id
                )
            )
            if answer is None:
                if attempt.state in ("in_progress", "abandoned"):
                    raise Conflict(_("Only handed-in attempts are graded."))
                raise Invalid(
                    _("This question is not part of the attempt."), {"question_id": [str(question_id)]}
                )
            graded = attempts.grade_answer(g.user, answer, points, feedback)
            return self._view(graded)

        return self.run(act)


class AttemptAnswerApi(AssessmentApiBase):
    """Answers of the attempts the user may see; grades and feedback once review is open."""

    datamodel = SQLAInterface(AttemptAnswer)
    class_permission_name = "AttemptAnswer"
    include_route_methods = READ_ONLY_ROUTES
    list_columns = show_columns = [
        *SYSTEM,
        "attempt_id",
        "question_id",
        "selected_option_ids",
        "text_answer",
        "saved_at",
        "needs_grading",
        "is_correct",
        "points_awarded",
        "feedback",
    ]
    secret_columns = ("is_correct", "points_awarded", "feedback")
    search_columns = ["attempt_id", "question_id", "needs_grading"]
    order_columns = ["id", "saved_at"]
    base_order = ("id", "asc")

    def revealed(self, ids: list[int]) -> set[int]:
        """Answers of attempts whose scores the user may see now."""
        rows = list(
            db.session.execute(
                select(AttemptAnswer.id, AttemptAnswer.attempt_id).where(AttemptAnswer.id.in_(ids))
            )
        )
        attempt_rows = db.session.scalars(
            select(QuizAttempt).where(QuizAttempt.id.in_({a for _i, a in rows}))
        )
        shown = revealed_attempts(g.user, list(attempt_rows))
        return {answer_id for answer_id, attempt_id in rows if attempt_id in shown}
