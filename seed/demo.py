"""Bilingual demo content: one user per role and a few courses (idempotent; passwords shown once)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from app.extensions import appbuilder, db
from app.lookups.services import lookup_id

DEMO_USERS = [
    # username, first, last, email, role, locale, timezone
    ("instructor", "Layla", "Haddad", "instructor@example.com", "Instructor", "ar", "Asia/Riyadh"),
    (
        "instructor2",
        "James",
        "Carter",
        "instructor2@example.com",
        "Instructor",
        "en",
        "Europe/London",
    ),
    ("recruiter", "Omar", "Farouk", "recruiter@example.com", "Recruiter", "ar", "Africa/Cairo"),
    ("student", "Sara", "Mansour", "student@example.com", "Student", "ar", "Asia/Dubai"),
    ("student2", "Emily", "Brooks", "student2@example.com", "Student", "en", "UTC"),
]
# Printed on Arabic certificates (the name, and the grammatical gender of the wording).
ARABIC_PROFILES = {
    "instructor": ("ليلى حداد", "female"),
    "instructor2": ("جيمس كارتر", "male"),
    "recruiter": ("عمر فاروق", "male"),
    "student": ("سارة منصور", "female"),
    "student2": ("إميلي بروكس", "female"),
}


def seed_demo() -> dict[str, Any]:
    """Create the demo users that do not exist yet; returns their names and the passwords generated
    for them (none when `DEMO_PASSWORD` gives one: whoever set it knows it)."""
    sm = appbuilder.sm
    given = os.environ.get("DEMO_PASSWORD")
    created: list[str] = []
    passwords: dict[str, str] = {}
    active = lookup_id("user_status", "active")
    for username, first, last, email, role, locale, tz in DEMO_USERS:
        if sm.find_user(username=username) is not None:
            continue
        password = given or secrets.token_urlsafe(12)
        user = sm.add_user(
            username=username,
            first_name=first,
            last_name=last,
            email=email,
            role=sm.find_role(role),
            password=password,
        )
        if user:
            user.locale, user.timezone, user.status_id = locale, tz, active
            name_ar, gender = ARABIC_PROFILES[username]
            user.name_ar, user.gender_id = name_ar, lookup_id("genders", gender)
            db.session.commit()
            created.append(username)
            if not given:
                passwords[username] = password
    from seed.demo_assessments import seed_demo_assessments
    from seed.demo_billing import seed_demo_billing
    from seed.demo_courses import seed_demo_courses

    courses = seed_demo_courses()
    return {
        "created": created,
        "passwords": passwords,
        "courses": courses,
        "assessments": seed_demo_assessments(),
        "plans": seed_demo_billing(),
    }
