"""Rubrics (criteria and levels), assignments with their attachments, and completion criteria."""

from __future__ import annotations

from typing import Any

from flask import flash, g
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from app.assessments.models import Assignment, CourseCompletion, Rubric, RubricCriterion, RubricLevel
from app.assessments.services import assignments
from app.assessments.services.access import settle_owner
from app.assessments.services.completion import check_completion
from app.assessments.views_base import (
    COMMON_LABELS,
    LATE_POLICY_LABELS,
    POSITION_FIELD,
    AssessmentView,
    choice_field,
    comma_list,
    label_formatter,
)
from app.assessments.views_grading import SubmissionModelView
from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.extensions import db
from app.media import services as media
from app.media.models import Media

ATTACHMENT_KIND = "attachment"
RUBRIC_LABELS = {
    **COMMON_LABELS,
    "rubric": _l("Rubric"),
    "criterion": _l("Criterion"),
    "criteria": _l("Criteria"),
    "levels": _l("Levels"),
    "points": _l("Points"),
}
ASSIGNMENT_LABELS = {
    **RUBRIC_LABELS,
    "instructions": _l("Instructions"),
    "due_at": _l("Due"),
    "cutoff_at": _l("Cut-off"),
    "late_policy": _l("Late work"),
    "late_penalty_percent": _l("Late penalty (%)"),
    "max_points": _l("Maximum points"),
    "allow_files": _l("Files may be handed in"),
    "allow_text": _l("Text may be handed in"),
    "max_files": _l("Maximum number of files"),
    "allowed_extensions": _l("Accepted file types"),
    "extensions_text": _l("Accepted file types"),
    "max_file_mb": _l("Maximum file size (MB)"),
    "attachment_upload": _l("Add an attachment"),
    "require_quizzes_passed": _l("Required quizzes passed"),
    "require_assignments_graded": _l("Required assignments graded"),
    "min_grade_percent": _l("Minimum grade (%)"),
    "certificate_enabled": _l("Certificate"),
}


# ---- rubrics ----------------------------------------------------------------------------------
class RubricLevelModelView(AssessmentView):
    """Levels of the criteria of the user's rubrics and the points each is worth."""

    rich_fields = ("description",)

    datamodel = SQLAInterface(RubricLevel)
    class_permission_name = "RubricLevelAdmin"
    list_title = _l("Rubric levels")
    show_title = _l("Rubric level")
    add_title = _l("Add rubric level")
    edit_title = _l("Edit rubric level")
    label_columns = RUBRIC_LABELS
    list_columns = ["criterion", "position", "title", "points"]
    show_columns = ["criterion", "position", "title", "translations", "points", "created_at", "updated_at"]
    add_columns = edit_columns = ["criterion", "points", "position"]
    add_form_extra_fields = edit_form_extra_fields = {"position": POSITION_FIELD}
    search_columns = ["criterion", "points"]
    base_order = ("position", "asc")

    def validate(self, item: RubricLevel) -> None:
        """Points from 0; new levels go last unless a position is given."""
        assignments.check_rubric_level(item)


class RubricCriterionModelView(AssessmentView):
    """Criteria of the user's rubrics."""

    rich_fields = ("description",)

    datamodel = SQLAInterface(RubricCriterion)
    class_permission_name = "RubricCriterionAdmin"
    list_title = _l("Rubric criteria")
    show_title = _l("Rubric criterion")
    add_title = _l("Add rubric criterion")
    edit_title = _l("Edit rubric criterion")
    label_columns = RUBRIC_LABELS
    list_columns = ["rubric", "position", "title"]
    show_columns = ["rubric", "position", "title", "translations", "created_at", "updated_at"]
    add_columns = edit_columns = ["rubric", "position"]
    add_form_extra_fields = edit_form_extra_fields = {"position": POSITION_FIELD}
    search_columns = ["rubric"]
    base_order = ("position", "asc")
    related_views = [RubricLevelModelView]

    def validate(self, item: RubricCriterion) -> None:
        """New criteria go last unless a position is given."""
        assignments.check_rubric_criterion(item)


class RubricModelView(AssessmentView):
    """The user's own rubrics (admins: every rubric)."""

    rich_fields = ("description",)

    datamodel = SQLAInterface(Rubric)
    class_permission_name = "RubricAdmin"
    list_title = _l("Rubrics")
    show_title = _l("Rubric")
    add_title = _l("Add rubric")
    edit_title = _l("Edit rubric")
    label_columns = RUBRIC_LABELS
    list_columns = ["title", "owner", "updated_at"]
    show_columns = ["title", "translations", "owner", "created_at", "updated_at"]
    add_columns = edit_columns = []
    search_columns = ["created_at", "updated_at"]
    base_order = ("updated_at", "desc")
    related_views = [RubricCriterionModelView]

    def prepare(self, item: Rubric) -> None:
        """A new one belongs to its creator; only admins name another owner."""
        settle_owner(item, g.user)


# ---- assignments ------------------------------------------------------------------------------
ASSIGNMENT_FIELDS = {
    "late_policy": choice_field(_l("Late work"), LATE_POLICY_LABELS, "penalty"),
    "extensions_text": StringField(
        _l("Accepted file types"),
        validators=[Optional()],
        description=_l(
            "Separate extensions with commas (pdf, docx). Empty: every type allowed for submissions."
        ),
    ),
    "attachment_upload": FileField(
        _l("Add an attachment"),
        validators=[Optional()],
        description=_l("A file given with the instructions."),
    ),
    "allow_files": BooleanField(_l("Files may be handed in"), default=True),
    "allow_text": BooleanField(_l("Text may be handed in"), default=True),
    "is_required": BooleanField(_l("Required"), default=True),
    "is_published": BooleanField(_l("Published"), default=True),
}


