"""Factories of the billing module for tests and benchmarks (call inside an app context; all commit)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.billing.models import Plan, PlanFeature, Subscription
from app.billing.services.periods import add_months
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser

_counter = itertools.count(1)

DEFAULT_FEATURES: dict[str, int | None] = {"course_access": None, "downloads": 10}


def make_plan(
    code: str | None = None,
    price: Any = "10",
    cycle: str = "monthly",
    trial_days: int = 0,
    features: dict[str, int | None] | None = None,
    *,
    name: str | None = None,
    currency: str = "USD",
    is_active: bool = True,
    disabled: tuple[str, ...] = (),
) -> Plan:
    """A committed plan with English and Arabic names and its features ({code: limit or None});
    features named in `disabled` are present but switched off."""
    n = next(_counter)
    code = code or f"plan-{n}"
    name = name or code.replace("-", " ").title()
    plan = Plan(
        code=code,
        translations={"en": {"name": name}, "ar": {"name": f"{name} (ع)"}},
        price=Decimal(str(price)),
        currency=currency,
        billing_cycle_id=require_lookup_id("billing_cycles", cycle),
        trial_days=trial_days,
        is_active=is_active,
        sort_order=n,
    )
    db.session.add(plan)
    db.session.flush()
    chosen = DEFAULT_FEATURES if features is None else features
    for feature, limit in {**chosen, **dict.fromkeys(disabled)}.items():
        db.session.add(
            PlanFeature(
                plan_id=plan.id,
                feature_id=require_lookup_id("plan_features", feature),
                enabled=feature not in disabled,
                limit_value=limit,
            )
        )
    db.session.commit()
    return plan


def make_subscription(
    user: LmsUser | int,
    plan: Plan,
    status: str = "active",
    start: datetime | None = None,
    end: datetime | None = None,
    **fields: Any,
) -> Subscription:
    """A committed current subscription written directly (no payment): one cycle (or the trial) from
    `start` (default now) unless `end` is given."""
    user_id = user if isinstance(user, int) else user.id
    start = start or utcnow()
    if end is None:
        end = (
            start + timedelta(days=plan.trial_days or 14)
            if status == "trial"
            else add_months(start, plan.cycle_months)
        )
    subscription = Subscription(
        user_id=user_id,
        plan_id=plan.id,
        status_id=require_lookup_id("subscription_status", status),
        is_current=fields.pop("is_current", status in ("trial", "active", "suspended")),
        started_at=fields.pop("started_at", start),
        current_period_start=start,
        current_period_end=end,
        trial_ends_at=fields.pop("trial_ends_at", end if status == "trial" else None),
        **fields,
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription
