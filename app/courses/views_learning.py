"""Learning back office: enrolments (one student or a CSV), notes moderation, purchases, subscriptions."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.errors import AppError, Invalid, NotFound
from app.core.filters import FilterManagedRows
from app.core.interface import SQLAInterface
from app.core.transactions import transaction
from app.core.views import BaseModelView, guarded
from app.courses.models import Course, CoursePurchase, Enrollment, Note
from app.courses.services import enrollment, notes
from app.courses.services.access import can_manage
from app.courses.services.catalog import managed_courses
from app.courses.views_base import COMMON_LABELS, CourseScopedView
from app.extensions import db
from app.lookups.services import lookup_id
from app.security.models import LmsUser

ENROLLMENT_LABELS = {
    **COMMON_LABELS,
    "enrollment_type": _l("Access"),
    "status": _l("Status"),
    "source": _l("Source"),
    "enrolled_by": _l("Enrolled by"),
    "enrolled_at": _l("Enrolled"),
    "completed_at": _l("Completed"),
    "ended_at": _l("Ended"),
    "last_accessed_at": _l("Last visit"),
    "progress_percent": _l("Progress (%)"),
    "time_spent_seconds": _l("Time spent (seconds)"),
}


def _course_from_form(user: Any) -> Course:
    course_id = request.form.get("course_id", type=int)
    course = db.session.get(Course, course_id) if course_id else None
    if course is None or not can_manage(user, course):
        raise NotFound(gettext("Choose one of your courses."))
    return course


class EnrollmentModelView(CourseScopedView):
    """Enrolments of the user's courses; enrol one student or a CSV; drop."""

    datamodel = SQLAInterface(Enrollment)
    class_permission_name = "EnrollmentAdmin"
    include_route_methods = {
        "list",
        "show",
        "delete",
        "export_csv",
        "action",
        "action_post",
        "enroll",
        "import_csv",
    }
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "enroll": "write",
        "import_csv": "import",
        "drop": "write",
    }
    list_title = _l("Enrolments")
    show_title = _l("Enrolment")
    label_columns = ENROLLMENT_LABELS
    list_columns = ["user", "course", "enrollment_type", "status", "progress_percent", "enrolled_at"]
    show_columns = [
        "user",
        "course",
        "enrollment_type",
        "status",
        "source",
        "enrolled_by",
        "enrolled_at",
        "completed_at",
        "ended_at",
        "last_accessed_at",
        "progress_percent",
        "time_spent_seconds",
    ]
    search_columns = ["user", "course", "enrollment_type", "status", "source"]
    base_order = ("enrolled_at", "desc")

    @action("drop", _l("Drop"), _l("End the selected enrolments? Progress is kept."), "fa-user-times")
    def drop(self, items: Any) -> Any:
        """End enrolments (their progress stays)."""
        items = items if isinstance(items, list) else [items]
        count = 0
        for item in items:
            try:
                with transaction():  # each enrolment on its own: one refused leaves the others done
                    enrollment.drop_enrollment(item, g.user)
                count += 1
            except AppError as exc:
                flash(f"{item}: {exc.message}", "warning")
        if count:
            flash(gettext("%(count)d enrolment(s) dropped.", count=count), "success")
        return redirect(self.get_redirect())

    def _page(self, report: Any = None, course: Course | None = None) -> Any:
        return self.render_template(
            "courses/enroll.html",
            courses=managed_courses(g.user),
            selected=course.id if course is not None else request.args.get("course_id", type=int),
            report=report,
            may_import=self.appbuilder.sm.has_access("can_import", self.class_permission_name),
        )

    @expose("/enroll/", methods=["GET", "POST"])
    @has_access
    def enroll(self) -> Any:
        """Enrol one student by user name or email."""
        if request.method == "GET":
            return self._page()
        try:
            course = _course_from_form(g.user)
            identifier = (request.form.get("student") or "").strip().lower()
            student = db.session.scalar(
                select(LmsUser).where(
                    or_(
                        db.func.lower(LmsUser.username) == identifier,
                        db.func.lower(LmsUser.email) == identifier,
                    )
                )
            )
            if not identifier or student is None:
                raise NotFound(gettext("No user has this user name or email."))
            enrollment.enroll_by_instructor(course, student, g.user)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(gettext("%(user)s is enrolled.", user=student.username), "success")
        return redirect(url_for(".enroll", course_id=request.form.get("course_id", type=int)))

    @expose("/import/", methods=["POST"])
    @has_access
    def import_csv(self) -> Any:
        """Enrol the users listed in a CSV (column `email` or `username`) and show the report."""
        try:
            course = _course_from_form(g.user)
            try:
                upload = request.files.get("file")
                data = upload.read() if upload is not None else b""
            except RequestEntityTooLarge:
                raise Invalid(gettext("The file is too large.")) from None
            if not data:
                raise Invalid(gettext("Choose a CSV file."))
            with transaction():
                report = enrollment.enroll_from_csv(course, data, g.user)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".enroll", course_id=request.form.get("course_id", type=int)))
        flash(
            gettext(
                "%(accepted)d enrolled, %(rejected)d rejected.",
                accepted=len(report.accepted),
                rejected=len(report.rejected),
            ),
            "success" if not report.rejected else "warning",
        )
        return self._page(report=report, course=course)


