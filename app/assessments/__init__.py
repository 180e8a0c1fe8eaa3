"""Assessments and certificates: question banks, quizzes and attempts, assignments and rubrics,
the gradebook, completion criteria and certificates."""

from typing import Any

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _register_targets() -> None:
    from flask import url_for

    from app.assessments.models import Assignment, Certificate, Quiz, QuizAttempt, Submission
    from app.assessments.services import assignments, certificates
    from app.assessments.services.access import is_staff
    from app.assessments.services.review import can_see_attempt
    from app.core.targets import register_target
    from app.courses import services as courses

    def learner_view(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course) or (obj.is_published and courses.can_access(user, obj.course))

    def staff(user: Any, obj: Any) -> bool:
        return is_staff(user, obj.course)

    def own(user: Any, obj: Any) -> bool:
        return getattr(user, "id", None) == obj.user_id

    # Learners see their work and its grade in the portal, the course's staff grade it in the back office.
    def attempt_url(user: Any, attempt: QuizAttempt) -> str:
        if own(user, attempt):
            return url_for("portal.attempt_page", attempt_id=attempt.id)
        return url_for("QuizAttemptModelView.grade", pk=attempt.id)

    def submission_url(user: Any, submission: Submission) -> str:
        if own(user, submission):
            return url_for("portal.assignment_page", assignment_id=submission.assignment_id)
        return url_for("SubmissionModelView.grade", pk=submission.id)

    def certificate_url(user: Any, certificate: Certificate) -> str:
        if own(user, certificate):
            return url_for("portal.my_certificates")
        return url_for("CertificateModelView.show", pk=certificate.id)

    register_target(
        "quiz",
        Quiz,
        can_view=learner_view,
        can_edit=staff,
        can_moderate=staff,
        url=lambda user, quiz: url_for("portal.quiz_page", quiz_id=quiz.id),
    )
    register_target(
        "assignment",
        Assignment,
        can_view=learner_view,
        can_edit=staff,
        can_moderate=staff,
        url=lambda user, item: url_for("portal.assignment_page", assignment_id=item.id),
    )
    # A submission's files change only by handing the assignment in again (its dates, limits and
    # grading apply), never through the generic media API.
    register_target(
        "submission",
        Submission,
        can_view=assignments.can_view_submission,
        can_edit=lambda user, obj: False,
        url=submission_url,
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
        url=certificate_url,
        title=lambda certificate, language: f"{certificate.course_title} ({certificate.number})",
    )
    # Attempts are told about (waiting for grading, graded), never edited through the registry.
    register_target(
        "quiz_attempt",
        QuizAttempt,
        can_view=can_see_attempt,
        can_edit=lambda user, obj: False,
        url=attempt_url,
    )


def _register_note_targets() -> None:
    """Learners write notes on quizzes and assignments (courses' notes registry)."""
    from app.assessments.models import Assignment, Quiz
    from app.courses.services.notes import register_note_target

    register_note_target("quiz", Quiz, course_of=lambda quiz: quiz.course)
    register_note_target("assignment", Assignment, course_of=lambda assignment: assignment.course)


def _join_course_completion() -> None:
    """Completion also asks the assessment rules; a completed course issues its certificate."""
    from app.assessments.services.certificates import on_course_completed
    from app.assessments.services.completion import COMPLETION_RULES
    from app.courses.services.progress import register_completion_rule
    from app.courses.signals import course_completed

    for rule in COMPLETION_RULES:
        register_completion_rule(rule)
    course_completed.connect(on_course_completed)


def _register_managed_rows() -> None:
    """Who manages assessment rows (course staff, bank and rubric owners), for every module's lists."""
    from app.assessments import models
    from app.assessments.services.scope import managed_clause
    from app.core.filters import register_managed_rows

    register_managed_rows(
        (
            models.Quiz,
            models.Assignment,
            models.QuizAttempt,
            models.Submission,
            models.Certificate,
            models.GradeChange,
            models.CourseCompletion,
            models.QuestionBank,
            models.Question,
            models.QuestionOption,
            models.QuizQuestion,
            models.QuizDraw,
            models.QuizOverride,
            models.AttemptAnswer,
            models.RubricScore,
            models.Rubric,
            models.RubricCriterion,
            models.RubricLevel,
        ),
        managed_clause,
    )


def _register_outline_kinds() -> None:
    """Quizzes and assignments show in the course outline editor, under their lesson."""
    from flask import url_for

    from app.assessments.models import Assignment, Quiz
    from app.assessments.services.quiz_editor import (
        assignment_nodes,
        create_outline_assignment,
        create_outline_quiz,
        quiz_nodes,
    )
    from app.courses.services.outline import OutlineKind, register_outline_kind

    def quiz_links(node: Any) -> list[tuple[Any, str]]:
        return [
            (_l("Questions"), url_for("QuizEditorView.questions", quiz_id=node.id)),
            (_l("Preview"), url_for("portal.quiz_page", quiz_id=node.id)),
        ]

    def assignment_links(node: Any) -> list[tuple[Any, str]]:
        return [(_l("Preview"), url_for("portal.assignment_page", assignment_id=node.id))]

    register_outline_kind(
        OutlineKind(
            "quiz",
            _l("Quiz"),
            Quiz,
            quiz_nodes,
            create_outline_quiz,
            publishable=True,
            edit_endpoint="QuizModelView.edit",
            links=quiz_links,
        )
    )
    register_outline_kind(
        OutlineKind(
            "assignment",
            _l("Assignment"),
            Assignment,
            assignment_nodes,
            create_outline_assignment,
            publishable=True,
            edit_endpoint="AssignmentModelView.edit",
            links=assignment_links,
        )
    )


def register(appbuilder: AppBuilder) -> None:
    """Add the assessment screens and APIs, register their targets and completion rules."""
    from app.core.display import register_labels

    register_labels(
        "task",
        {
            "issue_certificate": _l("issue certificate"),
            "render_certificate": _l("make the certificate PDF"),
            "submit_overdue_attempts": _l("hand in overdue attempts"),
        },
    )
    from app.assessments import notices
    from app.assessments.audit_scope import register_assessment_audit_scopes
    from app.assessments.dashboard import work_waiting_for_grading
    from app.assessments.views import MENU_GROUPS, VIEWS
    from app.core.dashboard import register_panel
    from app.core.menus import add_views, register_menu_groups

    _register_targets()
    _register_note_targets()
    notices.register_messages()
    _register_managed_rows()
    register_assessment_audit_scopes()
    register_panel(work_waiting_for_grading, 20)
    _join_course_completion()
    _register_outline_kinds()
    category = {
        "category": "Assessments",
        "category_label": _l("Assessments"),
        "category_icon": "fa-clipboard-check",
    }
    register_menu_groups("Assessments", *MENU_GROUPS)
    add_views(appbuilder, VIEWS, **category)
    from app.assessments.views_quiz_editor import QuizEditorView

    appbuilder.add_view_no_menu(QuizEditorView)
    from app.assessments.api import APIS

    for api in APIS:
        appbuilder.add_api(api)
