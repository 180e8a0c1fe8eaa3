"""The quiz editor: a quiz's questions in order, and one question editor per type — choices as rows
with a "correct" tick, true/false as a switch, short answers as a list of accepted answers, feedback.

The forms post ordinary fields (they work without scripts); `quiz_editor.js` only adds and removes
rows. A refused form comes back with what was typed and the error next to its field.
"""

from __future__ import annotations

import html
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from app.assessments.models import Question, Quiz
from app.assessments.services.banks import QUESTION_TYPES
from app.assessments.services.question_csv import TRUE_FALSE_OPTIONS
from app.assessments.services.quiz_editor import (
    add_quiz_question,
    edit_quiz_question,
    editable_quiz,
    move_quiz_question,
    quiz_question,
    quiz_questions,
    remove_quiz_question,
)
from app.core.errors import AppError, NotFound
from app.core.html import plain_text
from app.core.transactions import transaction
from app.core.views import error_text

TYPE_LABELS = {
    "multiple_choice": _l("Multiple choice"),
    "true_false": _l("True or false"),
    "short_answer": _l("Short answer"),
    "essay": _l("Essay"),
}
BLANK_OPTIONS = 2  # empty rows offered under the options, so a form without scripts can add some
MAX_ROWS = 50
FIELDS = ("text", "feedback")


def _texts(form: Any, field: str) -> dict[str, str]:
    return {language: form.get(f"{field}_{language}", "").strip() for language in ("en", "ar")}


def _plain(option: Any, language: str, field: str) -> str:
    """Stored (sanitised) HTML of an option as the plain text its one-line input shows."""
    return html.unescape(plain_text((option.translations.get(language) or {}).get(field, "")))


def draft_from_question(question: Question) -> dict[str, Any]:
    """The editor's values for a stored question."""
    data = question.translations or {}
    options = [
        {
            "id": option.id,
            **{
                f"{field}_{lang}": _plain(option, lang, field)
                for field in ("text", "feedback")
                for lang in ("en", "ar")
            },
            "is_correct": option.is_correct,
        }
        for option in question.options
        if not option.is_deleted
    ]
    return {
        "type": question.type_code,
        "text": {lang: (data.get(lang) or {}).get("text", "") for lang in ("en", "ar")},
        "feedback": {lang: (data.get(lang) or {}).get("feedback", "") for lang in ("en", "ar")},
        "points": question.points,
        "options": options,
        # True/false questions keep "True" first (as the CSV import and the API make them).
        "statement_true": bool(options[0]["is_correct"]) if options else True,
        "multiple_answers": question.multiple_answers,
        "accepted_answers": list(question.accepted_answers or []),
        "case_sensitive": question.case_sensitive,
    }


def draft_from_form(form: Any, type_code: str) -> dict[str, Any]:
    """The editor's values as posted (kept to show again when the service refuses them)."""
    options = []
    for index in range(MAX_ROWS):
        prefix = f"option-{index}-"
        row = {
            key: form.get(prefix + key, "").strip()
            for key in ("text_en", "text_ar", "feedback_en", "feedback_ar")
        }
        row_id = form.get(prefix + "id", "")
        if not any(row.values()) and not row_id:
            continue
        if not row["text_en"] and not row["text_ar"] and row_id:
            continue  # an emptied row removes that option
        options.append(
            {
                **row,
                "id": int(row_id) if row_id.isdigit() else None,
                "is_correct": bool(form.get(prefix + "correct")),
            }
        )
    return {
        "type": type_code,
        "text": _texts(form, "text"),
        "feedback": _texts(form, "feedback"),
        "points": form.get("points", "1").strip() or "1",
        "options": options,
        "statement_true": form.get("statement_true") == "on",
        "multiple_answers": bool(form.get("multiple_answers")),
        "accepted_answers": [a.strip() for a in form.getlist("accepted_answer") if a.strip()],
        "case_sensitive": bool(form.get("case_sensitive")),
    }


