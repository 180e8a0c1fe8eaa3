"""Bilingual demo courses with sections, lessons and text content (idempotent by slug)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.core.models import utcnow
from app.courses.models import Course, CourseSection, Lesson, LessonContent
from app.extensions import appbuilder, db
from app.lookups.services import require_lookup_id

COURSES: list[dict[str, Any]] = [
    {
        "slug": "python-for-beginners",
        "en": ("Python for Beginners", "Write your first programs", "Variables, loops and functions."),
        "ar": ("بايثون للمبتدئين", "اكتب برامجك الأولى", "المتغيرات والحلقات والدوال."),
        "category": "programming",
        "level": "beginner",
        "price": Decimal("0"),
        "tags": ["python", "بايثون"],
        "instructor": "instructor",
    },
    {
        "slug": "data-analysis-with-pandas",
        "en": ("Data Analysis with Pandas", "From spreadsheets to insight", "Clean, group and plot data."),
        "ar": ("تحليل البيانات باستخدام باندا", "من الجداول إلى الرؤى", "تنظيف البيانات وتجميعها ورسمها."),
        "category": "data_science",
        "level": "intermediate",
        "price": Decimal("49.00"),
        "tags": ["pandas", "data"],
        "instructor": "instructor2",
    },
    {
        "slug": "business-english",
        "en": ("Business English", "Meetings, emails and presentations", "Speak and write at work."),
        "ar": ("الإنجليزية للأعمال", "الاجتماعات والرسائل والعروض", "تحدث واكتب بثقة في العمل."),
        "category": "languages",
        "level": "all_levels",
        "price": Decimal("29.00"),
        "tags": ["english", "الإنجليزية"],
        "instructor": "instructor",
    },
]
LESSONS = [
    ("Getting started", "البداية", [("Welcome", "مرحباً", True), ("Setting up", "الإعداد", False)]),
    (
        "Core ideas",
        "الأفكار الأساسية",
        [("First steps", "الخطوات الأولى", False), ("Practice", "تمرين", False)],
    ),
]


def _texts(title: str, subtitle: str, description: str) -> dict[str, str]:
    return {"title": title, "subtitle": subtitle, "description": f"<p>{description}</p>"}


def seed_demo_courses() -> int:
    """Create the demo courses that do not exist yet; returns how many were created."""
    created = 0
    text_type = require_lookup_id("content_types", "text")
    for spec in COURSES:
        if db.session.scalar(select(Course.id).where(Course.slug == spec["slug"])) is not None:
            continue
        instructor = appbuilder.sm.find_user(username=spec["instructor"])
        course = Course(
            slug=spec["slug"],
            translations={"en": _texts(*spec["en"]), "ar": _texts(*spec["ar"])},
            category_id=require_lookup_id("course_categories", spec["category"]),
            level_id=require_lookup_id("course_levels", spec["level"]),
            price=spec["price"],
            tags=spec["tags"],
            status_id=require_lookup_id("course_status", "published"),
            visibility_id=require_lookup_id("course_visibility", "public"),
            review_status_id=require_lookup_id("course_review_status", "approved"),
            published_at=utcnow(),
            instructors=[instructor] if instructor else [],
        )
        db.session.add(course)
        for s_pos, (s_en, s_ar, lessons) in enumerate(LESSONS, start=1):
            section = CourseSection(
                course=course, position=s_pos, translations={"en": {"title": s_en}, "ar": {"title": s_ar}}
            )
            db.session.add(section)
            for l_pos, (l_en, l_ar, preview) in enumerate(lessons, start=1):
                lesson = Lesson(
                    section=section,
                    course=course,
                    position=l_pos,
                    is_free_preview=preview,
                    content_type_id=text_type,
                    duration_minutes=10,
                    translations={"en": {"title": l_en}, "ar": {"title": l_ar}},
                )
                db.session.add(lesson)
                db.session.add(
                    LessonContent(
                        lesson=lesson,
                        kind_id=text_type,
                        position=1,
                        translations={
                            "en": {"title": l_en, "body": f"<p>{l_en}: read and practise.</p>"},
                            "ar": {"title": l_ar, "body": f"<p>{l_ar}: اقرأ وتدرّب.</p>"},
                        },
                    )
                )
        created += 1
    db.session.commit()
    return created
