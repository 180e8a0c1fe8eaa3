"""Portal quiz and assignment pages: rules, attempts with a server-synced countdown, submissions.

Routes only: the rules (deadlines, attempts, review, late policy) live in `app.assessments.services`.
Grades and certificates pages are in `app.portal.certificates`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from app.assessments.models import Assignment, Quiz, QuizAttempt, Submission
from app.assessments.services import assignments as assignment_service
from app.assessments.services import attempts as attempt_service
from app.assessments.services import quizzes as quiz_service
from app.assessments.services.access import is_staff, quiz_of
from app.assessments.services.review import attempt_view
from app.core.errors import AppError
from app.core.models import as_utc, utcnow
from app.core.portal import json_error as _json_error
from app.core.softdelete import with_parents
from app.core.transactions import transaction
from app.core.translations import translated
from app.courses.services import access, progress
from app.extensions import db
from app.lookups.services import values_of
from app.media.validation import kind_rules
from app.portal.courses import _flashed, _login_redirect, _media_link, _user
from app.portal.discussions import learner_notes
from app.portal.views import portal
from app.security.permissions import requires_permission

CHOICE_TYPES = ("multiple_choice", "true_false")
MB = 1024 * 1024


# ---- helpers ---------------------------------------------------------------------------------
@portal.app_template_filter("pct")
def pct(value: Any) -> str:
    """A percentage (50.00 -> 50%) in the viewer's language; a dash when there is none."""
    if value is None:
        return "—"
    return format_percent(Decimal(str(value)) / 100, "#,##0.##%")


@portal.app_template_filter("points")
def points(value: Any) -> str:
    """Points without useless decimals (7.50 -> 7.5) in the viewer's language."""
    if value is None:
        return "—"
    return format_decimal(Decimal(str(value)), "#,##0.##")


@portal.app_template_filter("trashed")
def trashed(item: Any) -> str:
    """ " (deleted)" after the name of a row in the trash, on the pages of the rows that stay."""
    return " " + _("(deleted)") if getattr(item, "is_deleted", False) else ""


def state_label(state: str) -> str:
    """An attempt state in words."""
    labels = {
        "in_progress": _("In progress"),
        "submitted": _("Submitted"),
        "overdue": _("Submitted when the time ran out"),
        "graded": _("Graded"),
        "abandoned": _("Abandoned"),
    }
    return labels.get(state, state)


def _error_page(course: Any, message: str, status: int = 403) -> tuple[str, int]:
    """The portal's error page for a course item the user may not open."""
    page = render_template("portal/course_error.html", course=course, message=message, status=status)
    return page, status


def _item_for(model: type[Quiz] | type[Assignment], item_id: int, user: Any) -> Any:
    """A quiz or assignment the user may see, a 403 page when they may not take part, or a 404."""
    item = db.session.get(model, item_id)
    if item is None or not access.can_see_course(user, with_parents(item, "course", "lesson").course):
        abort(404)
    staff = is_staff(user, item.course)
    if not item.is_published and not staff:
        abort(404)
    if staff:
        return item
    if not access.can_access(user, item.course):
        return _error_page(item.course, _("Enrol in this course first."))
    if item.lesson is not None:
        try:
            progress.require_open_lesson(user, item.lesson)
        except AppError as error:
            return _error_page(item.course, error.message)
    return item


def _window(rules: dict[str, Any], now: datetime) -> str:
    """not_open, closed or open, for this learner."""
    if rules["opens_at"] is not None and now < rules["opens_at"]:
        return "not_open"
    if rules["closes_at"] is not None and now >= rules["closes_at"]:
        return "closed"
    return "open"


