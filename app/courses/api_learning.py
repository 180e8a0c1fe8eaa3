"""REST API of learning records: /api/v1/enrollment, lesson_progress, note, course_purchase.
Every list and get is scoped by the services' visibility rules."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import or_
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.api import SYSTEM, BaseModelRestApi, json_body, optional_text
from app.core.errors import AppError, Invalid, NotFound, TooLarge
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.core.transactions import transaction
from app.courses.api import CourseApiBase
from app.courses.models import Course, CoursePurchase, Enrollment, LessonProgress, Note
from app.courses.services import enrollment, notes
from app.courses.services.access import can_manage
from app.courses.services.catalog import courses_taught_by
from app.courses.services.enrollment import visible_enrollments
from app.extensions import db


class FilterVisibleLearning(BaseFilter):
    """Enrolments and progress: own plus taught courses' (admins all); notes: `visible_notes`."""

    name = "Visible rows"
    arg_name = "visible"

    def apply(self, query: Any, value: Any) -> Any:
        """Apply the service's visibility rule of the model."""
        user = g.get("user")
        if self.model is Note:  # admins too: other people's private notes never show
            return query.filter(Note.id.in_(notes.visible_notes(user).with_only_columns(Note.id)))
        if is_admin(user):
            return query
        user_id = getattr(user, "id", None)
        if self.model is Enrollment:
            return query.filter(Enrollment.id.in_(visible_enrollments(user).with_only_columns(Enrollment.id)))
        return query.filter(
            or_(self.model.user_id == user_id, self.model.course_id.in_(courses_taught_by(user_id or 0)))
        )


VISIBLE = [["id", FilterVisibleLearning, None]]
ENROLLMENT_COLUMNS = [
    *SYSTEM,
    "user_id",
    "course_id",
    "enrollment_type.code",
    "status.code",
    "source",
    "enrolled_by_id",
    "enrolled_at",
    "completed_at",
    "ended_at",
    "last_accessed_at",
    "progress_percent",
    "time_spent_seconds",
]


class EnrollmentApi(CourseApiBase):
    """Own enrolments and those of taught courses; drop, delete, CSV import."""

    datamodel = SQLAInterface(Enrollment)
    class_permission_name = "Enrollment"
    include_route_methods = {"get", "get_list", "info", "delete", "drop", "import_csv"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "drop": "drop",
        "import_csv": "import",
    }
    base_filters = VISIBLE
    list_columns = show_columns = ENROLLMENT_COLUMNS
    search_columns = ["user", "course", "status", "enrollment_type", "source"]
    order_columns = ["enrolled_at", "progress_percent", "id"]
    base_order = ("enrolled_at", "desc")

    @expose("/<int:pk>/drop", methods=["POST"])
    @protect()
    @safe
    @permission_name("drop")
    def drop(self, pk: int) -> Response:
        """End the enrolment (progress is kept): the student or the course's staff."""
        return self.run(lambda: self.dump(enrollment.drop_enrollment(self.scoped(pk), g.user)))

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    @permission_name("import_csv")
    def import_csv(self) -> Response:
        """Enrol the users of a CSV (multipart `file`, `course_id`); answers the report."""

        def act() -> Response:
            course_id = request.form.get("course_id", type=int)
            if course_id is None:
                raise Invalid(_("course_id is required."), {"course_id": [_("Required.")]})
            course = db.session.get(Course, course_id)
            if course is None or not can_manage(g.user, course):
                raise NotFound(_("No such course."))
            try:
                upload = request.files.get("file")
                data = upload.read() if upload is not None else b""
            except RequestEntityTooLarge:
                raise TooLarge() from None
            if not data:
                raise Invalid(_("Send the CSV in the `file` field."), {"file": [_("Required.")]})
            with transaction():
                report = enrollment.enroll_from_csv(course, data, g.user)
            return self.response(200, course_id=course.id, **report.as_dict())

        return self.run(act)


class LessonProgressApi(CourseApiBase):
    """Read-only progress: own, and that of taught courses' learners."""

    datamodel = SQLAInterface(LessonProgress)
    class_permission_name = "LessonProgress"
    include_route_methods = {"get", "get_list", "info"}
    base_filters = VISIBLE
    list_columns = show_columns = [
        *SYSTEM,
        "user_id",
        "lesson_id",
        "course_id",
        "completed_at",
        "time_spent_seconds",
        "last_heartbeat_at",
        "video_position_seconds",
    ]
    search_columns = ["user", "lesson", "course_id"]
    order_columns = ["updated_at", "id"]
    base_order = ("updated_at", "desc")


