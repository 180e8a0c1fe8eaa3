"""Assessment models: banks and questions, quizzes and attempts, assignments and rubrics, grades,
completion criteria and certificates."""

from app.assessments.models.assignments import (
    LATE_POLICIES,
    Assignment,
    Rubric,
    RubricCriterion,
    RubricLevel,
    RubricScore,
    Submission,
)
from app.assessments.models.banks import Question, QuestionBank, QuestionOption
from app.assessments.models.grades import Certificate, CourseCompletion, GradeChange
from app.assessments.models.quizzes import (
    ATTEMPT_STATES,
    GRADING_METHODS,
    REVIEW_OPTIONS,
    AttemptAnswer,
    Quiz,
    QuizAttempt,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
)

__all__ = [
    "ATTEMPT_STATES",
    "GRADING_METHODS",
    "LATE_POLICIES",
    "REVIEW_OPTIONS",
    "Assignment",
    "AttemptAnswer",
    "Certificate",
    "CourseCompletion",
    "GradeChange",
    "Question",
    "QuestionBank",
    "QuestionOption",
    "Quiz",
    "QuizAttempt",
    "QuizDraw",
    "QuizOverride",
    "QuizQuestion",
    "Rubric",
    "RubricCriterion",
    "RubricLevel",
    "RubricScore",
    "Submission",
]