# ---- quiz page -------------------------------------------------------------------------------
@portal.route("/quizzes/<int:quiz_id>")
def quiz_page(quiz_id: int) -> Any:
    """A quiz's description, rules, the learner's attempts and the Start or Resume button."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _item_for(Quiz, quiz_id, user)
    if not isinstance(found, Quiz):
        return found
    quiz, now = found, utcnow()
    rules = quiz_service.describe_rules(quiz, user.id)
    attempts = list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
            .order_by(QuizAttempt.number)
        )
    )
    in_progress = next((a for a in attempts if a.state == "in_progress"), None)
    review = quiz_service.review_open(quiz, user.id, now)
    window = _window(rules, now)
    left = rules["attempts_left"]
    can_start = in_progress is not None or (window == "open" and (left is None or left > 0))
    return render_template(
        "portal/quiz.html",
        quiz=quiz,
        course=quiz.course,
        description=translated(quiz.translations, "description"),
        rules=rules,
        window=window,
        attempts=attempts,
        in_progress=in_progress,
        review=review,
        grade=quiz_service.quiz_percent(quiz, user.id) if review else None,
        can_start=can_start,
        state_label=state_label,
        notes=learner_notes(user, quiz.course, "quiz", quiz.id, url_for("portal.quiz_page", quiz_id=quiz.id)),
    )


@portal.route("/quizzes/<int:quiz_id>/start", methods=["POST"])
@requires_permission("can_start", "Quiz")
def start_quiz(quiz_id: int) -> Any:
    """Start a new attempt (or resume the one in progress) and go to it."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _item_for(Quiz, quiz_id, user)
    if not isinstance(found, Quiz):
        return found
    try:
        with transaction():
            attempt = attempt_service.start_attempt(user, found)
    except AppError as error:
        flash(error.message, "danger")
        return redirect(url_for("portal.quiz_page", quiz_id=found.id))
    return redirect(url_for("portal.attempt_page", attempt_id=attempt.id))


# ---- attempts --------------------------------------------------------------------------------
def _attempt_for(attempt_id: int, user: Any, *, owner: bool) -> QuizAttempt | None:
    """The attempt if the user made it (or, unless `owner`, may see it as staff)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or user is None:
        return None
    if attempt.user_id == user.id or (not owner and is_staff(user, quiz_of(attempt).course)):
        return attempt
    return None


def _result_note(attempt: QuizAttempt) -> str:
    """When a learner will see the results of a finished attempt they may not review yet."""
    quiz = quiz_of(attempt)
    if quiz.review_option == "after_close":
        closes = quiz_service.rules_for(quiz, attempt.user_id).closes_at
        if closes is not None:
            when = format_datetime(closes)
            return _("Results will be shown after the quiz closes, on %(when)s.", when=when)
        return _("Results will be shown after the quiz closes.")
    return _("The results of this quiz are not shown to learners.")


@portal.route("/attempts/<int:attempt_id>")
def attempt_page(attempt_id: int) -> Any:
    """An attempt: the questions and countdown while in progress, the result (if released) after."""
    user = _user()
    if user is None:
        return _login_redirect()
    attempt = _attempt_for(attempt_id, user, owner=False)
    if attempt is None:
        abort(404)
    mine = attempt.user_id == user.id
    if mine and attempt.state == "in_progress" and quiz_service.seconds_left(attempt, utcnow()) == 0:
        try:  # time is up: close it with the answers saved in time
            with transaction():
                attempt = attempt_service.submit_attempt(user, attempt)
        except AppError:
            pass  # finished meanwhile: shown as it is
    view = attempt_view(user, attempt)
    editable = mine and attempt.state == "in_progress"
    return render_template(
        "portal/attempt.html",
        attempt=attempt,
        quiz=quiz_of(attempt),
        course=quiz_of(attempt).course,
        view=view,
        editable=editable,
        state_label=state_label,
        result_note=None if view["review_available"] else _result_note(attempt),
        sync_seconds=int(current_app.config.get("QUIZ_SYNC_SECONDS", 30)),
    )


@portal.route("/attempts/<int:attempt_id>/state")
def attempt_state(attempt_id: int) -> Response:
    """JSON for the countdown: the attempt's state and the seconds left by the server's clock."""
    user = _user()
    if user is None:
        return _json_error(401, _("Please sign in."))
    attempt = _attempt_for(attempt_id, user, owner=False)
    if attempt is None:
        return _json_error(404, _("Not found."))
    deadline = as_utc(attempt.deadline_at)
    return jsonify(
        {
            "state": attempt.state,
            "seconds_left": quiz_service.seconds_left(attempt, utcnow())
            if attempt.state == "in_progress"
            else None,
            "deadline_at": deadline.isoformat() if deadline else None,
        }
    )


@portal.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
def save_attempt_answer(attempt_id: int) -> Response:
    """Autosave one answer (JSON `{"question_id", "answer"}`); refused after the deadline."""
    user = _user()
    if user is None:
        return _json_error(401, _("Please sign in."))
    attempt = _attempt_for(attempt_id, user, owner=True)
    if attempt is None:
        return _json_error(404, _("Not found."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, _("Send a JSON object."))
    try:
        with transaction():
            saved = attempt_service.save_answer(user, attempt, data.get("question_id"), data.get("answer"))
        if saved is None:  # time was up: the attempt was handed in instead
            raise attempt_service.time_up()
    except AppError as error:
        return _json_error(error.status_code, error.message, error.errors)
    return jsonify({"saved": True, "seconds_left": quiz_service.seconds_left(attempt, utcnow())})


def _form_answers(view: dict[str, Any]) -> dict[str, Any]:
    """The answers of the questions the submitted form showed (choices as lists of option ids)."""
    shown = set(request.form.getlist("shown"))
    answers: dict[str, Any] = {}
    for question in view["questions"]:
        key = str(question["id"])
        if key not in shown:
            continue
        name = f"answer-{key}"
        if question["type"] in CHOICE_TYPES:
            answers[key] = [value for value in request.form.getlist(name) if value]
        else:
            answers[key] = request.form.get(name, "")
    return answers


@portal.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
def submit_quiz_attempt(attempt_id: int) -> Any:
    """Hand in the attempt with the form's answers, then show it (with its result when released)."""
    user = _user()
    if user is None:
        return _login_redirect()
    attempt = _attempt_for(attempt_id, user, owner=True)
    if attempt is None:
        abort(404)
    answers = _form_answers(attempt_view(user, attempt))
    page = url_for("portal.attempt_page", attempt_id=attempt.id)
    return _flashed(
        page,
        _("Your answers were submitted."),
        lambda: attempt_service.submit_attempt(user, attempt, answers),
    )


