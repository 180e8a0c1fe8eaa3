"""Helpers of the portal tests: a course with lessons, an enrolment, page text, JSON-LD."""

from __future__ import annotations

import json
import re
from typing import Any

from app.courses.models import Course, LessonContent
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.course_factories import (
    make_course,
    make_enrollment,
    make_lesson,
    make_section,
)
from tests.factories import make_user


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def course_with_lessons(app, **fields: Any) -> dict[str, Any]:
    """A course with one section and three lessons (a free preview first); ids and slug back."""
    with app.app_context():
        instructor = make_user("Instructor")
        course = make_course(instructors=[instructor], **fields)
        section = make_section(course, "Basics")
        preview = make_lesson(section, "Welcome", is_free_preview=True)
        second = make_lesson(section, "Variables", content_type="text")
        third = make_lesson(section, "Video time", content_type="video", duration_minutes=5)
        db.session.add(
            LessonContent(
                lesson_id=second.id,
                kind_id=require_lookup_id("content_types", "text"),
                translations={"en": {"body": "<p>Variables hold values</p><script>alert(1)</script>"}},
            )
        )
        db.session.commit()
        data = {
            "id": course.id,
            "slug": course.slug,
            "instructor": instructor.username,
            "preview": preview.id,
            "second": second.id,
            "third": third.id,
        }
        db.session.remove()
    return data


def enrol(app, user_id: int, course_id: int) -> None:
    with app.app_context():
        make_enrollment(user_id, db.session.get(Course, course_id))
        db.session.remove()


def jsonld(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


# ---- catalog ---------------------------------------------------------------------------------
