"""Grading screens: quiz attempts (answers graded one by one) and assignment submissions (rubric or
points, feedback, returned files). The rules live in the services; these pages only carry the forms."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.assessments.models import AttemptAnswer, Question, QuizAttempt, Submission
from app.assessments.services.access import assignment_of
from app.assessments.services.assignments import files_of, grade_submission
from app.assessments.services.attempts import grade_answer
from app.assessments.views_base import ATTEMPT_STATE_LABELS, COMMON_LABELS, AssessmentView, label_formatter
from app.core.errors import AppError, Invalid
from app.core.formatters import format_user_datetime
from app.core.html import plain_text
from app.core.interface import SQLAInterface
from app.core.transactions import transaction
from app.core.views import BaseModelView
from app.courses.services.catalog import managed_courses
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import services as media
from app.media.models import Media

READ_ONLY_ROUTES = {"list", "show", "export_csv", "action", "action_post", "grade"}
GRADING_PERMISSIONS = {**BaseModelView.method_permission_name, "grade": "grade", "open_grading": "grade"}
GRADING_LABELS = {
    **COMMON_LABELS,
    "quiz": _l("Quiz"),
    "quiz_name": _l("Quiz"),
    "assignment": _l("Assignment"),
    "assignment_name": _l("Assignment"),
    "number": _l("Attempt"),
    "state": _l("State"),
    "status": _l("Status"),
    "started_at": _l("Started"),
    "deadline_at": _l("Deadline"),
    "submitted_at": _l("Handed in"),
    "graded_at": _l("Graded"),
    "graded_by": _l("Graded by"),
    "abandoned_by": _l("Abandoned by"),
    "score": _l("Score"),
    "max_score": _l("Maximum score"),
    "percent": _l("Percent"),
    "passed": _l("Passed"),
    "submission_count": _l("Times handed in"),
    "is_late": _l("Late"),
    "raw_points": _l("Points before penalty"),
    "penalty_points": _l("Late penalty"),
    "points": _l("Points"),
    "feedback": _l("Feedback"),
    "text": _l("Text"),
}


class FilterNeedsGrading(BaseFilter):
    """Attempts with at least one answer waiting for a grader."""

    name = _l("Needs grading")
    arg_name = "needs_grading"

    def apply(self, query: Any, value: Any) -> Any:
        """Keep attempts that have an answer flagged for grading."""
        waiting = select(AttemptAnswer.attempt_id).where(AttemptAnswer.needs_grading.is_(True))
        return query.filter(QuizAttempt.id.in_(waiting))


def download_links(files: list[Media]) -> list[tuple[Media, str | None]]:
    """Each file with a signed download link (None when the user may not have it)."""
    links = []
    for file in files:
        try:
            links.append((file, media.issue_link(file, g.user)))
        except AppError:
            links.append((file, None))
    return links


class GradingView(AssessmentView):
    """A read-only list of work to grade, with a course picker and a grading page per row."""

    include_route_methods = READ_ONLY_ROUTES
    method_permission_name = GRADING_PERMISSIONS
    list_template = "assessments/grading_list.html"
    label_columns = GRADING_LABELS
    base_order = ("started_at", "desc")

    def needs_grading_arg(self) -> str:
        """The query string that lists what waits for a grader."""
        return ""

    def list_context(self) -> dict[str, Any]:
        """The courses to filter by and the "needs grading" link."""
        return {
            "grading_courses": managed_courses(g.user),
            "course_filter_arg": "_flt_0_course_id",
            "needs_grading_arg": self.needs_grading_arg(),
            "grade_endpoint": f"{self.endpoint}.grade",
        }

    @action("open_grading", _l("Grade"), None, "fa-check-square", multiple=False)
    def open_grading(self, item: Any) -> Any:
        """Open the grading page of the row."""
        return redirect(url_for(".grade", pk=item.id))


class QuizAttemptModelView(GradingView):
    """Attempts at the quizzes of the user's courses; essays and corrections are graded here."""

    datamodel = SQLAInterface(QuizAttempt)
    class_permission_name = "QuizAttemptAdmin"
    list_title = _l("Quiz attempts")
    show_title = _l("Quiz attempt")
    list_columns = [
        "quiz_name",
        "user",
        "number",
        "state",
        "submitted_at",
        "score",
        "max_score",
        "percent",
        "passed",
    ]
    show_columns = [
        "quiz_name",
        "user",
        "number",
        "state",
        "started_at",
        "deadline_at",
        "submitted_at",
        "graded_at",
        "abandoned_by",
        "score",
        "max_score",
        "percent",
        "passed",
    ]
    search_columns = ["course_id", "quiz", "user", "state", "passed", "submitted_at"]
    formatters_columns = {"state": label_formatter(ATTEMPT_STATE_LABELS)}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # First of the state filters: FAB reads one-digit filter indexes only.
        for filters in (self._filters._all_filters, self._filters.get_search_filters()):
            filters["state"] = [FilterNeedsGrading("state", self.datamodel), *filters.get("state", [])]

    def needs_grading_arg(self) -> str:
        """Attempts with an answer waiting for a grader."""
        return "_flt_0_state=1"

    @expose("/grade/<int:pk>", methods=["GET", "POST"])
    @has_access
    def grade(self, pk: int) -> Any:
        """The attempt's answers, each with a points and feedback form."""
        attempt = self._get_scoped(pk)
        if attempt is None:
            abort(404)
        if request.method == "POST":
            answer_id = request.form.get("answer_id", type=int)
            answer = next((a for a in attempt.answers if a.id == answer_id), None)
            try:
                if answer is None:
                    raise Invalid(gettext("Choose an answer of this attempt."))
                with transaction():
                    grade_answer(
                        g.user, answer, request.form.get("points", ""), request.form.get("feedback") or None
                    )
            except AppError as exc:  # rolled back by transaction() or raised before any write
                flash(exc.message, "danger")
            else:
                flash(gettext("The grade was saved."), "success")
            return redirect(url_for(".grade", pk=pk))
        answers = {answer.question_id: answer for answer in attempt.answers}
        rows = []
        for number, question_id in enumerate(attempt.question_ids, start=1):
            question = db.session.get(Question, question_id)
            answer = answers.get(question_id)
            if question is None or answer is None:
                continue
            chosen = set(answer.selected_option_ids or [])
            options = [(option, option.id in chosen) for option in question.options]
            rows.append({"number": number, "question": question, "answer": answer, "options": options})
        return self.render_template(
            "assessments/attempt_grade.html",
            attempt=attempt,
            rows=rows,
            state_label=ATTEMPT_STATE_LABELS.get(attempt.state, attempt.state),
        )