class FilterModeratedNotes(FilterManagedRows):
    """Notes of taught courses (all courses for admins), never someone else's private note."""

    name = _l("Notes I moderate")
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Scope to taught courses, then hide other people's private notes."""
        query = super().apply(query, value)
        user_id = getattr(g.get("user"), "id", None)
        private = lookup_id("note_visibility", "private")
        return query.filter(or_(Note.visibility_id != private, Note.user_id == user_id))


class NoteModelView(CourseScopedView):
    """Moderation list of the notes on the user's courses (private notes stay private)."""

    datamodel = SQLAInterface(Note)
    class_permission_name = "NoteAdmin"
    include_route_methods = {"list", "show", "delete", "export_csv", "action", "action_post"}
    base_filters = [["id", FilterModeratedNotes, None]]
    list_title = _l("Notes")
    show_title = _l("Note")
    label_columns = {
        **COMMON_LABELS,
        "target_type": _l("On"),
        "target_id": _l("Target id"),
        "visibility": _l("Visibility"),
        "body": _l("Text"),
        "color": _l("Colour"),
        "is_pinned": _l("Pinned"),
        "is_archived": _l("Archived"),
        "like_count": _l("Likes"),
    }
    list_columns = ["user", "course", "target_type", "visibility", "like_count", "created_at"]
    show_columns = [
        "user",
        "course",
        "target_type",
        "target_id",
        "visibility",
        "body",
        "color",
        "is_pinned",
        "is_archived",
        "like_count",
        "created_at",
        "updated_at",
    ]
    search_columns = ["user", "course", "target_type", "visibility", "body"]
    base_order = ("created_at", "desc")

    def pre_delete(self, item: Note) -> None:
        """The notes service decides (author, or staff of the course for shared notes)."""
        guarded(notes.delete_note, g.user, item)


class CoursePurchaseModelView(BaseModelView):
    """Course purchases (admins): recorded by billing, or by hand for a purchase made elsewhere."""

    datamodel = SQLAInterface(CoursePurchase)
    class_permission_name = "CoursePurchaseAdmin"
    list_title = _l("Course purchases")
    show_title = add_title = edit_title = _l("Course purchase")
    label_columns = {
        **COMMON_LABELS,
        "amount": _l("Amount"),
        "currency": _l("Currency"),
        "purchased_at": _l("Purchased"),
        "refunded_at": _l("Refunded"),
    }
    list_columns = ["user", "course", "amount", "currency", "purchased_at", "refunded_at"]
    show_columns = ["user", "course", "amount", "currency", "purchased_at", "refunded_at"]
    add_columns = edit_columns = ["user", "course", "amount", "currency", "purchased_at"]
    search_columns = ["user", "course", "purchased_at"]
    base_order = ("purchased_at", "desc")
