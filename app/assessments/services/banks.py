"""Question banks: the rules of each question type, short-answer matching, CSV import and export.

Question texts and feedback (of questions and options) are rich text, sanitized with nh3 before
they are stored; accepted answers and tags are plain text.

CSV format (UTF-8, a byte-order mark accepted; a header row; one question per row; at most
2 MB and 2000 rows; a file imports completely or not at all). Column names are case-insensitive,
in any order; `type` and one of `text_en` / `text_ar` are required, the rest optional:

- `type`: multiple_choice, true_false, short_answer or essay
- `text_en`, `text_ar`: the question (one of them at least); `feedback_en`, `feedback_ar`
- `points`: a number from 0 to 1000 (default 1)
- `tags`: separated by `|` (at most 20, each up to 50 characters)
- `options_en`, `options_ar`: multiple-choice options separated by `|` (the same count in both when
  both are given); ignored for true_false, which always gets True/False (صواب/خطأ)
- `correct`: multiple_choice: the 1-based numbers of the right options separated by `|` (more
  than one allows multiple answers); true_false: `true` or `false`
- `accepted_answers`: short_answer: the answers accepted, separated by `|`
- `case_sensitive`: `true` or `false` (default false)

In `|`-separated cells `\\|` is a literal `|` and `\\\\` a literal backslash. A cell starting with
`'` followed by `=`, `+`, `-` or `@` loses the apostrophe (exports add it so that spreadsheets do
not run cells as formulas). Option feedback is not part of the format; a true/false question is
exported as which of its two options is right.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessments.models import Question, QuestionBank, QuestionOption
from app.assessments.services.access import require_bank_manager
from app.core.errors import Invalid
from app.core.html import plain_text, sanitize_html
from app.core.search_text import normalize_arabic
from app.core.softdelete import soft_delete
from app.core.translations import LANGUAGES, checked_translations
from app.extensions import db
from app.lookups.services import lookup_id

QUESTION_TYPES = ("multiple_choice", "true_false", "short_answer", "essay")
MAX_POINTS = Decimal(1000)
MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_ANSWER_LENGTH, MAX_ACCEPTED_ANSWERS = 200, 50
MAX_OPTIONS = 20
OPTION_KEYS = frozenset({"id", "text_en", "text_ar", "is_correct", "feedback_en", "feedback_ar"})
QUESTION_FIELDS = frozenset(
    {
        "type",
        "translations",
        "points",
        "tags",
        "options",
        "accepted_answers",
        "case_sensitive",
        "multiple_answers",
    }
)
_TRAILING_PUNCTUATION = ".,;:!?؟،؛ "

Errors = dict[str, list[str]]


# ---- the rules -------------------------------------------------------------------------------
def question_type_ids() -> dict[str, int]:
    """The lookup id of each question type code (cached by the lookups module)."""
    ids = {code: lookup_id("quiz_question_types", code) for code in QUESTION_TYPES}
    return {code: value for code, value in ids.items() if value is not None}


def question_type_code(question: Question) -> str | None:
    """The question's type code, also for a question not yet saved (its relationship is not loaded)."""
    return next((code for code, id_ in question_type_ids().items() if id_ == question.question_type_id), None)


def _has_text(html: Any) -> bool:
    return isinstance(html, str) and (bool(plain_text(html)) or "<img" in html)


def _any_text(translations: dict[str, Any] | None, field: str) -> bool:
    return any(_has_text((texts or {}).get(field)) for texts in (translations or {}).values())


def add_error(errors: Errors, field: str, message: str) -> None:
    """Record one problem of one field."""
    errors.setdefault(field, []).append(message)


def _checked_tags(tags: Any, errors: Errors) -> list[str]:
    if not isinstance(tags, list | tuple):
        add_error(errors, "tags", _("Tags must be a list of words."))
        return []
    cleaned: dict[str, str] = {}  # casefolded -> first spelling, so "Python" and "python" are one tag
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            add_error(errors, "tags", _("A tag cannot be empty."))
        elif len(tag.strip()) > MAX_TAG_LENGTH:
            add_error(errors, "tags", _("A tag has at most %(n)d characters.", n=MAX_TAG_LENGTH))
        else:
            cleaned.setdefault(tag.strip().casefold(), tag.strip())
    if len(cleaned) > MAX_TAGS:
        add_error(errors, "tags", _("At most %(n)d tags.", n=MAX_TAGS))
    return list(cleaned.values())


def _checked_answers(answers: Any, errors: Errors) -> list[str]:
    if not isinstance(answers, list | tuple) or not all(isinstance(a, str) for a in answers):
        add_error(errors, "accepted_answers", _("Accepted answers must be a list of texts."))
        return []
    cleaned = list(dict.fromkeys(a.strip() for a in answers if a.strip()))
    if any(len(a) > MAX_ANSWER_LENGTH for a in cleaned):
        add_error(
            errors,
            "accepted_answers",
            _("An accepted answer has at most %(n)d characters.", n=MAX_ANSWER_LENGTH),
        )
    if len(cleaned) > MAX_ACCEPTED_ANSWERS:
        add_error(errors, "accepted_answers", _("At most %(n)d accepted answers.", n=MAX_ACCEPTED_ANSWERS))
    return cleaned


