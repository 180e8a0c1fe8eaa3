"""Bilingual demo assessments for the Python course: a question bank, a timed quiz, an assignment
with a rubric, and completion with certificates (idempotent: skipped when the bank exists)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.assessments.models import (
    Assignment,
    CourseCompletion,
    Question,
    QuestionBank,
    QuestionOption,
    Quiz,
    QuizQuestion,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from app.courses.models import Course, Lesson
from app.extensions import appbuilder, db
from app.lookups.services import require_lookup_id

COURSE_SLUG = "python-for-beginners"
BANK_TITLE = ("Python basics", "أساسيات بايثون")

# (type, (en, ar), points, options [(en, ar, correct)], accepted answers)
QUESTIONS: list[tuple[str, tuple[str, str], int, list[tuple[str, str, bool]], list[str]]] = [
    (
        "multiple_choice",
        ("Which keyword defines a function?", "ما الكلمة المفتاحية التي تعرّف دالة؟"),
        2,
        [("def", "def", True), ("func", "func", False), ("lambda only", "lambda فقط", False)],
        [],
    ),
    (
        "true_false",
        (
            "Python lists can hold values of different types.",
            "يمكن لقوائم بايثون أن تحمل قيمًا من أنواع مختلفة.",
        ),
        1,
        [("True", "صواب", True), ("False", "خطأ", False)],
        [],
    ),
    (
        "short_answer",
        ("Which built-in function prints text?", "ما الدالة المدمجة التي تطبع النص؟"),
        2,
        [],
        ["print", "print()"],
    ),
    (
        "essay",
        (
            "Explain in a few lines when you would use a loop.",
            "اشرح في بضعة أسطر متى تستخدم الحلقة التكرارية.",
        ),
        5,
        [],
        [],
    ),
]


def _tr(en: str, ar: str, field: str = "title") -> dict[str, Any]:
    return {"en": {field: en}, "ar": {field: ar}}


def seed_demo_assessments() -> int:
    """Create the demo assessments when missing; returns how many courses were given some."""
    course = db.session.scalar(select(Course).where(Course.slug == COURSE_SLUG))
    instructor = appbuilder.sm.find_user(username="instructor")
    if course is None or instructor is None:
        return 0
    if db.session.scalar(select(QuestionBank.id).where(QuestionBank.course_id == course.id)) is not None:
        return 0
    bank = QuestionBank(owner_id=instructor.id, course_id=course.id, translations=_tr(*BANK_TITLE))
    db.session.add(bank)
    db.session.flush()
    questions = []
    for position, (kind, (en, ar), points, options, accepted) in enumerate(QUESTIONS):
        question = Question(
            bank_id=bank.id,
            question_type_id=require_lookup_id("quiz_question_types", kind),
            translations=_tr(en, ar, "text"),
            points=Decimal(points),
            accepted_answers=accepted,
            tags=["basics"],
            position=position,
        )
        db.session.add(question)
        db.session.flush()
        for o_position, (o_en, o_ar, correct) in enumerate(options):
            db.session.add(
                QuestionOption(
                    question_id=question.id,
                    translations=_tr(o_en, o_ar, "text"),
                    is_correct=correct,
                    position=o_position,
                )
            )
        questions.append(question)
    last_lesson = db.session.scalar(
        select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id.desc()).limit(1)
    )
    quiz = Quiz(
        course_id=course.id,
        lesson_id=last_lesson.id if last_lesson else None,
        translations={
            "en": {"title": "Python basics quiz", "description": "<p>Ten minutes, three attempts.</p>"},
            "ar": {"title": "اختبار أساسيات بايثون", "description": "<p>عشر دقائق وثلاث محاولات.</p>"},
        },
        time_limit_minutes=10,
        max_attempts=3,
        pass_mark=Decimal("60"),
        shuffle_options=True,
    )
    db.session.add(quiz)
    db.session.flush()
    for position, question in enumerate(questions):
        db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=question.id, position=position))
    rubric = Rubric(owner_id=instructor.id, translations=_tr("Programming exercise", "تمرين برمجي"))
    db.session.add(rubric)
    db.session.flush()
    for c_position, (c_en, c_ar) in enumerate([("Correctness", "الصحة"), ("Readability", "الوضوح")]):
        criterion = RubricCriterion(rubric_id=rubric.id, translations=_tr(c_en, c_ar), position=c_position)
        db.session.add(criterion)
        db.session.flush()
        for l_position, (l_en, l_ar, points) in enumerate(
            [("Missing", "غير موجود", 0), ("Partial", "جزئي", 25), ("Excellent", "ممتاز", 50)]
        ):
            db.session.add(
                RubricLevel(
                    criterion_id=criterion.id,
                    translations=_tr(l_en, l_ar),
                    points=Decimal(points),
                    position=l_position,
                )
            )
    db.session.add(
        Assignment(
            course_id=course.id,
            translations={
                "en": {
                    "title": "Your first program",
                    "instructions": "<p>Write a program that greets you.</p>",
                },
                "ar": {"title": "برنامجك الأول", "instructions": "<p>اكتب برنامجًا يرحّب بك.</p>"},
            },
            rubric_id=rubric.id,
            is_required=False,
            allowed_extensions=["txt", "pdf", "zip"],
        )
    )
    db.session.add(CourseCompletion(course_id=course.id, certificate_enabled=True))
    db.session.commit()
    return 1
