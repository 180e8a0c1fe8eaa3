"""Question banks (with CSV import and export), their questions and the questions' options."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, flash, g, request
from flask_appbuilder import expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Optional

from app.assessments.models import Question, QuestionBank, QuestionOption
from app.assessments.services import banks
from app.assessments.services.access import settle_owner
from app.assessments.services.question_csv import TRUE_FALSE_OPTIONS
from app.assessments.views_base import (
    COMMON_LABELS,
    POSITION_FIELD,
    AssessmentView,
    checked,
    comma_list,
    text_lines,
)
from app.core.errors import AppError, Invalid
from app.core.html import plain_text, sanitize_html
from app.core.interface import SQLAInterface
from app.core.softdelete import parent, soft_delete
from app.core.views import BaseModelView
from app.extensions import db

QUESTION_LABELS = {
    **COMMON_LABELS,
    "bank": _l("Question bank"),
    "question": _l("Question"),
    "text": _l("Question"),
    "feedback": _l("Feedback"),
    "question_type": _l("Type"),
    "points": _l("Points"),
    "tags": _l("Tags"),
    "tags_text": _l("Tags"),
    "accepted_answers": _l("Accepted answers"),
    "accepted_answers_text": _l("Accepted answers"),
    "case_sensitive": _l("Case sensitive"),
    "multiple_answers": _l("Multiple answers"),
    "options_en": _l("Options (English)"),
    "options_ar": _l("Options (Arabic)"),
    "correct_options": _l("Correct options"),
    "is_correct": _l("Correct"),
    "questions": _l("Questions"),
}


def live_options(question: Question) -> list[QuestionOption]:
    """The question's options not deleted, in order."""
    return sorted((o for o in question.options if not o.is_deleted), key=lambda o: o.position or 0)


# ---- banks ------------------------------------------------------------------------------------
class QuestionBankModelView(AssessmentView):
    """Question banks the user owns or whose course they teach; CSV import and export."""

    rich_fields = ("description",)

    datamodel = SQLAInterface(QuestionBank)
    class_permission_name = "QuestionBankAdmin"
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "import_csv": "import",
        "export_questions": "read",
    }
    show_template = "assessments/bank_show.html"
    list_title = _l("Question banks")
    show_title = _l("Question bank")
    add_title = _l("Add question bank")
    edit_title = _l("Edit question bank")
    label_columns = QUESTION_LABELS
    list_columns = ["title", "course", "owner", "updated_at"]
    show_columns = ["title", "translations", "course", "owner", "created_at", "updated_at"]
    add_columns = edit_columns = ["course"]
    search_columns = ["course"]
    base_order = ("updated_at", "desc")
    description_columns = {"course": _l("Optional: the course's instructors may then use the bank too.")}

    def prepare(self, item: QuestionBank) -> None:
        """A new one belongs to its creator; only admins name another owner."""
        settle_owner(item, g.user)

    @expose("/import/<int:pk>", methods=["GET", "POST"])
    @has_access
    def import_csv(self, pk: int) -> Any:
        """Add the questions of a CSV file to the bank (all or none) and show the report."""
        bank = self._get_scoped(pk)
        if bank is None:
            abort(404)
        report: dict[str, Any] | None = None
        if request.method == "POST":
            try:
                try:
                    upload = request.files.get("file")
                    data = upload.read() if upload is not None else b""
                except RequestEntityTooLarge:
                    raise Invalid(gettext("The file is too large.")) from None
                if not data:
                    raise Invalid(gettext("Choose a CSV file."))
                result = banks.import_questions_csv(g.user, bank, data)
            except AppError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                report = {"created": 0, "errors": exc.errors or {}}
            else:
                flash(gettext("%(count)d question(s) imported.", count=result["created"]), "success")
                report = result
        return self.render_template(
            "assessments/bank_import.html", bank=bank, report=report, columns=banks_csv_columns()
        )

    @expose("/export/<int:pk>")
    @has_access
    def export_questions(self, pk: int) -> Response:
        """The bank's questions as CSV, in the import format."""
        bank = self._get_scoped(pk)
        if bank is None:
            abort(404)
        return Response(
            banks.export_questions_csv(bank),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="question-bank-{bank.id}.csv"'},
        )


