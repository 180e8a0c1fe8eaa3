"""Instructors read the audit trail of their courses' banks, quizzes, assignments and grades (PRD 5)."""

from __future__ import annotations

from app.audit.scopes import register_audit_scope
from app.courses.audit_scope import in_taught_courses, under


def register_assessment_audit_scopes() -> None:
    """Rows with a course, and the rows inside them."""
    from app.assessments.models import (
        Assignment,
        AttemptAnswer,
        Certificate,
        CourseCompletion,
        GradeChange,
        Question,
        QuestionBank,
        QuestionOption,
        Quiz,
        QuizAttempt,
        QuizDraw,
        QuizOverride,
        QuizQuestion,
        RubricScore,
        Submission,
    )

    direct = {
        model.__tablename__: in_taught_courses(model.__table__)
        for model in (
            QuestionBank,
            Quiz,
            QuizAttempt,
            Assignment,
            Submission,
            GradeChange,
            CourseCompletion,
            Certificate,
        )
    }
    questions = under(Question.__table__, "bank_id", direct["question_bank"])
    nested = {
        "question": questions,
        "question_option": under(QuestionOption.__table__, "question_id", questions),
        "quiz_question": under(QuizQuestion.__table__, "quiz_id", direct["quiz"]),
        "quiz_draw": under(QuizDraw.__table__, "quiz_id", direct["quiz"]),
        "quiz_override": under(QuizOverride.__table__, "quiz_id", direct["quiz"]),
        "attempt_answer": under(AttemptAnswer.__table__, "attempt_id", direct["quiz_attempt"]),
        "rubric_score": under(RubricScore.__table__, "submission_id", direct["submission"]),
    }
    for entity_type, visible_ids in {**direct, **nested}.items():
        register_audit_scope(entity_type, visible_ids)