def _check_points(points: Any, errors: Errors) -> None:
    try:
        value = Decimal(str(points)) if points is not None and not isinstance(points, bool) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= MAX_POINTS:
        add_error(errors, "points", _("Points must be a number from 0 to %(max)d.", max=MAX_POINTS))


def _check_options(code: str, question: Question, options: list[QuestionOption], errors: Errors) -> None:
    correct = sum(1 for option in options if option.is_correct)
    for number, option in enumerate(options, start=1):
        if not _any_text(option.translations, "text"):
            add_error(errors, "options", _("Option %(n)d needs a text.", n=number))
    if code == "multiple_choice":
        if len(options) < 2:
            add_error(errors, "options", _("A multiple-choice question needs at least two options."))
        if len(options) > MAX_OPTIONS:
            add_error(errors, "options", _("At most %(n)d options.", n=MAX_OPTIONS))
        if correct == 0:
            add_error(errors, "options", _("Mark at least one option as correct."))
        elif correct > 1 and not question.multiple_answers:
            add_error(errors, "options", _("Mark exactly one option as correct, or allow multiple answers."))
    elif code == "true_false":
        if len(options) != 2:
            add_error(errors, "options", _("A true/false question has exactly two options."))
        if correct != 1:
            add_error(errors, "options", _("Mark exactly one of the two options as correct."))
    elif options:
        add_error(errors, "options", _("Only multiple-choice and true/false questions have options."))


def check_question(question: Question, options: list[QuestionOption] | None = None) -> None:
    """Invalid (422, errors by field) unless the question keeps its type's rules; cleans tags and answers.

    `options` defaults to `question.options`. Tags and accepted answers are stored stripped and
    de-duplicated; `multiple_answers` is cleared on anything but multiple choice.
    """
    errors: Errors = {}
    options = list(question.options) if options is None else list(options)
    code = question_type_code(question)
    if code is None:
        add_error(errors, "type", _("Choose a type: %(types)s.", types=", ".join(QUESTION_TYPES)))
    if not _any_text(question.translations, "text"):
        add_error(errors, "text", _("Write the question in English or Arabic."))
    _check_points(question.points, errors)
    tags = _checked_tags(question.tags if question.tags is not None else [], errors)
    answers = _checked_answers(
        question.accepted_answers if question.accepted_answers is not None else [], errors
    )
    if code is not None:
        _check_options(code, question, options, errors)
    if code == "short_answer" and not answers and "accepted_answers" not in errors:
        add_error(errors, "accepted_answers", _("Give at least one accepted answer."))
    elif code is not None and code != "short_answer" and answers:
        add_error(errors, "accepted_answers", _("Only short-answer questions have accepted answers."))
    if errors:
        raise Invalid(_("The question is not valid."), errors)
    question.tags, question.accepted_answers = tags, answers
    if code != "multiple_choice":  # the flag means nothing elsewhere; keep it from misleading reports
        question.multiple_answers = False


# ---- short answers ---------------------------------------------------------------------------
def normalize_answer(text: str, case_sensitive: bool) -> str:
    """An answer as compared: NFKC, spaces collapsed, no trailing punctuation or Arabic marks, casefolded."""
    value = normalize_arabic(unicodedata.normalize("NFKC", text or ""))
    value = " ".join(value.split()).rstrip(_TRAILING_PUNCTUATION)
    return value if case_sensitive else value.casefold()


def short_answer_matches(question: Question, text: Any) -> bool:
    """True when the answer equals one of the question's accepted answers once both are normalised."""
    if not isinstance(text, str):
        return False
    answer = normalize_answer(text, question.case_sensitive)
    accepted = {normalize_answer(a, question.case_sensitive) for a in question.accepted_answers or []}
    return bool(answer) and answer in accepted


