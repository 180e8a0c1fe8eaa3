"""Assessments and certificates: question banks, quizzes and attempts, assignments and rubrics,
the gradebook, completion criteria and certificates."""

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add the assessment screens and APIs, and register their targets."""
    from app.assessments import models  # noqa: F401
