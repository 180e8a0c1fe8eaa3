"""Certificates (revoke with a reason, re-issue, download), the grade history, and the gradebook page."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.assessments.models import Certificate, GradeChange
from app.assessments.services import certificates
from app.assessments.services.attempts import pending_grading_count
from app.assessments.services.gradebook import grade_history, gradebook_csv, gradebook_for
from app.assessments.views_base import COMMON_LABELS, ITEM_TYPE_LABELS, AssessmentView, label_formatter
from app.core.errors import AppError
from app.core.formatters import format_user_datetime, format_yes_no
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView, each_item
from app.courses.models import Course
from app.courses.services.access import can_manage
from app.courses.services.catalog import managed_courses
from app.extensions import db
from app.lookups.services import values_of

CERTIFICATE_ROUTES = {"list", "show", "export_csv", "action", "action_post", "revoke_form", "download_pdf"}
GRADE_LABELS = {
    **COMMON_LABELS,
    "number": _l("Number"),
    "student_name": _l("Student"),
    "course_title": _l("Course title"),
    "language": _l("Language"),
    "completed_on": _l("Completed on"),
    "issued_at": _l("Issued"),
    "is_valid": _l("Valid"),
    "revoked_at": _l("Revoked"),
    "revoked_reason": _l("Reason for revoking"),
    "revoked_by": _l("Revoked by"),
    "download_count": _l("Downloads"),
    "student": _l("Student"),
    "item_type": _l("Item type"),
    "item_id": _l("Item id"),
    "old_points": _l("Old grade"),
    "new_points": _l("New grade"),
    "changed_by": _l("Changed by"),
    "reason": _l("Reason"),
}


class CertificateModelView(AssessmentView):
    """Certificates of the user's courses: revoke with a reason, re-issue, download the PDF."""

    datamodel = SQLAInterface(Certificate)
    class_permission_name = "CertificateAdmin"
    include_route_methods = CERTIFICATE_ROUTES
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "revoke_form": "revoke",
        "revoke": "revoke",
        "reissue": "reissue",
        "download_pdf": "read",
        "download_action": "read",
    }
    show_template = "assessments/certificate_show.html"
    list_title = _l("Certificates")
    show_title = _l("Certificate")
    label_columns = GRADE_LABELS
    list_columns = ["number", "student_name", "course", "issued_at", "is_valid", "download_count"]
    show_columns = [
        "number",
        "student_name",
        "user",
        "course",
        "course_title",
        "language",
        "completed_on",
        "issued_at",
        "is_valid",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
        "download_count",
    ]
    search_columns = ["number", "student_name", "course", "issued_at", "revoked_at"]
    base_order = ("issued_at", "desc")
    formatters_columns = {"is_valid": format_yes_no, "revoked_reason": certificates.reason_text}

    @action("revoke", _l("Revoke"), None, "fa-ban", multiple=False)
    def revoke(self, item: Certificate) -> Any:
        """Open the form that asks for the reason."""
        return redirect(url_for(".revoke_form", pk=item.id))

    @action("reissue", _l("Re-issue"), _l("Re-issue the selected certificates with new numbers?"), "fa-redo")
    def reissue(self, items: Any) -> Any:
        """Replace each certificate by a new one (the old one is revoked)."""
        done = each_item(items, lambda item: certificates.reissue_certificate(g.user, item))
        if done:
            flash(gettext("%(count)d certificate(s) re-issued.", count=done), "success")
        return redirect(self.get_redirect())

    @action("download_certificate", _l("Download"), None, "fa-download", multiple=False)
    def download_action(self, item: Certificate) -> Any:
        """Download the certificate's PDF."""
        return redirect(url_for(".download_pdf", pk=item.id))

    @expose("/revoke/<int:pk>", methods=["GET", "POST"])
    @has_access
    def revoke_form(self, pk: int) -> Any:
        """Revoke a certificate; the reason is shown on its public verification page."""
        certificate = self._get_scoped(pk)
        if certificate is None:
            abort(404)
        if request.method == "POST":
            try:
                certificates.revoke_certificate(g.user, certificate, request.form.get("reason", ""))
            except AppError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash(gettext("The certificate was revoked."), "success")
                return redirect(url_for(".show", pk=pk))
        return self.render_template(
            "assessments/certificate_revoke.html",
            certificate=certificate,
            reason_text=certificates.reason_text,
        )

    @expose("/pdf/<int:pk>")
    @has_access
    def download_pdf(self, pk: int) -> Any:
        """Redirect to a signed, expiring link to the PDF."""
        certificate = self._get_scoped(pk)
        if certificate is None:
            abort(404)
        try:
            return redirect(certificates.download_url(g.user, certificate))
        except AppError as exc:
            flash(exc.message, "warning")
            return redirect(url_for(".show", pk=pk))


class GradeChangeModelView(AssessmentView):
    """Every grade change of the user's courses: who, when, from what, to what."""

    datamodel = SQLAInterface(GradeChange)
    class_permission_name = "GradeChangeAdmin"
    include_route_methods = {"list", "show", "export_csv", "action", "action_post"}
    list_title = show_title = _l("Grade history")
    label_columns = GRADE_LABELS
    list_columns = [
        "created_at",
        "course",
        "student",
        "item_type",
        "item_id",
        "old_points",
        "new_points",
        "changed_by",
    ]
    show_columns = [*list_columns, "reason"]
    search_columns = ["course", "student", "item_type", "created_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {"item_type": label_formatter(ITEM_TYPE_LABELS)}


class GradebookView(BaseView):
    """The gradebook of a course: students x quizzes and assignments, weights, totals, CSV."""

    route_base = "/gradebook"
    default_view = "index"
    class_permission_name = "Gradebook"
    method_permission_name = {"index": "read", "course": "read", "csv": "read"}

    @staticmethod
    def _course(course_id: int) -> Course:
        course = db.session.get(Course, course_id)
        if course is None or not can_manage(g.user, course):
            abort(404)
        return course

    @staticmethod
    def _filters() -> dict[str, Any]:
        kind = request.args.get("kind") or None
        return {
            "search": (request.args.get("q") or "").strip()[:100] or None,
            "status": (request.args.get("status") or "").strip()[:32] or None,
            "kind": kind if kind in ITEM_TYPE_LABELS else None,
        }

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The courses the user manages, each linking to its gradebook."""
        return self.render_template("assessments/gradebook_index.html", courses=managed_courses(g.user))

    @expose("/<int:course_id>")
    @has_access
    def course(self, course_id: int) -> Any:
        """One course's gradebook, filtered by student, enrolment status and kind of item."""
        course = self._course(course_id)
        filters = self._filters()
        book = gradebook_for(g.user, course, **filters)
        statuses = values_of("enrollment_status")
        return self.render_template(
            "assessments/gradebook.html",
            book=book,
            course=course,
            filters=filters,
            statuses=statuses,
            status_names={status.code: status.name for status in statuses},
            kinds=ITEM_TYPE_LABELS,
            query=request.query_string.decode(),
            pending=pending_grading_count(course.id),
            recent_changes=grade_history(course, limit=5),
            format_user_datetime=format_user_datetime,
        )

    @expose("/<int:course_id>/csv")
    @has_access
    def csv(self, course_id: int) -> Response:
        """The filtered gradebook as CSV."""
        course = self._course(course_id)
        book = gradebook_for(g.user, course, **self._filters())
        return Response(
            gradebook_csv(book),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="gradebook-{course.id}.csv"'},
        )
