"""The assessment back office: every screen, in menu order, for `register()`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.assessments.views_assignments import (
    AssignmentModelView,
    CourseCompletionModelView,
    RubricCriterionModelView,
    RubricLevelModelView,
    RubricModelView,
)
from app.assessments.views_banks import QuestionBankModelView, QuestionModelView, QuestionOptionModelView
from app.assessments.views_grades import CertificateModelView, GradebookView, GradeChangeModelView
from app.assessments.views_grading import QuizAttemptModelView, SubmissionModelView
from app.assessments.views_quizzes import (
    QuizDrawModelView,
    QuizModelView,
    QuizOverrideModelView,
    QuizQuestionModelView,
)

# Headed groups of the Assessments menu, in the order shown (app/core/menus.py).
MENU_GROUPS: list[tuple[str, Any]] = [
    ("quizzes", _l("Quizzes")),
    ("banks", _l("Question banks")),
    ("assignments", _l("Assignments and rubrics")),
    ("grades", _l("Grades and certificates")),
]

# (view class, menu name, label, icon[, menu group])
VIEWS: list[tuple[Any, ...]] = [
    (QuestionBankModelView, "Question Banks", _l("Question banks"), "fa-database", "banks"),
    (QuestionModelView, "Questions", _l("Questions"), "fa-question-circle", "banks"),
    (QuestionOptionModelView, "Question Options", _l("Question options"), "fa-list-ul", "banks"),
    (QuizModelView, "Quizzes", _l("Quizzes"), "fa-tasks", "quizzes"),
    (QuizQuestionModelView, "Quiz Questions", _l("Quiz questions"), "fa-list-ol", "quizzes"),
    (QuizDrawModelView, "Random Questions", _l("Random questions"), "fa-random", "quizzes"),
    (QuizOverrideModelView, "Quiz Overrides", _l("Quiz overrides"), "fa-user-clock", "quizzes"),
    (QuizAttemptModelView, "Quiz Attempts", _l("Quiz attempts"), "fa-pen", "quizzes"),
    (AssignmentModelView, "Assignments", _l("Assignments"), "fa-file-alt", "assignments"),
    (SubmissionModelView, "Submissions", _l("Submissions"), "fa-inbox", "assignments"),
    (RubricModelView, "Rubrics", _l("Rubrics"), "fa-th", "assignments"),
    (RubricCriterionModelView, "Rubric Criteria", _l("Rubric criteria"), "fa-th-list", "assignments"),
    (RubricLevelModelView, "Rubric Levels", _l("Rubric levels"), "fa-layer-group", "assignments"),
    (GradebookView, "Gradebook", _l("Gradebook"), "fa-table", "grades"),
    (GradeChangeModelView, "Grade History", _l("Grade history"), "fa-history", "grades"),
    (
        CourseCompletionModelView,
        "Completion Criteria",
        _l("Completion criteria"),
        "fa-flag-checkered",
        "grades",
    ),
    (CertificateModelView, "Certificates", _l("Certificates"), "fa-certificate", "grades"),
]
