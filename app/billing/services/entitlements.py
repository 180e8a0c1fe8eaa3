"""What a subscription gives now: whether it is live (trial, active, or active within the grace
period after its end), and what its plan allows. The courses module asks through `use_subscriptions`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from app.billing.models import Plan, PlanFeature, Subscription
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import lookup_id


def grace_period() -> timedelta:
    """How long access continues after an unpaid period end (BILLING_GRACE_DAYS)."""
    return timedelta(days=int(current_app.config.get("BILLING_GRACE_DAYS", 3)))


def live_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """Current subscriptions that give access now: a trial until its end, an active one until the
    end of its grace period."""
    now = now or utcnow()
    return and_(
        Subscription.is_current.is_(True),
        Subscription.current_period_start <= now,
        or_(
            and_(
                Subscription.status_id == lookup_id("subscription_status", "trial"),
                Subscription.current_period_end > now,
            ),
            and_(
                Subscription.status_id == lookup_id("subscription_status", "active"),
                Subscription.current_period_end > now - grace_period(),
            ),
        ),
    )


def feature_clause(code: str) -> ColumnElement[bool]:
    """The subscription's plan has the feature switched on."""
    return exists().where(
        PlanFeature.plan_id == Subscription.plan_id,
        PlanFeature.enabled.is_(True),
        PlanFeature.is_deleted.is_(False),
        PlanFeature.feature_id == lookup_id("plan_features", code),
    )


def live_subscription(user_id: int, now: datetime | None = None) -> Subscription | None:
    """The user's subscription that gives access now, if any."""
    return db.session.scalar(select(Subscription).where(Subscription.user_id == user_id, live_clause(now)))


def opens_courses(user_id: int) -> bool:
    """The user's live subscription's plan includes course access."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Subscription.user_id == user_id, live_clause(), feature_clause("course_access")
                )
            )
        )
    )


def course_subscriber_ids() -> Select[Any]:
    """Ids of the users whose live subscription includes course access."""
    return select(Subscription.user_id).where(live_clause(), feature_clause("course_access"))


def plan_feature(plan: Plan, code: str) -> PlanFeature | None:
    """The plan's value for a feature (None: the plan does not have it)."""
    return db.session.scalar(
        select(PlanFeature).where(
            PlanFeature.plan_id == plan.id, PlanFeature.feature_id == lookup_id("plan_features", code)
        )
    )