# ---- assignments -----------------------------------------------------------------------------
def _limits(assignment: Assignment) -> dict[str, Any]:
    """What may be handed in: file count, types and size (the assignment's, within the media kind's)."""
    rule = kind_rules(current_app.config)[assignment_service.SUBMISSION_KIND]
    own = {ext.lower().lstrip(".") for ext in assignment.allowed_extensions or []}
    extensions = sorted(own & set(rule.extensions) if own else rule.extensions)
    kind_mb = max(1, rule.max_bytes // MB)
    max_mb = min(assignment.max_file_mb, kind_mb) if assignment.max_file_mb else kind_mb
    return {
        "max_files": assignment.max_files,
        "extensions": extensions,
        "accept": ",".join(f".{ext}" for ext in extensions),
        "max_mb": max_mb,
    }


def _closed_reason(assignment: Assignment, now: datetime) -> tuple[str | None, bool]:
    """(why submissions are closed or None, whether work handed in now is late)."""
    try:
        return None, assignment_service.lateness(assignment, now)
    except AppError as error:
        return error.message, True


def _submission_details(submission: Submission | None, user: Any) -> dict[str, Any]:
    """The learner's files, returned files and rubric levels, each file with a signed link."""
    if submission is None:
        return {"files": [], "returned": [], "scores": []}

    def linked(owner_type: str) -> list[dict[str, Any]]:
        return [
            {"media": media, "href": _media_link(media, user, inline=False)}
            for media in assignment_service.files_of(submission, owner_type)
        ]

    return {
        "files": linked("submission"),
        "returned": linked("submission_feedback"),
        "scores": sorted(
            (with_parents(score, "criterion", "level") for score in submission.scores),
            key=lambda score: score.criterion.position,
        ),
    }


@portal.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
def assignment_page(assignment_id: int) -> Any:
    """An assignment: instructions, dates, status, the submission form, and the grade once graded."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _item_for(Assignment, assignment_id, user)
    if not isinstance(found, Assignment):
        return found
    assignment = found
    here = url_for("portal.assignment_page", assignment_id=assignment.id)
    if request.method == "POST":
        text = request.form.get("text") if assignment.allow_text else None
        uploads = [
            (upload.filename, upload.read()) for upload in request.files.getlist("files") if upload.filename
        ]
        return _flashed(
            here,
            _("Your work was handed in."),
            lambda: assignment_service.submit_assignment(user, assignment, text=text, files=uploads),
        )
    submission = assignment_service.submission_of(assignment, user.id)
    statuses = {value.code: value for value in values_of("assignment_status")}
    status = submission.status if submission is not None else statuses.get("not_submitted")
    closed, late = _closed_reason(assignment, utcnow())
    graded = submission is not None and submission.status.code == "graded"
    return render_template(
        "portal/assignment.html",
        assignment=assignment,
        course=assignment.course,
        instructions=translated(assignment.translations, "instructions"),
        submission=submission,
        status=status,
        graded=graded,
        percent=assignment_service.percent_of(submission),
        closed=closed,
        late=late,
        limits=_limits(assignment),
        attachments=[
            {"media": media, "href": _media_link(media, user, inline=False)}
            for media in assignment_service.files_of(assignment, "assignment")
        ],
        notes=learner_notes(user, assignment.course, "assignment", assignment.id, here),
        **_submission_details(submission, user),
    )