NOTE_COLUMNS = [
    *SYSTEM,
    "user_id",
    "course_id",
    "target_type",
    "target_id",
    "visibility.code",
    "body",
    "color",
    "is_pinned",
    "is_archived",
    "like_count",
]
NOTE_FIELDS = ("body", "visibility", "color", "is_pinned", "is_archived")


class NoteApi(CourseApiBase):
    """Notes the user may read (`services.notes.visible_notes`); written only through the service."""

    datamodel = SQLAInterface(Note)
    class_permission_name = "Note"
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "like", "unlike", "history"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "like": "like",
        "unlike": "like",
        "history": "read",
    }
    base_filters = VISIBLE
    list_columns = show_columns = NOTE_COLUMNS
    add_columns = ["target_type", "target_id", "body", "color", "is_pinned"]
    edit_columns = ["body", "color", "is_pinned", "is_archived"]
    search_columns = ["course", "target_type", "target_id", "is_pinned", "is_archived", "user"]
    order_columns = ["created_at", "updated_at", "like_count", "id"]
    base_order = ("created_at", "desc")

    def _note(self, pk: int) -> Note:
        note = self.scoped(pk)
        return notes.get_note(g.user, note.id)  # the live rule too (entitlement may have ended)

    def post_headless(self) -> Response:
        """Create through the service: target_type, target_id, body, visibility, color, is_pinned."""

        def act() -> Response:
            body = json_body()
            target_id = body.get("target_id")
            if not isinstance(target_id, int) or isinstance(target_id, bool):
                raise Invalid(_("target_id must be a number."), {"target_id": [_("Required.")]})
            note = notes.create_note(
                g.user,
                optional_text(body, "target_type"),
                target_id,
                optional_text(body, "body"),
                visibility=optional_text(body, "visibility") or "private",
                color=optional_text(body, "color") or "yellow",
                is_pinned=bool(body.get("is_pinned", False)),
            )
            return self.response(201, id=note.id, result=self.show_model_schema.dump(note))

        return self.run(act)

    def put_headless(self, pk: Any) -> Response:
        """Update through the service (author only; the old text goes to the history)."""

        def act() -> Response:
            body = json_body()
            changes = {key: body[key] for key in NOTE_FIELDS if key in body}
            for key in ("body", "visibility", "color"):
                if key in changes and not isinstance(changes[key], str):
                    raise Invalid(_("'%(key)s' must be text.", key=key), {key: [str(changes[key])]})
            return self.dump(notes.update_note(g.user, self._note(int(pk)), **changes))

        return self.run(act)

    def delete_headless(self, pk: Any) -> Response:
        """Delete through the service (the author, or course staff for shared notes)."""

        def act() -> Response:
            notes.delete_note(g.user, self._note(int(pk)))
            return self.response(200, message="OK")

        return self.run(act)

    @expose("/<int:pk>/like", methods=["POST"])
    @protect()
    @safe
    @permission_name("like")
    def like(self, pk: int) -> Response:
        """Like a public note."""
        return self.run(lambda: self.dump(notes.like_note(g.user, self._note(pk))))

    @expose("/<int:pk>/unlike", methods=["POST"])
    @protect()
    @safe
    @permission_name("unlike")
    def unlike(self, pk: int) -> Response:
        """Take a like back."""
        return self.run(lambda: self.dump(notes.unlike_note(g.user, self._note(pk))))

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @permission_name("history")
    def history(self, pk: int) -> Response:
        """Earlier versions of the note, newest first (its author only)."""

        def act() -> Response:
            revisions = notes.note_history(g.user, self._note(pk))
            result = [
                {
                    "body": r.body,
                    "visibility": r.visibility.code,
                    "color": r.color,
                    "edited_at": r.edited_at.isoformat(),
                }
                for r in revisions
            ]
            return self.response(200, id=pk, result=result)

        return self.run(act)


class CoursePurchaseApi(BaseModelRestApi):
    """Course purchases (admins): recorded by billing, or by hand for a purchase made elsewhere."""

    datamodel = SQLAInterface(CoursePurchase)
    class_permission_name = "CoursePurchase"
    list_columns = show_columns = [
        *SYSTEM,
        "user_id",
        "course_id",
        "amount",
        "currency",
        "purchased_at",
        "payment_id",
        "refunded_at",
    ]
    add_columns = edit_columns = ["user", "course", "amount", "currency", "purchased_at"]
    search_columns = ["user", "course", "purchased_at"]
    order_columns = ["purchased_at", "id"]
    base_order = ("purchased_at", "desc")


__all__ = [
    "AppError",
    "CoursePurchaseApi",
    "EnrollmentApi",
    "LessonProgressApi",
    "NoteApi",
]