def banks_csv_columns() -> list[str]:
    """The columns of the CSV format."""
    from app.assessments.services.question_csv import CSV_COLUMNS

    return list(CSV_COLUMNS)


# ---- options ----------------------------------------------------------------------------------
class QuestionOptionModelView(AssessmentView):
    """Options of choice questions; every change keeps the question valid."""

    datamodel = SQLAInterface(QuestionOption)
    class_permission_name = "QuestionOptionAdmin"
    list_title = _l("Question options")
    show_title = _l("Question option")
    add_title = _l("Add option")
    edit_title = _l("Edit option")
    label_columns = {**QUESTION_LABELS, "text": _l("Option")}
    list_columns = ["question", "position", "text", "is_correct"]
    show_columns = ["question", "position", "text", "translations", "is_correct", "created_at", "updated_at"]
    add_columns = ["question", "position", "is_correct"]
    edit_columns = ["position", "is_correct"]
    add_form_extra_fields = edit_form_extra_fields = {
        "position": POSITION_FIELD,
        "is_correct": BooleanField(_l("Correct")),
    }
    search_columns = ["question", "is_correct"]
    base_order = ("position", "asc")
    formatters_columns = {"text": plain_text}
    rich_fields = ("text", "feedback")
    description_columns = {
        "is_correct": _l("In a one-answer question, marking an option correct unmarks the others."),
    }

    def prepare(self, item: QuestionOption) -> None:
        """New options go last unless a position is given."""
        if item.question is not None:
            banks.place_option(item, item.question)

    def validate(self, item: QuestionOption) -> None:
        """One correct option in one-answer questions, and the question's rules with the new list."""
        question = item.question
        others = [o for o in live_options(question) if o is not item]
        code = banks.question_type_code(question)
        single = code == "true_false" or (code == "multiple_choice" and not question.multiple_answers)
        if item.is_correct and single:
            for other in others:
                other.is_correct = False
        banks.check_question(question, sorted([*others, item], key=lambda o: o.position or 0))

    def pre_delete(self, item: QuestionOption) -> None:
        """Refused when the question would break its rules without the option."""
        super().pre_delete(item)
        question = parent(item, "question")  # still there when the question is in the trash
        remaining = [o for o in live_options(question) if o is not item]
        checked(banks.check_question, question, remaining)


# ---- questions --------------------------------------------------------------------------------
QUESTION_FIELDS = {
    "position": POSITION_FIELD,
    "case_sensitive": BooleanField(_l("Case sensitive")),
    "multiple_answers": BooleanField(_l("Multiple answers")),
    "tags_text": StringField(
        _l("Tags"), validators=[Optional()], description=_l("Separate tags with commas.")
    ),
    "accepted_answers_text": TextAreaField(
        _l("Accepted answers"),
        validators=[Optional()],
        description=_l("Short-answer questions: one accepted answer per line."),
    ),
    "options_en": TextAreaField(
        _l("Options (English)"),
        validators=[Optional()],
        description=_l(
            "Choice questions: one option per line. Filled in, they replace the current options; "
            "leave empty to keep them (edit them one by one under Question options)."
        ),
    ),
    "options_ar": TextAreaField(
        _l("Options (Arabic)"),
        validators=[Optional()],
        render_kw={"dir": "rtl", "lang": "ar"},
        description=_l("The same options in Arabic, in the same order."),
    ),
    "correct_options": StringField(
        _l("Correct options"),
        validators=[Optional()],
        description=_l("The numbers of the right options (1, 3); true/false questions: true or false."),
    ),
}


def _correct_numbers(raw: Any, code: str | None, count: int) -> set[int]:
    numbers: set[int] = set()
    for word in re.split(r"[\s,|]+", str(raw or "").strip().lower()):
        if not word:
            continue
        if code == "true_false" and word in ("true", "false"):
            numbers.add(1 if word == "true" else 2)
        elif word.isdigit() and 1 <= int(word) <= count:
            numbers.add(int(word))
        else:
            raise Invalid(gettext("Correct options are option numbers from 1 to %(n)d.", n=count))
    return numbers


