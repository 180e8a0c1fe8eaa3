"""Assessments and certificates: question banks, quizzes and attempts, assignments and rubrics,
the gradebook, completion criteria and certificates."""

from typing import Any

from flask_appbuilder import AppBuilder


def _register_targets() -> None:
    from app.assessments.models import Assignment, Quiz, Submission
    from app.assessments.services import assignments
    from app.assessments.services.access import is_staff
    from app.core.targets import register_target
    from app.courses import services as courses

    def learner_view(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course) or (obj.is_published and courses.can_access(user, obj.course))

    def staff(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course)

    register_target("quiz", Quiz, can_view=learner_view, can_edit=staff, can_moderate=staff)
    register_target("assignment", Assignment, can_view=learner_view, can_edit=staff, can_moderate=staff)
    register_target(
        "submission",
        Submission,
        can_view=assignments.can_view_submission,
        can_edit=assignments.can_edit_submission,
    )
    # Files a grader returns with a grade: the student reads them, the staff add them.
    register_target(
        "submission_feedback",
        Submission,
        can_view=assignments.can_view_submission,
        can_edit=lambda user, obj: is_staff(user, obj.assignment.course),
    )


def _join_course_completion() -> None:
    from app.assessments.services.completion import COMPLETION_RULES
    from app.courses.services import progress

    for rule in COMPLETION_RULES:
        if rule not in progress.COMPLETION_RULES:
            progress.COMPLETION_RULES.append(rule)


def register(appbuilder: AppBuilder) -> None:
    """Add the assessment screens and APIs, register their targets and completion rules."""
    _register_targets()
    _join_course_completion()
