"""Quizzes of the user's courses with their fixed questions, random draws and per-student overrides."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.assessments import notices
from app.assessments.models import Quiz, QuizDraw, QuizOverride, QuizQuestion
from app.assessments.services.quizzes import check_draw, check_override, check_quiz, check_quiz_question
from app.assessments.views_base import (
    COMMON_LABELS,
    GRADING_METHOD_LABELS,
    POSITION_FIELD,
    RELATIONS,
    REVIEW_OPTION_LABELS,
    STUDENTS,
    AssessmentView,
    choice_field,
    label_formatter,
)
from app.core.interface import SQLAInterface
from app.core.transactions import transaction

QUIZ_LABELS = {
    **COMMON_LABELS,
    "quiz": _l("Quiz"),
    "question": _l("Question"),
    "bank": _l("Question bank"),
    "time_limit_minutes": _l("Time limit (minutes)"),
    "max_attempts": _l("Attempts allowed"),
    "opens_at": _l("Opens"),
    "closes_at": _l("Closes"),
    "pass_mark": _l("Pass mark (%)"),
    "grading_method": _l("Grading method"),
    "review_option": _l("Review of answers"),
    "shuffle_questions": _l("Shuffle questions"),
    "shuffle_options": _l("Shuffle options"),
    "questions": _l("Questions"),
    "draws": _l("Random questions"),
    "tag": _l("Tag"),
    "count": _l("Number of questions"),
    "extra_minutes": _l("Extra minutes"),
    "extra_attempts": _l("Extra attempts"),
}


class QuizQuestionModelView(AssessmentView):
    """The fixed questions of quizzes, in order; questions come from the user's own banks."""

    datamodel = SQLAInterface(QuizQuestion)
    class_permission_name = "QuizQuestionAdmin"
    list_title = _l("Quiz questions")
    show_title = _l("Quiz question")
    add_title = _l("Add a question to a quiz")
    edit_title = _l("Edit quiz question")
    label_columns = QUIZ_LABELS
    list_columns = ["quiz", "position", "question"]
    show_columns = ["quiz", "position", "question", "created_at", "updated_at"]
    add_columns = edit_columns = ["quiz", "question", "position"]
    add_form_extra_fields = edit_form_extra_fields = {"position": POSITION_FIELD}
    search_columns = ["quiz", "question"]
    base_order = ("position", "asc")

    def validate(self, item: QuizQuestion) -> None:
        """Each question once per quiz; new ones go last unless a position is given."""
        check_quiz_question(item)


class QuizDrawModelView(AssessmentView):
    """Rules that draw random questions from the user's banks into a quiz."""

    datamodel = SQLAInterface(QuizDraw)
    class_permission_name = "QuizDrawAdmin"
    list_title = _l("Random questions")
    show_title = _l("Random questions rule")
    add_title = _l("Add random questions")
    edit_title = _l("Edit random questions")
    label_columns = QUIZ_LABELS
    list_columns = ["quiz", "position", "bank", "tag", "count"]
    show_columns = ["quiz", "position", "bank", "tag", "count", "created_at", "updated_at"]
    add_columns = edit_columns = ["quiz", "bank", "tag", "count", "position"]
    add_form_extra_fields = edit_form_extra_fields = {"position": POSITION_FIELD}
    search_columns = ["quiz", "bank", "tag"]
    base_order = ("position", "asc")
    description_columns = {"tag": _l("Optional: draw only questions with this tag.")}

    def validate(self, item: QuizDraw) -> None:
        """A count and tag in range; new rules go last unless a position is given."""
        check_draw(item)


