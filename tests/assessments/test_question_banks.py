"""Question banks: each type's rules, short-answer normalisation, the question services and CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.assessments.models import Question, QuestionOption
from app.assessments.services.banks import (
    check_question,
    create_question,
    export_questions_csv,
    import_questions_csv,
    normalize_answer,
    short_answer_matches,
    update_question,
)
from app.core.errors import Forbidden, Invalid
from app.core.search_text import normalize_arabic, normalize_search
from app.core.transactions import transaction
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.assessment_factories import make_bank, make_question
from tests.course_factories import make_course
from tests.factories import make_user

MC = [("A", True), ("B", False)]
TF = [("True", True), ("False", False)]


def _question(kind: str, options: list[tuple[str, bool]] | None = None, **fields: Any) -> Question:
    """A question not in the session, with its options (texts in English)."""
    question = Question(
        question_type_id=require_lookup_id("quiz_question_types", kind),
        translations=fields.pop("translations", {"en": {"text": "Question?"}}),
        points=fields.pop("points", Decimal(1)),
        tags=fields.pop("tags", []),
        accepted_answers=fields.pop("accepted_answers", []),
        **fields,
    )
    question.options = [
        QuestionOption(translations={"en": {"text": text}} if text else {}, is_correct=correct, position=n)
        for n, (text, correct) in enumerate(options or [])
    ]
    return question


# ---- the rules: each one broken, then kept ---------------------------------------------------
BROKEN = [
    ("no text", "essay", {"translations": {}}, "text"),
    ("blank html text", "essay", {"translations": {"en": {"text": "<p> </p>"}}}, "text"),
    ("negative points", "essay", {"points": Decimal(-1)}, "points"),
    ("too many points", "essay", {"points": Decimal("1000.01")}, "points"),
    ("points not a number", "essay", {"points": Decimal("NaN")}, "points"),
    ("choice with one option", "multiple_choice", {"options": [("A", True)]}, "options"),
    (
        "choice without a right option",
        "multiple_choice",
        {"options": [("A", False), ("B", False)]},
        "options",
    ),
    ("two right, single answer", "multiple_choice", {"options": [("A", True), ("B", True)]}, "options"),
    ("option without text", "multiple_choice", {"options": [("A", True), ("", False)]}, "options"),
    ("true/false with three options", "true_false", {"options": [*TF, ("Maybe", False)]}, "options"),
    ("true/false, both right", "true_false", {"options": [("True", True), ("False", True)]}, "options"),
    ("true/false, none right", "true_false", {"options": [("True", False), ("False", False)]}, "options"),
    ("short answer without answers", "short_answer", {}, "accepted_answers"),
    ("short answer with blank answers", "short_answer", {"accepted_answers": [" ", ""]}, "accepted_answers"),
    ("short answer too long", "short_answer", {"accepted_answers": ["x" * 201]}, "accepted_answers"),
    ("short answer with options", "short_answer", {"accepted_answers": ["a"], "options": MC}, "options"),
    ("essay with options", "essay", {"options": MC}, "options"),
    ("essay with answers", "essay", {"accepted_answers": ["a"]}, "accepted_answers"),
    ("tags not a list", "essay", {"tags": "python"}, "tags"),
    ("tag not text", "essay", {"tags": [3]}, "tags"),
    ("empty tag", "essay", {"tags": ["  "]}, "tags"),
    ("tag too long", "essay", {"tags": ["x" * 51]}, "tags"),
    ("21 tags", "essay", {"tags": [f"t{n}" for n in range(21)]}, "tags"),
]
KEPT = [
    ("arabic text only", "essay", {"translations": {"ar": {"text": "اشرح."}}}),
    ("zero points", "essay", {"points": Decimal(0)}),
    ("1000 points", "essay", {"points": Decimal(1000)}),
    ("one right of two", "multiple_choice", {"options": MC}),
    (
        "two right, multiple answers",
        "multiple_choice",
        {"options": [*MC, ("C", True)], "multiple_answers": True},
    ),
    ("true/false", "true_false", {"options": TF}),
    ("short answer", "short_answer", {"accepted_answers": ["x" * 200]}),
    ("essay", "essay", {}),
    ("20 tags", "essay", {"tags": [f"t{n}" for n in range(20)] + ["t0"]}),
]


@pytest.mark.parametrize(("name", "kind", "fields", "field"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_rule_is_invalid(ctx: None, name: str, kind: str, fields: dict, field: str) -> None:
    question = _question(kind, fields.pop("options", None), **fields)
    with pytest.raises(Invalid) as raised:
        check_question(question)
    assert raised.value.status_code == 422
    assert field in raised.value.errors, raised.value.errors


@pytest.mark.parametrize(("name", "kind", "fields"), KEPT, ids=[k[0] for k in KEPT])
def test_a_kept_rule_passes(ctx: None, name: str, kind: str, fields: dict) -> None:
    check_question(_question(kind, fields.pop("options", None), **fields))


def test_check_question_takes_options_given_and_cleans_tags_and_answers(ctx: None) -> None:
    question = _question(
        "short_answer", tags=[" Python ", "python", "SQL"], accepted_answers=[" a ", "a", ""]
    )
    check_question(question)
    assert question.tags == ["Python", "SQL"] and question.accepted_answers == ["a"]
    choice = _question("multiple_choice", [("only", True)])
    check_question(
        choice, [QuestionOption(translations={"en": {"text": t}}, is_correct=t == "A") for t in "AB"]
    )
    with pytest.raises(Invalid):
        check_question(choice)


# ---- short answers -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("القَاهِرَةُ", "القاهرة"),  # harakat
        ("  إسلام  ", "اسلام"),  # alef with hamza below, spaces
        ("أحمد وآمنة", "احمد وامنه"),  # alef variants, taa marbuta
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("قـــاهرة", "قاهره"),  # tatweel
        ("القاهرة؟", "القاهره"),  # Arabic question mark
        ("نعم،", "نعم"),  # Arabic comma
        ("Paris.", "paris"),
        ("Paris !?", "paris"),
        ("New   York", "new york"),
        ("\uff30\uff41\uff52\uff49\uff53", "paris"),  # NFKC: full-width letters
        ("ﻻ", "لا"),  # NFKC: presentation form
        ("Straße", "strasse"),  # casefold, not lower
    ],
)
def test_normalize_answer(given: str, expected: str) -> None:
    assert normalize_answer(given, case_sensitive=False) == normalize_answer(expected, case_sensitive=False)
    assert normalize_answer(given, case_sensitive=False) == expected.casefold().replace(
        "\u0629", "\u0647"
    )  # taa marbuta -> heh


def test_case_sensitive_answers_keep_case_but_not_arabic_marks() -> None:
    assert normalize_answer(" Paris. ", case_sensitive=True) == "Paris"
    assert normalize_answer("Paris", case_sensitive=True) != normalize_answer("paris", case_sensitive=True)
    assert normalize_answer("أَحمد", case_sensitive=True) == "احمد"
    assert normalize_arabic("Ahmed أَحمد") == "Ahmed احمد"
    assert normalize_search("Ahmed أَحمد") == "ahmed احمد"  # unchanged by the refactoring


def test_short_answer_matches() -> None:
    question = Question(accepted_answers=["Cairo", "القاهرة"], case_sensitive=False)
    for answer in ("cairo.", "  CAIRO ", "القاهرةُ", "القاهره؟"):
        assert short_answer_matches(question, answer), answer
    for answer in ("Giza", "", "  .", None, 7):
        assert not short_answer_matches(question, answer), answer
    question.case_sensitive = True
    assert short_answer_matches(question, "Cairo!") and not short_answer_matches(question, "cairo")


# ---- services --------------------------------------------------------------------------------
def _count(bank: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Question).where(Question.bank_id == bank.id))


def _people() -> dict[str, Any]:
    owner, teacher = make_user("Instructor"), make_user("Instructor")
    bank = make_bank(owner, course=make_course(instructors=[teacher]))
    return {"bank": bank, "owner": owner, "teacher": teacher, "admin": make_user("Admin")}


def _choice(**fields: Any) -> dict[str, Any]:
    options = [
        {
            "text_en": "<b>4</b><script>x()</script>",
            "text_ar": "أربعة",
            "is_correct": True,
            "feedback_en": "Yes",
        },
        {"text_en": "5", "text_ar": "خمسة", "is_correct": False},
    ]
    base = {"type": "multiple_choice", "translations": {"en": {"text": "2+2?"}, "ar": {"text": "٢+٢؟"}}}
    return base | {"options": options, "points": "2.5", "tags": [" math ", "Math"]} | fields


def test_create_question_sanitizes_orders_and_commits(ctx: None) -> None:
    people = _people()
    first = make_question(people["bank"], "essay")
    question = create_question(people["owner"], people["bank"], **_choice())
    db.session.expire_all()
    assert question.position == first.position + 1 and question.points == Decimal("2.50")
    assert question.tags == ["math"] and question.type_code == "multiple_choice"
    assert [o.translations["en"]["text"] for o in question.options] == ["<b>4</b>", "5"]
    assert question.options[0].translations["en"]["feedback"] == "Yes" and question.options[0].is_correct


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "matching"},
        {"points": "lots"},
        {"points": -1},
        {"translations": {"fr": {"text": "?"}}},
        {"options": [{"text_en": "A", "is_correct": "yes"}]},
        {"options": [{"text_en": "A", "colour": "red"}]},
        {"options": "A|B"},
        {"options": [{"text_en": "A", "is_correct": True}]},
    ],
)
def test_create_question_refuses_bad_input_and_stores_nothing(ctx: None, fields: dict) -> None:
    people = _people()
    with pytest.raises(Invalid):
        create_question(people["owner"], people["bank"], **_choice(**fields))
    assert _count(people["bank"]) == 0


def test_update_question_keeps_listed_options_and_hides_the_others(ctx: None) -> None:
    people = _people()
    question = create_question(people["owner"], people["bank"], **_choice())
    kept, dropped = question.options
    options = [{"text_en": "Four", "is_correct": True}, {"id": kept.id, "text_en": "4", "is_correct": False}]
    update_question(people["teacher"], question, options=options, points=3)
    db.session.expire_all()
    assert [(o.translations, o.is_correct) for o in question.options] == [
        ({"en": {"text": "Four"}}, True),
        ({"en": {"text": "4"}}, False),
    ]
    assert question.options[1].id == kept.id and question.points == 3
    assert db.session.get(QuestionOption, dropped.id, execution_options={"include_deleted": True}).is_deleted


def test_update_question_that_breaks_a_rule_changes_nothing(ctx: None) -> None:
    people = _people()
    with transaction():
        question = create_question(people["owner"], people["bank"], **_choice())
    with pytest.raises(Invalid) as raised:
        update_question(people["owner"], question, type="essay", points=4)
    assert "options" in raised.value.errors
    with pytest.raises(Invalid):
        update_question(people["owner"], question, colour="red")
    db.session.expire_all()
    assert question.type_code == "multiple_choice" and question.points == Decimal("2.5")
    update_question(people["owner"], question, type="essay", options=[])
    db.session.expire_all()
    assert question.type_code == "essay" and question.options == []


def test_only_managers_of_the_bank_may_change_it(ctx: None) -> None:
    people = _people()
    bank = people["bank"]
    question = make_question(bank, "essay")
    for outsider in (make_user("Instructor"), make_user("Student")):
        with pytest.raises(Forbidden):
            create_question(outsider, bank, **_choice())
        with pytest.raises(Forbidden):
            update_question(outsider, question, points=2)
        with pytest.raises(Forbidden):
            import_questions_csv(outsider, bank, b"type,text_en\nessay,Why?\n")
    for manager in ("owner", "teacher", "admin"):
        create_question(people[manager], bank, **_choice())
        update_question(people[manager], question, points=2)
        assert import_questions_csv(people[manager], bank, b"type,text_en\nessay,Why?\n")["created"] == 1
    assert _count(bank) == 1 + 3 + 3


# ---- CSV -------------------------------------------------------------------------------------
HEADER = "type,text_en,text_ar,points,tags,options_en,options_ar,correct,accepted_answers,case_sensitive"
GOOD = [
    "multiple_choice,Which are primes?,أيها أعداد أولية؟,2,math|primes,2|4|5,اثنان|أربعة|خمسة,1|3,,",
    "true_false,The Earth is round.,الأرض كروية.,1,science,,,true,,",
    "short_answer,Capital of Egypt?,ما عاصمة مصر؟,1,geography,,,,Cairo|القاهرة,false",
    "essay,Describe your city.,صف مدينتك.,5,,,,,,",
]


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows, ""]).encode()


def _questions(bank: Any) -> list[Question]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Question).where(Question.bank_id == bank.id).order_by(Question.position))
    )


def test_import_english_and_arabic(ctx: None) -> None:
    people = _people()
    bank = people["bank"]
    existing = make_question(bank, "essay")
    arabic_only = "multiple_choice,,ما لون السماء؟,,ألوان,,أزرق|أحمر,1,,"
    report = import_questions_csv(people["teacher"], bank, "\ufeff".encode() + _csv(*GOOD, "", arabic_only))
    assert report == {"created": 5, "errors": {}}
    existing_, choice, truth, short, essay, arabic = _questions(bank)
    assert existing_.id == existing.id
    assert [q.position for q in (choice, truth, short, essay, arabic)] == list(
        range(existing.position + 1, existing.position + 6)
    )
    assert choice.multiple_answers and choice.points == 2 and choice.tags == ["math", "primes"]
    assert [(o.translations["ar"]["text"], o.is_correct) for o in choice.options] == [
        ("اثنان", True),
        ("أربعة", False),
        ("خمسة", True),
    ]
    assert [(o.translations, o.is_correct) for o in truth.options] == [
        ({"en": {"text": "True"}, "ar": {"text": "صواب"}}, True),
        ({"en": {"text": "False"}, "ar": {"text": "خطأ"}}, False),
    ]
    assert short.accepted_answers == ["Cairo", "القاهرة"] and not short.case_sensitive
    assert short_answer_matches(short, "القاهرةُ.")
    assert essay.options == [] and essay.points == 5 and essay.translations["ar"]["text"] == "صف مدينتك."
    assert arabic.translations == {"ar": {"text": "ما لون السماء؟"}} and arabic.points == 1
    assert not arabic.multiple_answers and [o.is_correct for o in arabic.options] == [True, False]


def test_a_file_with_bad_rows_stores_nothing_and_names_them(ctx: None) -> None:
    people = _people()
    rows = [
        GOOD[0],
        "riddle,What?,,,,,,,,",  # line 3: unknown type
        '"essay","A question\non two lines",,,,,,,,',  # lines 4-5
        "multiple_choice,Pick,,1,,A|B,,3,,",  # line 6: no option 3
        "essay,Too many points,,5000,,,,,,",  # line 7
        GOOD[2],
        "true_false,Sure?,,,,,,maybe,,",  # line 9
        "short_answer,Say it,,,,,,,,perhaps",  # line 10: no answer, bad case_sensitive
        "multiple_choice,Pick,,,,A|B,أ,1,,",  # line 11: counts differ
        "essay,Extra,,,,,,,,,surplus",  # line 12
    ]
    with pytest.raises(Invalid) as raised:
        import_questions_csv(people["owner"], people["bank"], _csv(*rows))
    errors = raised.value.errors
    assert list(errors) == ["row 3", "row 6", "row 7", "row 9", "row 10", "row 11", "row 12"]
    assert "7 rows" in raised.value.message and raised.value.status_code == 422
    assert len(errors["row 10"]) == 2 and all(isinstance(m, str) for m in errors["row 10"])
    assert _count(people["bank"]) == 0


def test_file_errors(ctx: None) -> None:
    people = _people()
    bank, owner = people["bank"], people["owner"]
    cases = {
        "not utf-8": "type,text_en\nessay,café\n".encode("latin-1"),
        "no type column": b"text_en,points\nWhy?,1\n",
        "no text column": b"type,points\nessay,1\n",
        "unknown column": b"type,text_en,option_en\nessay,Why?,a\n",
        "column twice": b"type,text_en,text_en\nessay,Why?,Why?\n",
        "empty": b"",
        "header only": b"type,text_en\n",
        "binary": b"type,text_en\n\x00\x01\x02",
        "too large": b"type,text_en\n" + b"essay,Why?\n" * 200_000,
        "too many rows": b"type,text_en\n" + b"essay,Why?\n" * 2001,
    }
    for name, data in cases.items():
        with pytest.raises(Invalid) as raised:
            import_questions_csv(owner, bank, data)
        assert "file" in raised.value.errors, name
    assert _count(bank) == 0
    # 2000 rows is the limit, not beyond; a header with trailing empty columns is fine
    assert (
        import_questions_csv(owner, bank, b"type,text_en,,\n" + b"essay,Why?,,\n" * 2000)["created"] == 2000
    )


def test_export_then_import_gives_the_same_questions(ctx: None) -> None:
    people = _people()
    source, owner = people["bank"], people["owner"]
    create_question(
        owner,
        source,
        **_choice(
            options=[
                {"text_en": "a|b", "text_ar": "أ", "is_correct": True},
                {"text_en": "C:\\dir\\", "text_ar": "", "is_correct": True},
                {"text_en": "", "text_ar": "ج", "is_correct": False},
            ],
            multiple_answers=True,
        ),
    )
    create_question(
        owner,
        source,
        type="short_answer",
        translations={"en": {"text": "=1+1", "feedback": "'=x"}},
        points=0,
        tags=["-neg", "a|b"],
        accepted_answers=["2", "two|2", "@x"],
        case_sensitive=True,
    )
    create_question(
        owner,
        source,
        type="true_false",
        translations={"ar": {"text": "<p>الأرض <em>مسطحة</em></p>"}},
        options=[
            {"text_en": "True", "text_ar": "صواب", "is_correct": False},
            {"text_en": "False", "text_ar": "خطأ", "is_correct": True},
        ],
    )
    create_question(owner, source, type="essay", translations={"en": {"text": 'a, "b"\nc'}}, points=1000)
    exported = export_questions_csv(source)
    target = make_bank(owner)
    assert import_questions_csv(owner, target, exported.encode())["created"] == 4

    def dump(bank: Any) -> list[tuple]:
        return [
            (
                q.type_code,
                q.translations,
                q.points,
                q.tags,
                q.accepted_answers,
                q.case_sensitive,
                q.multiple_answers,
                [(o.translations, o.is_correct) for o in q.options],
            )
            for q in _questions(bank)
        ]

    assert dump(target) == dump(source)
    assert export_questions_csv(target) == exported
    assert exported.startswith("\ufeff" + HEADER) and "'=1+1" in exported
