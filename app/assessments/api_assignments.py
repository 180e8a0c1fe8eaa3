"""REST API of assignments: /api/v1/rubric, rubric_criterion, rubric_level, assignment (submit), and the
read-only submission (grade) and rubric_score."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.assessments.api_base import (
    CRUD_ROUTES,
    READ_ONLY_ROUTES,
    AssessmentApiBase,
    LessonContentApi,
    body_object,
    iso,
    text_or_none,
    uploaded_files,
)
from app.assessments.models import (
    Assignment,
    Rubric,
    RubricCriterion,
    RubricLevel,
    RubricScore,
    Submission,
)
from app.assessments.services import assignments
from app.assessments.services.access import settle_owner
from app.core.api import SYSTEM, BaseModelRestApi
from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.media.models import Media


class RubricApi(AssessmentApiBase):
    """Rubrics: their owner writes them; learners read those of published assignments they may open."""

    datamodel = SQLAInterface(Rubric)
    class_permission_name = "Rubric"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("owner_id",)
    list_columns = show_columns = [*SYSTEM, "owner_id", "title", "translations"]
    add_columns = edit_columns = ["owner_id", "translations"]
    search_columns = ["owner_id"]
    order_columns = ["id", "updated_at"]
    base_order = ("id", "desc")
    rich_text_fields = ("description",)
    needs_title = True

    def prepare(self, item: Rubric) -> None:
        """A new one belongs to its creator; only admins name another owner."""
        settle_owner(item, g.user)
        super().prepare(item)


class RubricCriterionApi(AssessmentApiBase):
    """Criteria of rubrics (written by the rubric's owner)."""

    datamodel = SQLAInterface(RubricCriterion)
    class_permission_name = "RubricCriterion"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("position",)
    list_columns = show_columns = [*SYSTEM, "rubric_id", "title", "translations", "position"]
    add_columns = edit_columns = ["rubric_id", "translations", "position"]
    search_columns = ["rubric_id"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")
    rich_text_fields = ("description",)
    needs_title = True

    def check(self, item: RubricCriterion) -> None:
        """New criteria go last (`services.assignments.check_rubric_criterion`)."""
        assignments.check_rubric_criterion(item)


class RubricLevelApi(AssessmentApiBase):
    """Levels of rubric criteria (written by the rubric's owner)."""

    datamodel = SQLAInterface(RubricLevel)
    class_permission_name = "RubricLevel"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("points", "position")
    list_columns = show_columns = [*SYSTEM, "criterion_id", "title", "translations", "points", "position"]
    add_columns = edit_columns = ["criterion_id", "translations", "points", "position"]
    search_columns = ["criterion_id"]
    order_columns = ["position", "points", "id"]
    base_order = ("position", "asc")
    rich_text_fields = ("description",)
    needs_title = True

    def check(self, item: RubricLevel) -> None:
        """Points from 0; new levels go last (`services.assignments.check_rubric_level`)."""
        assignments.check_rubric_level(item)


ASSIGNMENT_FIELDS = [
    "course_id",
    "lesson_id",
    "translations",
    "due_at",
    "cutoff_at",
    "late_policy",
    "late_penalty_percent",
    "max_points",
    "rubric_id",
    "allow_files",
    "allow_text",
    "max_files",
    "allowed_extensions",
    "max_file_mb",
    "is_required",
    "weight",
    "is_published",
]


def _media_data(media: Media) -> dict[str, Any]:
    """A file of a submission as the API lists it."""
    return {"id": media.id, "name": media.original_filename, "size": media.size, "mime_type": media.mime_type}


def submission_data(submission: Submission) -> dict[str, Any]:
    """A submission with its files, returned files and rubric scores."""

    def number(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": submission.id,
        "assignment_id": submission.assignment_id,
        "user_id": submission.user_id,
        "course_id": submission.course_id,
        "status": submission.status.code,
        "text": submission.text,
        "submitted_at": iso(submission.submitted_at),
        "submission_count": submission.submission_count,
        "is_late": submission.is_late,
        "raw_points": number(submission.raw_points),
        "penalty_points": number(submission.penalty_points),
        "points": number(submission.points),
        "feedback": submission.feedback,
        "graded_at": iso(submission.graded_at),
        "files": [_media_data(m) for m in assignments.files_of(submission)],
        "returned_files": [_media_data(m) for m in assignments.files_of(submission, "submission_feedback")],
        "scores": [
            {"criterion_id": s.criterion_id, "level_id": s.level_id, "points": number(s.points)}
            for s in submission.scores
        ],
    }


class AssignmentApi(LessonContentApi):
    """Assignments: staff write their courses' ones; entitled learners read published ones and submit."""

    datamodel = SQLAInterface(Assignment)
    class_permission_name = "Assignment"
    include_route_methods = CRUD_ROUTES | {"submit"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "submit": "submit"}
    optional_add_columns = tuple(ASSIGNMENT_FIELDS[1:])
    list_columns = show_columns = [*SYSTEM, "title", *ASSIGNMENT_FIELDS]
    add_columns = edit_columns = ASSIGNMENT_FIELDS
    search_columns = ["course_id", "lesson_id", "is_published", "is_required", "due_at"]
    order_columns = ["id", "due_at", "created_at", "updated_at"]
    base_order = ("id", "asc")
    rich_text_fields = ("instructions",)
    needs_title = True

    def check(self, item: Assignment) -> None:
        """The assignment settings rules (`services.assignments.check_assignment`)."""
        assignments.check_assignment(item)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int) -> Response:
        """Hand in work: multipart `text` and `file` fields, or JSON {"text"}; again until graded."""

        def act() -> Response:
            assignment = self.scoped(pk)
            body = body_object()
            text = text_or_none(body.get("text"), "text")
            files = uploaded_files() if request.mimetype == "multipart/form-data" else []
            submission = assignments.submit_assignment(g.user, assignment, text=text, files=files)
            return self.response(200, id=submission.id, result=submission_data(submission))

        return self.run(act)


SUBMISSION_COLUMNS = [
    *SYSTEM,
    "assignment_id",
    "user_id",
    "course_id",
    "status.code",
    "text",
    "submitted_at",
    "submission_count",
    "is_late",
    "raw_points",
    "penalty_points",
    "points",
    "feedback",
    "graded_at",
    "graded_by_id",
]


def _levels(value: Any) -> dict[str, Any] | None:
    """Rubric levels from a body: an object, or JSON text of one in a form."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise Invalid(_("Give a level for each criterion."), {"levels": [_("Not an object.")]})
    if value is not None and not isinstance(value, dict):
        raise Invalid(_("Give a level for each criterion."), {"levels": [_("Not an object.")]})
    return value


class SubmissionApi(AssessmentApiBase):
    """Own submissions (and the staff's courses' ones); graded through the action."""

    datamodel = SQLAInterface(Submission)
    class_permission_name = "Submission"
    include_route_methods = READ_ONLY_ROUTES | {"grade"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "grade": "grade"}
    list_columns = show_columns = SUBMISSION_COLUMNS
    search_columns = ["assignment_id", "user_id", "course_id", "status", "is_late", "submitted_at"]
    order_columns = ["id", "submitted_at", "graded_at", "points"]
    base_order = ("submitted_at", "desc")

    @expose("/<int:pk>/grade", methods=["POST"])
    @protect()
    @safe
    @permission_name("grade")
    def grade(self, pk: int) -> Response:
        """Grade: {"points"} or {"levels": {criterion_id: level_id}}, "feedback" (+ multipart `file`)."""

        def act() -> Response:
            submission = self.scoped(pk)
            body = body_object()
            points = body.get("points")
            if isinstance(points, bool) or (points is not None and not isinstance(points, int | float | str)):
                raise Invalid(_("Points must be a number."), {"points": [_("Not a number.")]})
            files = uploaded_files() if request.mimetype == "multipart/form-data" else []
            graded = assignments.grade_submission(
                g.user,
                submission,
                points=points if points != "" else None,
                levels=_levels(body.get("levels")),
                feedback=text_or_none(body.get("feedback"), "feedback"),
                files=files,
            )
            return self.response(200, id=graded.id, result=submission_data(graded))

        return self.run(act)


class RubricScoreApi(AssessmentApiBase):
    """Rubric levels chosen for the submissions the user may see."""

    datamodel = SQLAInterface(RubricScore)
    class_permission_name = "RubricScore"
    include_route_methods = READ_ONLY_ROUTES
    list_columns = show_columns = [*SYSTEM, "submission_id", "criterion_id", "level_id", "points", "comment"]
    search_columns = ["submission_id", "criterion_id"]
    order_columns = ["id"]
    base_order = ("id", "asc")
