"""REST API of grades: /api/v1/grade_change (history), course_completion (criteria), gradebook
(JSON and CSV), and certificate (issue, revoke, reissue, download, and the public verify)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.assessments.api_base import (
    CRUD_ROUTES,
    MAX_INT,
    READ_ONLY_ROUTES,
    AssessmentApiBase,
    row_id,
    text_or_none,
)
from app.assessments.models import Certificate, CourseCompletion, GradeChange
from app.assessments.services import certificates
from app.assessments.services.access import require_staff
from app.assessments.services.completion import check_completion
from app.assessments.services.gradebook import Gradebook, gradebook_csv, gradebook_for
from app.core.api import SYSTEM, BaseModelRestApi, json_object
from app.core.errors import AppError, Conflict, Invalid, NotFound
from app.core.interface import SQLAInterface
from app.core.models import cents
from app.courses.models import Course
from app.extensions import db

GRADE_KINDS = ("quiz", "assignment")
MAX_FILTER = 100


class GradeChangeApi(AssessmentApiBase):
    """The grade history of the staff's courses (read-only: grades change through grading)."""

    datamodel = SQLAInterface(GradeChange)
    class_permission_name = "GradeChange"
    include_route_methods = READ_ONLY_ROUTES
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "student_id",
        "item_type",
        "item_id",
        "old_points",
        "new_points",
        "changed_by_id",
        "reason",
    ]
    search_columns = ["course_id", "student_id", "item_type", "item_id", "changed_by_id", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "desc")


class CourseCompletionApi(AssessmentApiBase):
    """What completing a course takes, and whether it gives a certificate (one row per course)."""

    datamodel = SQLAInterface(CourseCompletion)
    class_permission_name = "CourseCompletion"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = (
        "require_quizzes_passed",
        "require_assignments_graded",
        "min_grade_percent",
        "certificate_enabled",
    )
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "require_quizzes_passed",
        "require_assignments_graded",
        "min_grade_percent",
        "certificate_enabled",
    ]
    add_columns = ["course_id", *optional_add_columns]
    edit_columns = list(optional_add_columns)
    search_columns = ["course_id", "certificate_enabled"]
    order_columns = ["id", "course_id"]
    base_order = ("id", "asc")

    def check(self, item: CourseCompletion) -> None:
        """A minimum grade from 0 to 100; one row per course (`services.completion.check_completion`)."""
        check_completion(item)


def _course(course_id: int) -> Course:
    """The (not deleted) course, or NotFound."""
    if not 0 < course_id <= 2**63 - 1:
        raise NotFound(_("No such course."))
    course = db.session.scalar(select(Course).where(Course.id == course_id))
    if course is None:
        raise NotFound(_("No such course."))
    return course


def _number(value: Decimal | None) -> str | None:
    """A decimal as text (None stays None)."""
    return None if value is None else str(value)


def _average(values: list[Decimal]) -> str | None:
    """The average to two places as text (None for no values)."""
    return str(cents(sum(values, Decimal("0")) / len(values))) if values else None


def gradebook_data(book: Gradebook) -> dict[str, Any]:
    """The gradebook as JSON: its items (columns), rows (learners) and totals (averages)."""
    items = [
        {
            "key": item.key,
            "kind": item.kind,
            "id": item.id,
            "title": item.title,
            "weight": str(item.weight),
            "pass_mark": _number(item.pass_mark),
        }
        for item in book.items
    ]
    rows = [
        {
            "user_id": row.user_id,
            "name": row.name,
            "email": row.email,
            "status": row.status,
            "cells": {key: _number(value) for key, value in row.cells.items()},
            "total": _number(row.total),
        }
        for row in book.rows
    ]
    graded = {
        item.key: [row.cells[item.key] for row in book.rows if row.cells.get(item.key) is not None]
        for item in book.items
    }
    totals = {
        "learners": len(book.rows),
        "average": _average([row.total for row in book.rows if row.total is not None]),
        "items": {
            key: {"graded": len(values), "average": _average(values)} for key, values in graded.items()
        },
    }
    return {"course_id": book.course.id, "items": items, "rows": rows, "totals": totals}