def _new_options(en: list[str], ar: list[str], correct: set[int]) -> list[QuestionOption]:
    if en and ar and len(en) != len(ar):
        raise Invalid(gettext("Give as many Arabic options as English ones, in the same order."))
    options = []
    for index in range(max(len(en), len(ar))):
        texts = {"en": en[index] if en else "", "ar": ar[index] if ar else ""}
        translations = {lang: {"text": sanitize_html(text)} for lang, text in texts.items() if text}
        options.append(
            QuestionOption(translations=translations, is_correct=index + 1 in correct, position=index)
        )
    return options


class QuestionModelView(AssessmentView):
    """Questions of the user's banks: bilingual text and feedback, type, points, tags, answers."""

    datamodel = SQLAInterface(Question)
    class_permission_name = "QuestionAdmin"
    list_title = _l("Questions")
    show_title = _l("Question")
    add_title = _l("Add question")
    edit_title = _l("Edit question")
    label_columns = QUESTION_LABELS
    list_columns = ["text", "question_type", "points", "bank", "updated_at"]
    show_columns = [
        "bank",
        "question_type",
        "text",
        "translations",
        "points",
        "tags",
        "accepted_answers",
        "case_sensitive",
        "multiple_answers",
        "position",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "bank",
        "question_type",
        "points",
        "tags_text",
        "multiple_answers",
        "options_en",
        "options_ar",
        "correct_options",
        "accepted_answers_text",
        "case_sensitive",
        "position",
    ]
    add_form_extra_fields = edit_form_extra_fields = QUESTION_FIELDS
    search_columns = ["bank", "question_type", "points"]
    base_order = ("position", "asc")
    formatters_columns = {
        "text": plain_text,
        "tags": lambda tags: ", ".join(tags or []),
        "accepted_answers": lambda answers: " | ".join(answers or []),
    }
    rich_fields = ("text", "feedback")

    def prepare(self, item: Question) -> None:
        """Type id from the dropdown, tags and accepted answers from their text fields, position."""
        if item.question_type is not None:
            item.question_type_id = item.question_type.id
        tags = item.__dict__.pop("tags_text", None)
        if tags is not None:
            item.tags = comma_list(tags)
        answers = item.__dict__.pop("accepted_answers_text", None)
        if answers is not None:
            item.accepted_answers = text_lines(answers)
        if item.position is None:
            item.position = banks.next_position(item.bank) if item.bank is not None else 0

    def validate(self, item: Question) -> None:
        """Options from the form (or the current ones), then the question type's rules."""
        code = banks.question_type_code(item)
        current = live_options(item) if item.id else []
        en = text_lines(item.__dict__.pop("options_en", None))
        ar = text_lines(item.__dict__.pop("options_ar", None))
        raw_correct = item.__dict__.pop("correct_options", None)
        if not en and not ar and code == "true_false" and not current:
            en, ar = [o["en"] for o in TRUE_FALSE_OPTIONS], [o["ar"] for o in TRUE_FALSE_OPTIONS]
        if en or ar:
            new = _new_options(en, ar, _correct_numbers(raw_correct, code, max(len(en), len(ar))))
            banks.check_question(item, new)
            for old in current:
                soft_delete(old)
            for option in new:
                option.question = item
                if item.id:
                    db.session.add(option)
            return
        if raw_correct is not None and str(raw_correct).strip() and current:
            correct = _correct_numbers(raw_correct, code, len(current))
            for number, option in enumerate(current, start=1):
                option.is_correct = number in correct
        banks.check_question(item, current)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """Tags, accepted answers and the numbers of the correct options as text."""
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return
        form.tags_text.data = ", ".join(item.tags or [])
        form.accepted_answers_text.data = "\n".join(item.accepted_answers or [])
        numbers = [str(n) for n, o in enumerate(live_options(item), start=1) if o.is_correct]
        form.correct_options.data = ", ".join(numbers)


QuestionModelView.related_views = [QuestionOptionModelView]
QuestionBankModelView.related_views = [QuestionModelView]
