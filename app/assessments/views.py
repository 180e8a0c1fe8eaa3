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

# (view class, menu name, label, icon)
VIEWS: list[tuple[type, str, Any, str]] = [
    (QuestionBankModelView, "Question Banks", _l("Question banks"), "fa-database"),
    (QuestionModelView, "Questions", _l("Questions"), "fa-question-circle"),
    (QuestionOptionModelView, "Question Options", _l("Question options"), "fa-list-ul"),
    (QuizModelView, "Quizzes", _l("Quizzes"), "fa-tasks"),
    (QuizQuestionModelView, "Quiz Questions", _l("Quiz questions"), "fa-list-ol"),
    (QuizDrawModelView, "Random Questions", _l("Random questions"), "fa-random"),
    (QuizOverrideModelView, "Quiz Overrides", _l("Quiz overrides"), "fa-user-clock"),
    (QuizAttemptModelView, "Quiz Attempts", _l("Quiz attempts"), "fa-pen"),
    (RubricModelView, "Rubrics", _l("Rubrics"), "fa-th"),
    (RubricCriterionModelView, "Rubric Criteria", _l("Rubric criteria"), "fa-th-list"),
    (RubricLevelModelView, "Rubric Levels", _l("Rubric levels"), "fa-layer-group"),
    (AssignmentModelView, "Assignments", _l("Assignments"), "fa-file-alt"),
    (SubmissionModelView, "Submissions", _l("Submissions"), "fa-inbox"),
    (GradebookView, "Gradebook", _l("Gradebook"), "fa-table"),
    (GradeChangeModelView, "Grade History", _l("Grade history"), "fa-history"),
    (CourseCompletionModelView, "Completion Criteria", _l("Completion criteria"), "fa-flag-checkered"),
    (CertificateModelView, "Certificates", _l("Certificates"), "fa-certificate"),
]