def _true_false_options(draft: dict[str, Any], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two options, "True" then "False", the right one ticked; stored ones keep their ids."""
    rows = []
    for position, label in enumerate(TRUE_FALSE_OPTIONS):
        correct = draft["statement_true"] if position == 0 else not draft["statement_true"]
        row: dict[str, Any] = {"text_en": label["en"], "text_ar": label["ar"], "is_correct": correct}
        if position < len(stored) and stored[position]["id"]:
            row["id"] = stored[position]["id"]
        rows.append(row)
    return rows


def service_fields(draft: dict[str, Any], stored_options: list[dict[str, Any]]) -> dict[str, Any]:
    """What the question services take, from the editor's values."""
    code = draft["type"]
    translations = {
        lang: {"text": draft["text"][lang], "feedback": draft["feedback"][lang]} for lang in ("en", "ar")
    }
    fields: dict[str, Any] = {"translations": translations, "points": draft["points"]}
    if code == "multiple_choice":
        # Choices are typed as plain text ("<a>" is a choice, not a link): stored escaped.
        fields["options"] = [
            {k: escape(v) if isinstance(v, str) else v for k, v in o.items() if k != "id" or v}
            for o in draft["options"]
        ]
        fields["multiple_answers"] = draft["multiple_answers"]
    elif code == "true_false":
        fields["options"] = _true_false_options(draft, stored_options)
    else:
        fields["options"] = []
    if code == "short_answer":
        fields["accepted_answers"] = draft["accepted_answers"]
        fields["case_sensitive"] = draft["case_sensitive"]
    else:
        fields["accepted_answers"] = []
    return fields


class QuizEditorView(BaseView):
    """A quiz's questions, written and ordered in place, for the course's staff."""

    route_base = "/quizeditor"
    default_view = "questions"
    class_permission_name = "QuizEditor"
    method_permission_name = {
        "questions": "write",
        "new_question": "write",
        "question": "write",
        "change": "write",
    }

    def _quiz(self, quiz_id: int) -> Quiz:
        try:
            return editable_quiz(g.user, quiz_id)
        except NotFound:
            abort(404)

    @expose("/<int:quiz_id>/")
    @has_access
    def questions(self, quiz_id: int) -> Any:
        """The quiz's questions with their type and points, and a button per type to add one."""
        quiz = self._quiz(quiz_id)
        return self.render_template(
            "assessments/quiz_editor.html", quiz=quiz, questions=quiz_questions(quiz), types=TYPE_LABELS
        )

    @expose("/<int:quiz_id>/new/<type_code>", methods=["GET", "POST"])
    @has_access
    def new_question(self, quiz_id: int, type_code: str) -> Any:
        """Write a new question of the given type into the quiz."""
        quiz = self._quiz(quiz_id)
        if type_code not in QUESTION_TYPES:
            abort(404)
        draft = {
            "type": type_code,
            "text": {"en": "", "ar": ""},
            "feedback": {"en": "", "ar": ""},
            "points": "1",
            "options": [],
            "statement_true": True,
            "multiple_answers": False,
            "accepted_answers": [],
            "case_sensitive": False,
        }
        errors: dict[str, Any] = {}
        if request.method == "POST":
            draft = draft_from_form(request.form, type_code)
            try:
                with transaction():
                    add_quiz_question(g.user, quiz, type=type_code, **service_fields(draft, []))
            except AppError as exc:
                errors = {**exc.errors, "_": [error_text(exc)]}
            else:
                flash(gettext("The question was added to the quiz."), "success")
                if request.form.get("then") == "another":
                    return redirect(url_for(".new_question", quiz_id=quiz.id, type_code=type_code))
                return redirect(url_for(".questions", quiz_id=quiz.id))
        return self._form(quiz, draft, errors, None)

    @expose("/<int:quiz_id>/questions/<int:question_id>", methods=["GET", "POST"])
    @has_access
    def question(self, quiz_id: int, question_id: int) -> Any:
        """Change one of the quiz's questions."""
        quiz = self._quiz(quiz_id)
        try:
            stored = quiz_question(quiz, question_id)
        except NotFound:
            abort(404)
        draft, errors = draft_from_question(stored), {}
        if request.method == "POST":
            stored_options = draft["options"]
            draft = draft_from_form(request.form, draft["type"])
            try:
                with transaction():
                    edit_quiz_question(g.user, quiz, question_id, **service_fields(draft, stored_options))
            except AppError as exc:
                errors = {**exc.errors, "_": [error_text(exc)]}
            else:
                flash(gettext("The question was saved."), "success")
                return redirect(url_for(".questions", quiz_id=quiz.id))
        return self._form(quiz, draft, errors, question_id)

    @expose("/<int:quiz_id>/questions/<int:question_id>/<verb>", methods=["POST"])
    @has_access
    def change(self, quiz_id: int, question_id: int, verb: str) -> Any:
        """Move a question up or down, or take it out of the quiz."""
        quiz = self._quiz(quiz_id)
        if verb not in ("up", "down", "remove"):
            abort(404)
        try:
            with transaction():
                if verb == "remove":
                    remove_quiz_question(g.user, quiz, question_id)
                else:
                    move_quiz_question(g.user, quiz, question_id, verb)
        except AppError as exc:
            flash(error_text(exc), "danger")
        else:
            if verb == "remove":
                flash(
                    gettext("The question was taken out of the quiz; it stays in the question bank."),
                    "success",
                )
        return redirect(url_for(".questions", quiz_id=quiz.id) + f"#question-{question_id}")

    def _form(
        self, quiz: Quiz, draft: dict[str, Any], errors: dict[str, Any], question_id: int | None
    ) -> Any:
        blank = {
            "id": None,
            "text_en": "",
            "text_ar": "",
            "feedback_en": "",
            "feedback_ar": "",
            "is_correct": False,
        }
        rows = list(draft["options"]) + [dict(blank) for _ in range(BLANK_OPTIONS)]
        answers = [*draft["accepted_answers"], "", ""]
        status = 422 if errors else 200
        page = self.render_template(
            "assessments/question_editor.html",
            quiz=quiz,
            draft=draft,
            rows=rows,
            answers=answers,
            errors=errors,
            question_id=question_id,
            type_label=TYPE_LABELS[draft["type"]],
        )
        return page, status