def attachments_of(assignment_id: int) -> list[Media]:
    """Files attached to an assignment's instructions."""
    return list(
        db.session.scalars(
            select(Media)
            .where(Media.mediable_type == "assignment", Media.mediable_id == assignment_id)
            .order_by(Media.id)
        )
    )


class AssignmentModelView(AssessmentView):
    """Assignments of the user's courses: dates, late policy, submission rules, rubric, weight."""

    datamodel = SQLAInterface(Assignment)
    class_permission_name = "AssignmentAdmin"
    show_template = "assessments/assignment_show.html"
    list_title = _l("Assignments")
    show_title = _l("Assignment")
    add_title = _l("Add assignment")
    edit_title = _l("Edit assignment")
    label_columns = ASSIGNMENT_LABELS
    list_columns = ["title", "course", "due_at", "max_points", "rubric", "weight", "is_published"]
    show_columns = [
        "title",
        "translations",
        "course",
        "lesson",
        "due_at",
        "cutoff_at",
        "late_policy",
        "late_penalty_percent",
        "max_points",
        "rubric",
        "allow_files",
        "allow_text",
        "max_files",
        "allowed_extensions",
        "max_file_mb",
        "weight",
        "is_required",
        "is_published",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "course",
        "lesson",
        "due_at",
        "cutoff_at",
        "late_policy",
        "late_penalty_percent",
        "max_points",
        "rubric",
        "allow_files",
        "allow_text",
        "max_files",
        "extensions_text",
        "max_file_mb",
        "weight",
        "is_required",
        "is_published",
        "attachment_upload",
    ]
    add_form_extra_fields = edit_form_extra_fields = ASSIGNMENT_FIELDS
    search_columns = ["course", "lesson", "rubric", "due_at", "is_published"]
    base_order = ("updated_at", "desc")
    formatters_columns = {
        "late_policy": label_formatter(LATE_POLICY_LABELS),
        "allowed_extensions": lambda value: ", ".join(value or []),
    }
    description_columns = {
        "due_at": _l("In your timezone. Empty: no due date."),
        "cutoff_at": _l("In your timezone. After it nothing is accepted. Empty: no cut-off."),
        "rubric": _l("Optional: grade with one of your rubrics."),
    }
    rich_fields = ("instructions",)
    local_datetime_fields = ("due_at", "cutoff_at")
    related_views = [SubmissionModelView]

    def prepare(self, item: Assignment) -> None:
        """The accepted file types from their text field."""
        text = item.__dict__.pop("extensions_text", None)
        if text is not None:
            item.allowed_extensions = comma_list(text)

    def validate(self, item: Assignment) -> None:
        """The settings rules, then the attachment now, so that a refused file saves nothing."""
        assignments.check_assignment(item)
        upload = item.__dict__.pop("attachment_upload", None)
        g.assignment_attachment = None
        if isinstance(upload, FileStorage) and upload.filename:
            files = [(upload.filename, upload.read())]
            media.validate_files(files, ATTACHMENT_KIND)
            g.assignment_attachment = files

    def _store_attachment(self, item: Assignment) -> None:
        files = g.pop("assignment_attachment", None)
        if not files:
            return
        try:
            media.upload_files(files, ATTACHMENT_KIND, g.user, "assignment", item.id)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")

    def post_add(self, item: Assignment) -> None:
        """Store the attachment."""
        self._store_attachment(item)

    def post_update(self, item: Assignment) -> None:
        """Store the attachment."""
        self._store_attachment(item)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """The accepted file types as text."""
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.extensions_text.data = ", ".join(item.allowed_extensions or [])

    def show_context(self, pk: Any) -> dict[str, Any]:
        """The attachments with download links."""
        links = []
        for file in attachments_of(int(pk)):
            try:
                links.append((file, media.issue_link(file, g.user)))
            except AppError:
                links.append((file, None))
        return {"attachments": links}


# ---- completion -------------------------------------------------------------------------------
class CourseCompletionModelView(AssessmentView):
    """What completing each of the user's courses takes, and whether it earns a certificate."""

    datamodel = SQLAInterface(CourseCompletion)
    class_permission_name = "CourseCompletionAdmin"
    list_title = _l("Completion criteria")
    show_title = add_title = edit_title = _l("Completion criteria")
    label_columns = ASSIGNMENT_LABELS
    list_columns = [
        "course",
        "require_quizzes_passed",
        "require_assignments_graded",
        "min_grade_percent",
        "certificate_enabled",
    ]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = list_columns
    add_form_extra_fields = edit_form_extra_fields = {
        "require_quizzes_passed": BooleanField(_l("Required quizzes passed"), default=True),
        "require_assignments_graded": BooleanField(_l("Required assignments graded")),
        "certificate_enabled": BooleanField(_l("Certificate")),
    }
    search_columns = ["course", "certificate_enabled"]
    base_order = ("updated_at", "desc")
    description_columns = {"min_grade_percent": _l("Empty: no minimum grade.")}

    def validate(self, item: CourseCompletion) -> None:
        """A minimum grade from 0 to 100, and one row per course."""
        check_completion(item)