class QuizOverrideModelView(AssessmentView):
    """One student's exceptions to a quiz: extra time, extra attempts, other dates."""

    datamodel = SQLAInterface(QuizOverride)
    class_permission_name = "QuizOverrideAdmin"
    list_title = _l("Quiz overrides")
    show_title = _l("Quiz override")
    add_title = _l("Add quiz override")
    edit_title = _l("Edit quiz override")
    label_columns = QUIZ_LABELS
    list_columns = ["quiz", "user", "extra_minutes", "extra_attempts", "opens_at", "closes_at"]
    show_columns = [
        "quiz",
        "user",
        "extra_minutes",
        "extra_attempts",
        "opens_at",
        "closes_at",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = ["quiz", "user", "extra_minutes", "extra_attempts", "opens_at", "closes_at"]
    search_columns = ["quiz", "user"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {**RELATIONS, "user": STUDENTS}
    base_order = ("created_at", "desc")
    local_datetime_fields = ("opens_at", "closes_at")
    description_columns = {
        "opens_at": _l("Empty: the quiz's own dates. In your timezone."),
        "closes_at": _l("Empty: the quiz's own dates. In your timezone."),
    }

    def validate(self, item: QuizOverride) -> None:
        """Extras in range, dates in order, an enrolled student, one override per student and quiz."""
        check_override(item)

    def post_add(self, item: QuizOverride) -> None:
        """The learner is told (FAB has committed the override: the notice commits on its own)."""
        with transaction():
            notices.override_granted(item, g.user)


QUIZ_FIELDS = {
    "grading_method": choice_field(_l("Grading method"), GRADING_METHOD_LABELS, "highest"),
    "review_option": choice_field(_l("Review of answers"), REVIEW_OPTION_LABELS, "immediately"),
    "shuffle_questions": BooleanField(_l("Shuffle questions")),
    "shuffle_options": BooleanField(_l("Shuffle options")),
    "is_required": BooleanField(_l("Required"), default=True),
    "is_published": BooleanField(_l("Published"), default=True),
}


# The settings a quiz screen shows and edits, in form order.
QUIZ_SETTINGS = [
    "time_limit_minutes",
    "max_attempts",
    "opens_at",
    "closes_at",
    "pass_mark",
    "grading_method",
    "review_option",
    "shuffle_questions",
    "shuffle_options",
    "weight",
    "is_required",
    "is_published",
]


class QuizModelView(AssessmentView):
    """Quizzes of the user's courses: timing, attempts, dates, pass mark, grading and review rules."""

    datamodel = SQLAInterface(Quiz)
    class_permission_name = "QuizAdmin"
    list_title = _l("Quizzes")
    show_title = _l("Quiz")
    add_title = _l("Add quiz")
    edit_title = _l("Edit quiz")
    label_columns = QUIZ_LABELS
    list_columns = [
        "title",
        "course",
        "lesson",
        "max_attempts",
        "time_limit_minutes",
        "weight",
        "is_published",
    ]
    add_columns = edit_columns = ["course", "lesson", *QUIZ_SETTINGS]
    show_columns = ["title", "translations", "course", "lesson", *QUIZ_SETTINGS, "created_at", "updated_at"]
    add_form_extra_fields = edit_form_extra_fields = QUIZ_FIELDS
    search_columns = ["course", "lesson", "is_published", "is_required"]
    base_order = ("updated_at", "desc")
    formatters_columns = {
        "grading_method": label_formatter(GRADING_METHOD_LABELS),
        "review_option": label_formatter(REVIEW_OPTION_LABELS),
    }
    description_columns = {
        "time_limit_minutes": _l("Empty: no time limit."),
        "max_attempts": _l("Empty: unlimited attempts."),
        "opens_at": _l("Empty: open now. In your timezone."),
        "closes_at": _l("Empty: never closes. In your timezone."),
        "weight": _l("Weight of the quiz in the gradebook total."),
        "is_required": _l("Must be passed to complete the course."),
    }
    rich_fields = ("description",)
    local_datetime_fields = ("opens_at", "closes_at")
    related_views = [QuizQuestionModelView, QuizDrawModelView, QuizOverrideModelView]

    def validate(self, item: Quiz) -> None:
        """Limits in range, dates in order, and a lesson of the quiz's course."""
        check_quiz(item)
