"""Portal pages of results: My grades, My certificates (download, share) and public verification.

Routes only: grades come from `app.assessments.services.gradebook`, certificates from
`app.assessments.services.certificates`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.assessments.models import Assignment, Certificate, Quiz, QuizAttempt
from app.assessments.services import assignments as assignment_service
from app.assessments.services import certificates as certificate_service
from app.assessments.services import quizzes as quiz_service
from app.assessments.services.gradebook import course_grade, grade_items
from app.core.errors import AppError
from app.core.models import utcnow
from app.core.portal import login_required
from app.courses.models import Course, Enrollment
from app.extensions import db
from app.lookups.services import values_of
from app.portal.courses import _user
from app.portal.views import portal


@portal.app_template_filter("user_date")
def user_date(value: date | None) -> str:
    """A calendar day in the viewer's language (no timezone: a day is a day)."""
    return format_date(value, "long") if value else ""


# ---- my grades -------------------------------------------------------------------------------
def _quiz_row(quiz: Quiz, user_id: int, now: datetime) -> dict[str, Any]:
    """A quiz line of My grades: its grade only once the quiz's review option releases it."""
    released = quiz_service.review_open(quiz, user_id, now)
    states = set(
        db.session.scalars(
            select(QuizAttempt.state).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id)
        )
    )
    finished = bool(states & set(quiz_service.FINISHED_STATES))
    percent = quiz_service.quiz_percent(quiz, user_id) if released else None
    if percent is not None:
        status = _("Passed") if percent >= quiz.pass_mark else _("Not passed yet")
    elif not finished:
        status = _("In progress") if "in_progress" in states else _("Not attempted")
    elif released:
        status = _("Awaiting grading")
    else:
        status = _("Result not released")
    return {
        "kind": "quiz",
        "title": quiz.title,
        "url": url_for("portal.quiz_page", quiz_id=quiz.id),
        "percent": percent,
        "points": None,
        "passed": None if percent is None else percent >= quiz.pass_mark,
        "status": status,
        "hidden": finished and not released,
    }


def _not_submitted() -> str:
    """The `assignment_status` lookup's name for work not handed in, in the viewer's language."""
    value = next((v for v in values_of("assignment_status") if v.code == "not_submitted"), None)
    return value.name if value is not None else _("Not submitted")


def _assignment_row(assignment: Assignment, user_id: int) -> dict[str, Any]:
    """An assignment line of My grades: status, points and percent once graded."""
    submission = assignment_service.submission_of(assignment, user_id)
    percent = assignment_service.percent_of(submission)
    return {
        "kind": "assignment",
        "title": assignment.title,
        "url": url_for("portal.assignment_page", assignment_id=assignment.id),
        "percent": percent,
        "points": submission.points if percent is not None else None,
        "max_points": assignment.max_points,
        "passed": None,
        "status": submission.status.name if submission is not None else _not_submitted(),
        "hidden": False,
    }


def _course_grades(course: Course, user_id: int, now: datetime) -> dict[str, Any]:
    """One course of My grades: its items, weights and the weighted total."""
    rows = []
    for item in grade_items(course.id):
        if item.kind == "quiz":
            row = _quiz_row(db.session.get(Quiz, item.id), user_id, now)
        else:
            row = _assignment_row(db.session.get(Assignment, item.id), user_id)
        row["weight"] = item.weight
        rows.append(row)
    hidden = any(row["hidden"] for row in rows)
    return {
        "course": course,
        "items": rows,
        "total": None if hidden or not rows else course_grade(user_id, course),
        "total_hidden": hidden,
    }


@portal.route("/my/grades")
@login_required()
def my_grades() -> Any:
    """The learner's grades in every course they joined, with each course's weighted total."""
    user = _user()
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(Course, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id)
        .order_by(Enrollment.enrolled_at.desc())
        .options(selectinload(Enrollment.course))
    )
    now = utcnow()
    courses = [_course_grades(enrollment.course, user.id, now) for enrollment in enrollments]
    return render_template("portal/my_grades.html", courses=courses)


# ---- my certificates -------------------------------------------------------------------------
def _own_certificate(certificate_id: int, user: Any) -> Certificate:
    """The signed-in learner's own certificate, or a 404 (someone else's does not exist for them)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != user.id:
        abort(404)
    return certificate


@portal.route("/my/certificates")
@login_required()
def my_certificates() -> Any:
    """The learner's certificates: state, download (once the PDF is ready) and the share link."""
    user = _user()
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    rows = [
        {
            "certificate": certificate,
            "ready": certificate.media_id is not None,
            "share_url": certificate_service.verification_url(certificate.number),
            "reason": certificate_service.reason_text(certificate.revoked_reason),
        }
        for certificate in certificates
    ]
    from app.portal.favorites import favorite_state  # the same blueprint, imported after this module

    ids = [row["certificate"].id for row in rows]
    return render_template(
        "portal/my_certificates.html", rows=rows, favorites=favorite_state(user, "certificate", ids)
    )


@portal.route("/my/certificates/<int:certificate_id>/download")
@login_required()
def download_certificate(certificate_id: int) -> Any:
    """To a fresh signed link of the learner's own certificate PDF."""
    user = _user()
    certificate = _own_certificate(certificate_id, user)
    try:
        link = certificate_service.download_url(user, certificate)
    except AppError as error:
        page = render_template("lms/error.html", status=error.status_code, message=error.message)
        return page, error.status_code
    return redirect(link)


# ---- public verification ---------------------------------------------------------------------
def _shown(result: dict[str, Any]) -> dict[str, Any]:
    """The service's answer with its dates in the viewer's language and timezone."""
    shown = dict(result)
    if result.get("completed_on"):
        shown["completed_on"] = format_date(date.fromisoformat(result["completed_on"]), "long")
    if result.get("revoked_at"):
        shown["revoked_at"] = format_datetime(datetime.fromisoformat(result["revoked_at"]))
    return shown


@portal.route("/verify")
def verify_form() -> Any:
    """The verification form; `?number=` goes to that number's page."""
    typed = (request.args.get("number") or "").strip()[:100]
    if typed:
        number = certificate_service.normalize_number(typed)
        if number:
            return redirect(url_for("portal.verify_certificate", number=number))
    return render_template("portal/verify.html", result=None, typed=typed)


@portal.route("/verify/<number>")
def verify_certificate(number: str) -> Any:
    """Public: is this certificate valid, revoked, or unknown (404)?"""
    normalized = certificate_service.normalize_number(number[:100])
    if normalized and normalized != number:
        return redirect(url_for("portal.verify_certificate", number=normalized), code=301)
    result = certificate_service.verify_certificate(number) if normalized else {"status": "unknown"}
    status = 404 if result["status"] == "unknown" else 200
    page = render_template("portal/verify.html", result=_shown(result), typed=number)
    response = Response(page, status=status, mimetype="text/html")
    response.headers["X-Robots-Tag"] = "noindex"
    return response