# ---- building questions ----------------------------------------------------------------------
def _rich_translations(value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    checked = checked_translations(value, fields)
    cleaned = {lang: {k: sanitize_html(v) for k, v in texts.items()} for lang, texts in checked.items()}
    return {
        lang: {k: v for k, v in texts.items() if v} for lang, texts in cleaned.items() if any(texts.values())
    }


def _option_translations(text: dict[str, str], feedback: dict[str, str]) -> dict[str, Any]:
    value = {lang: {"text": text.get(lang) or "", "feedback": feedback.get(lang) or ""} for lang in LANGUAGES}
    return _rich_translations(value, ("text", "feedback"))


def parse_points(value: Any) -> Decimal:
    """Points rounded to cents; Invalid when not a number from 0 to 1000."""
    errors: Errors = {}
    _check_points(value, errors)
    if errors:
        raise Invalid(_("The question is not valid."), errors)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _type_id(code: Any) -> int:
    type_id = question_type_ids().get(code) if isinstance(code, str) else None
    if type_id is None:
        raise Invalid(_("Choose a type: %(types)s.", types=", ".join(QUESTION_TYPES)), {"type": [str(code)]})
    return type_id


def _set_options(question: Question, items: Any) -> list[QuestionOption]:
    """The options after `items` (dicts; an `id` updates that option); unlisted ones are soft-deleted."""
    if not isinstance(items, list | tuple) or not all(isinstance(item, dict) for item in items):
        raise Invalid(_("Options must be a list of objects."), {"options": ["list"]})
    current = {option.id: option for option in question.options if option.id is not None}
    result: list[QuestionOption] = []
    for position, item in enumerate(items):
        unknown = set(item) - OPTION_KEYS
        if unknown:
            raise Invalid(_("Unknown option fields."), {"options": sorted(unknown)})
        if not isinstance(item.get("is_correct", False), bool):
            raise Invalid(
                _("'is_correct' must be true or false."), {"options": [str(item.get("is_correct"))]}
            )
        option = current.pop(item["id"], None) if item.get("id") is not None else QuestionOption()
        if option is None:
            raise Invalid(_("This option is not one of the question's."), {"options": [str(item["id"])]})
        texts = {lang: item.get(f"text_{lang}") for lang in LANGUAGES}
        feedback = {lang: item.get(f"feedback_{lang}") for lang in LANGUAGES}
        option.translations = _option_translations(texts, feedback)
        option.is_correct, option.position = bool(item.get("is_correct", False)), position
        if option.id is None:  # appended from the question's side, so the session cascade adds it
            question.options.append(option)
        result.append(option)
    for option in current.values():  # attempts may point at old options: hidden, never removed
        soft_delete(option)
    return result


def apply_fields(question: Question, fields: dict[str, Any]) -> list[QuestionOption] | None:
    """Set the given fields on the question (unchecked); returns its options when `options` was given."""
    unknown = set(fields) - QUESTION_FIELDS
    if unknown:
        raise Invalid(_("Unknown fields."), {name: [_("Unknown field.")] for name in sorted(unknown)})
    if "type" in fields:
        question.question_type_id = _type_id(fields["type"])
    if "translations" in fields:
        question.translations = _rich_translations(fields["translations"], ("text", "feedback"))
    if "points" in fields:
        question.points = parse_points(fields["points"])
    for name in ("tags", "accepted_answers"):
        if name in fields:
            setattr(question, name, fields[name] if fields[name] is not None else [])
    for name in ("case_sensitive", "multiple_answers"):
        if name in fields:
            setattr(question, name, bool(fields[name]))
    return _set_options(question, fields["options"]) if "options" in fields else None


def next_position(bank: QuestionBank) -> int:
    """The position after the bank's last question."""
    last = db.session.scalar(select(func.max(Question.position)).where(Question.bank_id == bank.id))
    return 0 if last is None else last + 1


def place_option(option: QuestionOption, question: Question) -> None:
    """An option without a position goes after the question's last live option."""
    if option.position is None:
        taken = [o.position or 0 for o in question.options if not o.is_deleted and o is not option]
        option.position = max(taken, default=-1) + 1


def create_question(
    user: Any,
    bank: QuestionBank,
    *,
    type: str,
    translations: dict[str, Any],
    points: Any = 1,
    tags: list[str] | None = None,
    options: list[dict[str, Any]] | None = None,
    accepted_answers: list[str] | None = None,
    case_sensitive: bool = False,
    multiple_answers: bool = False,
) -> Question:
    """A new question at the end of the bank, checked against its type's rules, committed."""
    require_bank_manager(user, bank)
    question = Question(bank_id=bank.id, position=next_position(bank))
    fields = {"type": type, "translations": translations, "points": points, "tags": tags}
    fields |= {"options": options or [], "accepted_answers": accepted_answers}
    fields |= {"case_sensitive": case_sensitive, "multiple_answers": multiple_answers}
    new_options = apply_fields(question, fields) or []
    check_question(question, new_options)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(user: Any, question: Question, **fields: Any) -> Question:
    """Change some fields (`options` replaces the list; an option's `id` keeps it), check, commit."""
    require_bank_manager(user, question.bank)
    try:
        # Nothing half-changed may reach the database before the rules have been checked.
        with db.session.no_autoflush:
            options = apply_fields(question, fields)
            check_question(question, options)
    except Invalid:
        db.session.rollback()
        raise
    db.session.flush()
    return question


# ---- CSV (the work is in question_csv, which builds on the rules above) ---------------------
def import_questions_csv(user: Any, bank: QuestionBank, data: bytes) -> dict[str, Any]:
    """Add the questions of a CSV file (format above) to the bank: all of them, or none if a row is wrong.

    Returns `{"created": n, "errors": {}}`; when rows are wrong, Invalid whose `errors` maps
    "row <line>" to that row's problems, and nothing is stored.
    """
    from app.assessments.services import question_csv

    return question_csv.import_questions(user, bank, data)


def export_questions_csv(bank: QuestionBank) -> str:
    """The bank's questions in the import format (with a byte-order mark, so spreadsheets read UTF-8)."""
    from app.assessments.services import question_csv

    return question_csv.export_questions(bank)
