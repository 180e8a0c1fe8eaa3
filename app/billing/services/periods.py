"""Subscription periods and states: calendar months, grace, row locks and the shared transitions
used by both the user's actions (`subscriptions`) and the scheduled tasks (`lifecycle`)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.billing.models import Payment, Plan, Subscription
from app.billing.services.entitlements import grace_period
from app.core.errors import NotFound
from app.core.models import as_utc, utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id


def clock(now: datetime | None) -> datetime:
    """The given time as aware UTC, or the current time."""
    return as_utc(now) or utcnow()


def add_months(value: datetime, months: int) -> datetime:
    """`value` plus calendar months, the day clamped to the month's length (Jan 31 + 1 = Feb 28/29)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def status_id(code: str) -> int:
    """The id of a `subscription_status` value."""
    return require_lookup_id("subscription_status", code)


def payment_status_id(code: str) -> int:
    """The id of a `payment_status` value."""
    return require_lookup_id("payment_status", code)


def is_status(subscription: Subscription, code: str) -> bool:
    """True when the subscription has this status."""
    return subscription.status_id == status_id(code)


def locked(subscription: Subscription | int, *, skip_locked: bool = False) -> Subscription | None:
    """The subscription row locked until the commit, with its current values (two workers, or a
    worker and the user, never move the same subscription at once). None when skipped or gone."""
    subscription_id = subscription if isinstance(subscription, int) else subscription.id
    return db.session.scalar(
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update(of=Subscription, skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )


def require_locked(subscription: Subscription | int) -> Subscription:
    """`locked`, or NotFound."""
    row = locked(subscription)
    if row is None:
        raise NotFound()
    return row


def current_subscription(user_id: int) -> Subscription | None:
    """The user's current subscription (trial, active or suspended), live or not."""
    return db.session.scalar(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.is_current.is_(True))
    )


def grace_ends_at(subscription: Subscription) -> datetime:
    """When access ends if the period is not paid: the period end plus BILLING_GRACE_DAYS."""
    return as_utc(subscription.current_period_end) + grace_period()


def in_grace(subscription: Subscription, now: datetime | None = None) -> bool:
    """True while an active subscription's period has ended unpaid but access continues."""
    now = clock(now)
    return (
        subscription.is_current
        and is_status(subscription, "active")
        and as_utc(subscription.current_period_end) <= now < grace_ends_at(subscription)
    )


def next_period(subscription: Subscription, plan: Plan) -> tuple[datetime, datetime]:
    """The period after the current one: from its end, one cycle long, keeping the anchor day
    (Jan 31 → Feb 28 → Mar 31, not Mar 28)."""
    start, end = as_utc(subscription.current_period_start), as_utc(subscription.current_period_end)
    months = plan.cycle_months
    if not is_status(subscription, "trial") and add_months(start, months) == end:
        return end, add_months(start, 2 * months)
    return end, add_months(end, months)


def plan_of(subscription: Subscription) -> Plan:
    """The subscription's plan as its `plan_id` says now (the relationship may predate a change)."""
    return db.session.get(Plan, subscription.plan_id)


def advance(subscription: Subscription) -> None:
    """Move a (locked) subscription to its next paid period: active from the previous end (a
    suspended one stays suspended: only an admin's resume lifts a suspension)."""
    subscription.current_period_start, subscription.current_period_end = next_period(
        subscription, plan_of(subscription)
    )
    if not is_status(subscription, "suspended"):
        subscription.status_id = status_id("active")


def period_key(subscription: Subscription) -> str:
    """The current period end as stored in payment details (to recognise the period a payment paid)."""
    return as_utc(subscription.current_period_end).isoformat()


def _pays_current_period(subscription: Subscription, payment: Payment) -> bool:
    """True when the payment paid (part of) the current period, by what it says it paid for."""
    details = payment.details or {}
    if payment.purpose == "renewal":
        return details.get("period_start") == as_utc(subscription.current_period_start).isoformat()
    if payment.purpose == "upgrade":
        return details.get("period_end") == period_key(subscription)
    # The first payment pays the first period (a trial's first charge is a renewal).
    return as_utc(subscription.started_at) == as_utc(subscription.current_period_start)


def completed_payments(subscription: Subscription) -> list[Payment]:
    """The completed payments of the subscription's current period, oldest first."""
    rows = db.session.scalars(
        select(Payment)
        .where(
            Payment.subscription_id == subscription.id,
            Payment.status_id == payment_status_id("completed"),
        )
        .order_by(Payment.paid_at, Payment.id)
    )
    return [p for p in rows if _pays_current_period(subscription, p)]


def provider_of(subscription: Subscription) -> str:
    """The gateway that charged this subscription last (renewals and upgrades are charged there)."""
    provider = db.session.scalar(
        select(Payment.provider)
        .where(
            Payment.subscription_id == subscription.id,
            Payment.status_id == payment_status_id("completed"),
        )
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
        .limit(1)
    )
    return provider or "sandbox"


def remaining_fraction(subscription: Subscription, now: datetime, since: datetime | None = None) -> Decimal:
    """The unused share of the period (from `since`, default its start) at `now`, between 0 and 1."""
    start = as_utc(since) or as_utc(subscription.current_period_start)
    end = as_utc(subscription.current_period_end)
    total = (end - start).total_seconds()
    if total <= 0:
        return Decimal(0)
    left = min(max((end - now).total_seconds(), 0.0), total)
    return Decimal(str(left)) / Decimal(str(total))


def one_cycle(start: datetime, plan: Plan) -> tuple[datetime, datetime]:
    """A period of one billing cycle of the plan from `start`."""
    return start, add_months(start, plan.cycle_months)


def trial_window(start: datetime, plan: Plan) -> tuple[datetime, datetime]:
    """The trial period of the plan from `start`."""
    return start, start + timedelta(days=plan.trial_days)
