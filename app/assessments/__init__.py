"""Assessments and certificates: question banks, quizzes and attempts, assignments and rubrics,
the gradebook, completion criteria and certificates."""

from typing import Any

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _register_targets() -> None:
    from app.assessments.models import Assignment, Certificate, Quiz, Submission
    from app.assessments.services import assignments, certificates
    from app.assessments.services.access import is_staff
    from app.core.targets import register_target
    from app.courses import services as courses

    def learner_view(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course) or (obj.is_published and courses.can_access(user, obj.course))

    def staff(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course)

    register_target("quiz", Quiz, can_view=learner_view, can_edit=staff, can_moderate=staff)
    register_target("assignment", Assignment, can_view=learner_view, can_edit=staff, can_moderate=staff)
    # A submission's files change only by handing the assignment in again (its dates, limits and
    # grading apply), never through the generic media API.
    register_target(
        "submission",
        Submission,
        can_view=assignments.can_view_submission,
        can_edit=lambda user, obj: False,
    )
    # Files a grader returns with a grade: the student reads them, the staff add them.
    register_target(
        "submission_feedback",
        Submission,
        can_view=assignments.can_view_submission,
        can_edit=lambda user, obj: is_staff(user, obj.assignment.course),
    )
    register_target(
        "certificate",
        Certificate,
        can_view=certificates.can_view_certificate,
        can_edit=certificates.can_manage_certificate,
    )


def _join_course_completion() -> None:
    from app.assessments.services.certificates import on_course_completed
    from app.assessments.services.completion import COMPLETION_RULES
    from app.courses.services import progress

    for rule in COMPLETION_RULES:
        if rule not in progress.COMPLETION_RULES:
            progress.COMPLETION_RULES.append(rule)
    if on_course_completed not in progress.COMPLETION_HOOKS:
        progress.COMPLETION_HOOKS.append(on_course_completed)


def register(appbuilder: AppBuilder) -> None:
    """Add the assessment screens and APIs, register their targets and completion rules."""
    from app.assessments.audit_scope import register_assessment_audit_scopes
    from app.assessments.views import VIEWS

    _register_targets()
    register_assessment_audit_scopes()
    _join_course_completion()
    category = {
        "category": "Assessments",
        "category_label": _l("Assessments"),
        "category_icon": "fa-clipboard-check",
    }
    for view, name, label, icon in VIEWS:
        appbuilder.add_view(view, name, label=label, icon=icon, **category)
    from app.assessments.api import APIS

    for api in APIS:
        appbuilder.add_api(api)