class GradebookApi(BaseApi):
    """A course's gradebook for its staff: /api/v1/gradebook/<course_id> and its CSV."""

    resource_name = "gradebook"
    class_permission_name = "Gradebook"
    method_permission_name = {"get_gradebook": "read", "get_csv": "read"}
    openapi_spec_tag = "Gradebook"

    def _run(self, course_id: int, csv: bool) -> Response:
        """The gradebook as JSON or CSV, errors in the one shape."""
        try:
            course = _course(course_id)
            filters = {
                "search": (request.args.get("q") or "").strip()[:MAX_FILTER] or None,
                "status": (request.args.get("status") or "").strip()[:MAX_FILTER] or None,
                "kind": request.args.get("kind") or None,
            }
            if filters["kind"] not in (None, *GRADE_KINDS):
                message = _("Choose one of: %(choices)s.", choices=", ".join(GRADE_KINDS))
                raise Invalid(message, {"kind": [message]})
            book = gradebook_for(g.user, course, **filters)
        except AppError as exc:
            db.session.rollback()
            return self.response(exc.status_code, message=exc.message, errors=exc.errors)
        if not csv:
            return self.response(200, **gradebook_data(book))
        return Response(
            "\ufeff" + gradebook_csv(book),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="gradebook-{course.id}.csv"'},
        )

    @expose("/<int:course_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def get_gradebook(self, course_id: int) -> Response:
        """Learners x quizzes and assignments (query: `q`, `status`, `kind`), with weighted totals."""
        return self._run(course_id, csv=False)

    @expose("/<int:course_id>/csv", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def get_csv(self, course_id: int) -> Response:
        """The same gradebook as a CSV attachment."""
        return self._run(course_id, csv=True)


class CertificateApi(AssessmentApiBase):
    """Own certificates (and the staff's courses' ones); issued, revoked and re-issued by the staff."""

    datamodel = SQLAInterface(Certificate)
    class_permission_name = "Certificate"
    include_route_methods = READ_ONLY_ROUTES | {"issue", "revoke", "reissue", "download", "verify"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "issue": "issue",
        "revoke": "revoke",
        "reissue": "reissue",
        "download": "download",
    }
    list_columns = show_columns = [
        *SYSTEM,
        "number",
        "user_id",
        "course_id",
        "student_name",
        "course_title",
        "language",
        "completed_on",
        "issued_at",
        "media_id",
        "revoked_at",
        "revoked_reason",
        "revoked_by_id",
        "reissued_from_id",
    ]
    search_columns = ["number", "user_id", "course_id", "issued_at", "revoked_at"]
    order_columns = ["id", "issued_at", "completed_on"]
    base_order = ("issued_at", "desc")

    def _dump(self, status: int, certificate: Certificate) -> Response:
        """The certificate's fields."""
        return self.response(status, id=certificate.id, result=self.show_model_schema.dump(certificate))

    @expose("/issue", methods=["POST"])
    @protect()
    @safe
    @permission_name("issue")
    def issue(self) -> Response:
        """Issue {"user_id", "course_id"}'s certificate: the course's staff, once it is earned (else 409)."""

        def act() -> Response:
            body = json_object()
            user_id = row_id(body.get("user_id"), "user_id", MAX_INT)
            course = _course(row_id(body.get("course_id"), "course_id"))
            require_staff(g.user, course)
            existing = db.session.scalar(
                select(Certificate.id).where(
                    Certificate.user_id == user_id,
                    Certificate.course_id == course.id,
                    Certificate.revoked_at.is_(None),
                )
            )
            certificate = certificates.issue_certificate(user_id, course.id)
            if certificate is None:
                if not certificates.certificates_enabled(course.id):
                    raise Conflict(_("This course does not give certificates."))
                raise Conflict(_("This learner has not completed the course."))
            return self._dump(200 if certificate.id == existing else 201, certificate)

        return self.run(act)

    @expose("/<int:pk>/revoke", methods=["POST"])
    @protect()
    @safe
    @permission_name("revoke")
    def revoke(self, pk: int) -> Response:
        """Revoke with {"reason"} (shown on the verification page)."""

        def act() -> Response:
            certificate = self.scoped(pk)
            reason = text_or_none(json_object().get("reason"), "reason") or ""
            return self._dump(200, certificates.revoke_certificate(g.user, certificate, reason))

        return self.run(act)

    @expose("/<int:pk>/reissue", methods=["POST"])
    @protect()
    @safe
    @permission_name("reissue")
    def reissue(self, pk: int) -> Response:
        """A new certificate (new number) replacing this one, which is revoked."""
        return self.run(lambda: self._dump(201, certificates.reissue_certificate(g.user, self.scoped(pk))))

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    @permission_name("download")
    def download(self, pk: int) -> Response:
        """A signed, expiring link to the certificate's PDF."""

        def act() -> Response:
            certificate = self.scoped(pk)
            return self.response(200, id=certificate.id, url=certificates.download_url(g.user, certificate))

        return self.run(act)

    @expose("/verify/<number>", methods=["GET"])
    @safe
    def verify(self, number: str) -> Response:
        """Public: is this certificate number valid, revoked or unknown (404)?"""
        result = certificates.verify_certificate(number[:100])
        if result["status"] == "unknown":
            return self.response(404, message=_("No certificate has this number."), errors={}, **result)
        return self.response(200, **result)
