"""What assessments tell people (work to grade, grades returned, certificates, quiz exceptions), and
its wording."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.assessments.models import Certificate, QuizAttempt, QuizOverride, Submission
from app.assessments.services.access import assignment_of, quiz_of
from app.core.models import utcnow
from app.notifications.services import bilingual, notify, register_message


def register_messages() -> None:
    """The sentences of the notifications assessments send."""
    register_message("grading", _l("%(actor)s handed in %(item)s in %(course)s: it waits for grading"))
    register_message("grade", _l("Your attempt at %(item)s has been graded"), event="quiz")
    register_message("grade", _l("Your work on %(item)s has been graded"), event="assignment")
    register_message("certificate", _l("Your certificate for %(course)s is ready"))
    register_message("quiz_override", _l("%(actor)s changed the rules of %(item)s for you"))


def _stamp(moment: Any) -> str:
    return (moment or utcnow()).isoformat()


def attempt_to_grade(attempt: QuizAttempt) -> None:
    """Tell the course's instructors that a handed-in attempt has answers only they can grade."""
    quiz = quiz_of(attempt)
    notify(
        quiz.course.instructors,
        "grading",
        ("quiz_attempt", attempt),
        attempt.user_id,
        item=bilingual(quiz.translations),
        course=bilingual(quiz.course.translations),
    )


def submission_to_grade(submission: Submission) -> None:
    """Tell the course's instructors that work was handed in (again: each hand-in is told)."""
    assignment = assignment_of(submission)
    notify(
        assignment.course.instructors,
        "grading",
        ("submission", submission),
        submission.user_id,
        key=f"grading:submission:{submission.id}:{submission.submission_count}",
        item=bilingual(assignment.translations),
        course=bilingual(assignment.course.translations),
    )


def attempt_graded(attempt: QuizAttempt, grader: Any) -> None:
    """Tell the learner their attempt has its grade (each grading, a correction too, is told)."""
    notify(
        attempt.user_id,
        "grade",
        ("quiz_attempt", attempt),
        grader,
        key=f"grade:attempt:{attempt.id}:{_stamp(attempt.graded_at)}",
        event="quiz",
        item=bilingual(quiz_of(attempt).translations),
    )


def submission_graded(submission: Submission, grader: Any) -> None:
    """Tell the learner their submission has its grade."""
    notify(
        submission.user_id,
        "grade",
        ("submission", submission),
        grader,
        key=f"grade:submission:{submission.id}:{_stamp(submission.graded_at)}",
        event="assignment",
        item=bilingual(assignment_of(submission).translations),
    )


def certificate_issued(certificate: Certificate, by: Any = None) -> None:
    """Tell the learner their certificate is there (issued on completion, or re-issued by staff)."""
    course = bilingual(certificate.course.translations)
    notify(certificate.user_id, "certificate", certificate, by, course=course)


def override_granted(override: QuizOverride, by: Any) -> None:
    """Tell the learner that a quiz has other rules for them now (time, attempts or dates)."""
    quiz = override.quiz
    notify(override.user_id, "quiz_override", quiz, by, item=bilingual(quiz.translations))
