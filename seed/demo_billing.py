"""Demo plans: Basic, Premium and Enterprise with their features (idempotent by plan code)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.billing.models import Plan, PlanFeature
from app.extensions import db
from app.lookups.services import require_lookup_id

# code, (name en, name ar), (description en, description ar), price, cycle, trial days,
# features {code: limit (None: unlimited)}; a feature not listed is not in the plan.
PLANS: list[tuple[Any, ...]] = [
    (
        "basic",
        ("Basic", "الأساسية"),
        ("Every subscription course, 10 downloads a month.", "جميع دورات الاشتراك و10 تنزيلات شهريًا."),
        Decimal("9.99"),
        "monthly",
        7,
        {"course_access": 5, "downloads": 10, "event_registrations": 2},
    ),
    (
        "premium",
        ("Premium", "المميزة"),
        (
            "Unlimited courses, certificates, chat and premium content.",
            "دورات بلا حدود وشهادات ومحادثات ومحتوى مميز.",
        ),
        Decimal("24.99"),
        "monthly",
        7,
        {
            "course_access": None,
            "premium_content": None,
            "chat_access": None,
            "downloads": 100,
            "certificates": None,
            "event_registrations": 10,
        },
    ),
    (
        "enterprise",
        ("Enterprise", "المؤسسات"),
        (
            "Everything, priority support and job postings, billed yearly.",
            "كل الميزات مع دعم ذي أولوية ونشر الوظائف، بفوترة سنوية.",
        ),
        Decimal("499.00"),
        "annual",
        0,
        {
            "course_access": None,
            "premium_content": None,
            "chat_access": None,
            "downloads": None,
            "certificates": None,
            "priority_support": None,
            "job_postings": 20,
            "event_registrations": None,
        },
    ),
]


def seed_demo_billing() -> int:
    """Create the demo plans that do not exist yet; returns how many were created."""
    created = 0
    for position, (code, names, descriptions, price, cycle, trial, features) in enumerate(PLANS, start=1):
        if db.session.scalar(select(Plan.id).where(Plan.code == code)) is not None:
            continue
        plan = Plan(
            code=code,
            translations={
                "en": {"name": names[0], "description": descriptions[0]},
                "ar": {"name": names[1], "description": descriptions[1]},
            },
            price=price,
            billing_cycle_id=require_lookup_id("billing_cycles", cycle),
            trial_days=trial,
            sort_order=position * 10,
        )
        db.session.add(plan)
        db.session.flush()
        for feature, limit in features.items():
            db.session.add(
                PlanFeature(
                    plan_id=plan.id, feature_id=require_lookup_id("plan_features", feature), limit_value=limit
                )
            )
        created += 1
    db.session.commit()
    return created
