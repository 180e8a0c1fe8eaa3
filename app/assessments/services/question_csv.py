"""CSV import and export of a question bank's questions (the format is described in services.banks)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.assessments.models import Question, QuestionBank, QuestionOption
from app.assessments.services.access import require_bank_manager
from app.assessments.services.banks import (
    QUESTION_TYPES,
    Errors,
    add_error,
    apply_fields,
    check_question,
    next_position,
    parse_points,
    question_type_ids,
)
from app.core.errors import Invalid
from app.core.translations import LANGUAGES
from app.extensions import db

CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 2000
CSV_COLUMNS = (
    "type", "text_en", "text_ar", "points", "tags", "options_en", "options_ar", "correct",
    "accepted_answers", "case_sensitive", "feedback_en", "feedback_ar",
)  # fmt: skip
TRUE_FALSE_OPTIONS = ({"en": "True", "ar": "صواب"}, {"en": "False", "ar": "خطأ"})
_FORMULA_PREFIXES = ("=", "+", "-", "@")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _needs_guard(cell: str) -> bool:
    # "'=x" itself needs a guard, or importing "''=x" would not give "'=x" back.
    return cell.lstrip("'").startswith(_FORMULA_PREFIXES)


def _guard(cell: str) -> str:
    return "'" + cell if _needs_guard(cell) else cell


def _unguard(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _needs_guard(cell[1:]) else cell


def _split(cell: str) -> list[str]:
    """The items of a `|`-separated cell; `\\|` and `\\\\` are a literal bar and backslash."""
    if not cell.strip():
        return []
    items, current, index = [], [], 0
    while index < len(cell):
        char = cell[index]
        if char == "\\" and cell[index + 1 : index + 2] in ("|", "\\"):
            current.append(cell[index + 1])
            index += 1
        elif char == "|":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    items.append("".join(current))
    return [item.strip() for item in items]


def _join(items: list[str]) -> str:
    return "|".join(item.replace("\\", "\\\\").replace("|", "\\|") for item in items)


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and each non-blank record with the file line it starts on; file errors are Invalid."""
    if len(data) > CSV_MAX_BYTES:
        raise Invalid(_("The file is larger than 2 MB."), {"file": [str(len(data))]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("The file must be UTF-8 text."), {"file": [_("Not UTF-8.")]}) from None
    if "\x00" in text:
        raise Invalid(_("The file is not a CSV text file."), {"file": [_("Binary content.")]})
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    last_line = 0
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
                continue
            rows.append((start, record))
            if len(rows) > CSV_MAX_ROWS:
                raise Invalid(
                    _("At most %(n)d questions per file.", n=CSV_MAX_ROWS), {"file": [str(len(rows))]}
                )
    except csv.Error as error:
        raise Invalid(_("The file is not a valid CSV file."), {"file": [str(error)]}) from None
    if header is None:
        raise Invalid(_("The file has no header row."), {"file": [_("Empty.")]})
    _check_header(header)
    if not rows:
        raise Invalid(_("The file has no questions."), {"file": [_("Empty.")]})
    return header, rows


def _check_header(header: list[str]) -> None:
    named = [name for name in header if name]  # spreadsheets often add empty trailing columns
    unknown = [name for name in named if name not in CSV_COLUMNS]
    if unknown:
        raise Invalid(_("Unknown columns: %(columns)s.", columns=", ".join(unknown)), {"file": unknown})
    if len(set(named)) != len(named):
        raise Invalid(_("A column is named twice."), {"file": header})
    missing = [] if "type" in header else ["type"]
    if "text_en" not in header and "text_ar" not in header:
        missing.append("text_en / text_ar")
    if missing:
        raise Invalid(_("Missing columns: %(columns)s.", columns=", ".join(missing)), {"file": missing})


def _choice_options(row: dict[str, str], errors: Errors) -> list[dict[str, Any]]:
    english, arabic = _split(row["options_en"]), _split(row["options_ar"])
    if english and arabic and len(english) != len(arabic):
        add_error(errors, "options", _("options_en and options_ar must list as many options."))
        return []
    count = max(len(english), len(arabic))
    numbers: set[int] = set()
    for item in _split(row["correct"]):
        if not item.isdecimal() or len(item) > 4 or not 1 <= int(item) <= count:
            add_error(errors, "correct", _("'%(value)s' is not the number of an option.", value=item))
        else:
            numbers.add(int(item))
    return [
        {
            "text_en": english[i] if english else "",
            "text_ar": arabic[i] if arabic else "",
            "is_correct": i + 1 in numbers,
        }
        for i in range(count)
    ]


def _row_options(code: str, row: dict[str, str], errors: Errors) -> list[dict[str, Any]]:
    if code == "multiple_choice":
        return _choice_options(row, errors)
    if code == "true_false":
        truth = _BOOLEANS.get(row["correct"].strip().lower()) if row["correct"].strip() else None
        if truth is None:
            add_error(errors, "correct", _("For a true/false question write true or false in 'correct'."))
        is_true = truth is not False
        return [
            {"text_en": label["en"], "text_ar": label["ar"], "is_correct": (n == 0) == is_true}
            for n, label in enumerate(TRUE_FALSE_OPTIONS)
        ]
    if row["correct"].strip():
        add_error(errors, "correct", _("Only choice questions have a 'correct' column."))
    if row["options_en"].strip() or row["options_ar"].strip():
        add_error(errors, "options", _("Only multiple-choice and true/false questions have options."))
    return []


def _question_from_row(bank: QuestionBank, row: dict[str, str]) -> tuple[Question | None, list[str]]:
    """A question (not in the session) built from one CSV row, and what is wrong with it."""
    code = row["type"].strip().lower()
    if code not in question_type_ids():
        return None, [
            _("Unknown type '%(type)s'; use one of: %(types)s.", type=code, types=", ".join(QUESTION_TYPES))
        ]
    errors: Errors = {}
    points: Any = row["points"].strip() or "1"
    try:
        points = parse_points(points)
    except Invalid as error:
        errors |= error.errors
        points = Decimal(1)
    sensitive = _BOOLEANS.get(row["case_sensitive"].strip().lower() or "false")
    if sensitive is None:
        add_error(errors, "case_sensitive", _("Write true or false in 'case_sensitive'."))
    options = _row_options(code, row, errors)
    question = Question(bank_id=bank.id)
    try:
        new_options = apply_fields(
            question,
            {
                "type": code,
                "translations": {
                    lang: {f: row[f"{f}_{lang}"] for f in ("text", "feedback")} for lang in LANGUAGES
                },
                "points": points,
                "tags": _split(row["tags"]),
                "options": options,
                "accepted_answers": _split(row["accepted_answers"]),
                "case_sensitive": bool(sensitive),
                "multiple_answers": sum(1 for o in options if o["is_correct"]) > 1,
            },
        )
        check_question(question, new_options)
    except Invalid as error:
        for field, messages in (error.errors or {"": [error.message]}).items():
            if field not in errors:  # a cell already reported is not reported twice
                errors[field] = [str(m) for m in messages]
    return question, [message for messages in errors.values() for message in messages]


def import_questions(user: Any, bank: QuestionBank, data: bytes) -> dict[str, Any]:
    """Add the questions of a CSV file (format: services.banks) to the bank, all of them or none.

    Returns `{"created": n, "errors": {}}`; when rows are wrong, Invalid whose `errors` maps
    "row <line>" to that row's problems, and nothing is stored.
    """
    require_bank_manager(user, bank)
    header, rows = _read_rows(data)
    questions: list[Question] = []
    errors: dict[str, list[str]] = {}
    for line, record in rows:
        label = f"row {line}"  # a key for programs, like field names; the messages are translated
        if any(cell.strip() for cell in record[len(header) :]):
            errors[label] = [_("The row has more cells than the header.")]
            continue
        cells = {name: _unguard(value).strip() for name, value in zip(header, record, strict=False) if name}
        row = {name: cells.get(name, "") for name in CSV_COLUMNS}
        question, problems = _question_from_row(bank, row)
        if problems:
            errors[label] = problems
        elif question is not None:
            questions.append(question)
    if errors:
        message = ngettext(
            "%(num)d row has errors; nothing was imported.",
            "%(num)d rows have errors; nothing was imported.",
            len(errors),
        )
        raise Invalid(message, errors)
    position = next_position(bank)
    for offset, question in enumerate(questions):
        question.position = position + offset
    db.session.add_all(questions)
    db.session.flush()
    return {"created": len(questions), "errors": {}}


def _texts(items: list[QuestionOption], lang: str) -> str:
    texts = [(option.translations.get(lang) or {}).get("text", "") for option in items]
    return _join(texts) if any(texts) else ""


def export_questions(bank: QuestionBank) -> str:
    """The bank's questions in the import format (with a byte-order mark, so spreadsheets read UTF-8)."""
    questions = db.session.scalars(
        select(Question)
        .where(Question.bank_id == bank.id)
        .order_by(Question.position, Question.id)
        .options(selectinload(Question.options))
    )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for question in questions:
        code, options = question.type_code, list(question.options)
        text = {lang: question.translations.get(lang) or {} for lang in LANGUAGES}
        correct = ""
        if code == "multiple_choice":
            correct = "|".join(str(n) for n, option in enumerate(options, start=1) if option.is_correct)
        elif code == "true_false":
            correct = "true" if options and options[0].is_correct else "false"
        choices = options if code == "multiple_choice" else []
        row = {
            "type": code,
            "points": format(question.points.normalize(), "f"),
            "tags": _join(question.tags or []),
            "options_en": _texts(choices, "en"),
            "options_ar": _texts(choices, "ar"),
            "correct": correct,
            "accepted_answers": _join(question.accepted_answers or []),
            "case_sensitive": "true" if question.case_sensitive else "false",
        }
        for lang in LANGUAGES:
            row[f"text_{lang}"] = text[lang].get("text", "")
            row[f"feedback_{lang}"] = text[lang].get("feedback", "")
        writer.writerow([_guard(row[name]) for name in CSV_COLUMNS])
    return out.getvalue()