class SubmissionModelView(GradingView):
    """Submissions to the assignments of the user's courses, graded with a rubric or points."""

    datamodel = SQLAInterface(Submission)
    class_permission_name = "SubmissionAdmin"
    list_title = _l("Submissions")
    show_title = _l("Submission")
    list_columns = ["assignment_name", "user", "status", "submitted_at", "is_late", "points", "graded_at"]
    show_columns = [
        "assignment_name",
        "user",
        "status",
        "submitted_at",
        "submission_count",
        "is_late",
        "text",
        "raw_points",
        "penalty_points",
        "points",
        "feedback",
        "graded_at",
        "graded_by",
    ]
    search_columns = ["course_id", "assignment", "user", "status", "is_late", "submitted_at"]
    base_order = ("submitted_at", "desc")
    formatters_columns = {"text": plain_text, "feedback": plain_text}

    def needs_grading_arg(self) -> str:
        """Submissions handed in and not graded yet."""
        return f"_flt_0_status={lookup_id('assignment_status', 'submitted') or 0}"

    def _grade_form(self, submission: Submission) -> dict[str, Any]:
        rubric = assignment_of(submission).rubric
        levels: dict[str, Any] | None = None
        if rubric is not None:
            picked = {str(c.id): request.form.get(f"level_{c.id}") for c in rubric.criteria}
            if any(picked.values()):
                levels = picked
        try:
            files = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
        except RequestEntityTooLarge:
            raise Invalid(gettext("The file is too large.")) from None
        points = (request.form.get("points") or "").strip() or None
        return {"levels": levels, "points": points if levels is None else None, "files": files}

    @expose("/grade/<int:pk>", methods=["GET", "POST"])
    @has_access
    def grade(self, pk: int) -> Any:
        """The student's text and files, the rubric or a points field, feedback and returned files."""
        submission = self._get_scoped(pk)
        if submission is None:
            abort(404)
        if request.method == "POST":
            try:
                fields = self._grade_form(submission)
                with transaction():
                    feedback = request.form.get("feedback")
                    graded = grade_submission(g.user, submission, feedback=feedback, **fields)
            except AppError as exc:  # rolled back by transaction() or raised before any write
                flash(exc.message, "danger")
            else:
                flash(gettext("The grade was saved: %(points)s points.", points=graded.points), "success")
            return redirect(url_for(".grade", pk=pk))
        assignment = assignment_of(submission)
        return self.render_template(
            "assessments/submission_grade.html",
            submission=submission,
            assignment=assignment,
            rubric=assignment.rubric,
            chosen={score.criterion_id: score.level_id for score in submission.scores},
            files=download_links(files_of(submission)),
            returned=download_links(files_of(submission, "submission_feedback")),
            format_user_datetime=format_user_datetime,
        )
