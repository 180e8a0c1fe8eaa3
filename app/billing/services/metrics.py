"""Revenue metrics (PRD 7.2) from subscriptions, payments and the audit log: MRR, active
subscriptions by plan, trial conversion, churn, LTV, upgrade and downgrade rates, purchases against
subscriptions. Every figure is computed for a window ending at `now` (a controllable clock)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.audit.models import AuditLog
from app.billing.models import Payment, Plan, Subscription
from app.billing.services.entitlements import live_clause
from app.core.models import as_utc, cents, utcnow
from app.extensions import db
from app.lookups.services import lookup_id

SUBSCRIPTION_PURPOSES = ("subscription", "renewal", "upgrade")


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """A percentage to two decimals, None when there is nothing to divide by."""
    return cents(Decimal(part) * 100 / Decimal(whole)) if whole else None


def monthly_price(plan: Plan) -> Decimal:
    """A plan's price per month (an annual plan's price over twelve)."""
    return Decimal(plan.price) / max(plan.cycle_months, 1)


@dataclass
class RevenueMetrics:
    """The dashboard's figures for one window."""

    since: datetime
    until: datetime
    mrr: Decimal
    active_by_plan: dict[str, dict[str, int]] = field(default_factory=dict)
    trials_started: int = 0
    trials_converted: int = 0
    trial_conversion: Decimal | None = None
    churned: int = 0
    current_at_start: int = 0
    churn_rate: Decimal | None = None
    revenue: Decimal = Decimal("0")
    paying_users: int = 0
    arpu: Decimal | None = None
    ltv: Decimal | None = None
    upgrades: int = 0
    downgrades: int = 0
    upgrade_rate: Decimal | None = None
    downgrade_rate: Decimal | None = None
    purchases: int = 0
    subscription_payments: int = 0
    purchase_share: Decimal | None = None

    def rows(self) -> list[tuple[str, Any]]:
        """(metric, value) pairs, the CSV's lines."""
        return [
            ("since", self.since.isoformat()),
            ("until", self.until.isoformat()),
            ("mrr", self.mrr),
            ("trials_started", self.trials_started),
            ("trials_converted", self.trials_converted),
            ("trial_conversion_percent", self.trial_conversion),
            ("current_at_start", self.current_at_start),
            ("churned", self.churned),
            ("churn_percent", self.churn_rate),
            ("revenue", self.revenue),
            ("paying_users", self.paying_users),
            ("arpu", self.arpu),
            ("ltv", self.ltv),
            ("upgrades", self.upgrades),
            ("downgrades", self.downgrades),
            ("upgrade_percent", self.upgrade_rate),
            ("downgrade_percent", self.downgrade_rate),
            ("course_purchases", self.purchases),
            ("subscription_payments", self.subscription_payments),
            ("purchase_percent", self.purchase_share),
            *(
                (f"active_{code}_{state}", count)
                for code, states in self.active_by_plan.items()
                for state, count in states.items()
            ),
        ]


def _live_subscriptions(now: datetime) -> list[Subscription]:
    return list(db.session.scalars(select(Subscription).where(live_clause(now))))


def _plan_changes(since: datetime, until: datetime) -> tuple[int, int]:
    """(upgrades, downgrades) in the window: subscription plan changes recorded by the audit log,
    an upgrade when the new plan costs more per month."""
    rows = db.session.execute(
        select(AuditLog.old_values, AuditLog.new_values).where(
            AuditLog.entity_type == "subscription",
            AuditLog.created_at >= since,
            AuditLog.created_at < until,
            AuditLog.action_id == lookup_id("audit_actions", "updated"),
        )
    )
    prices = {plan.id: monthly_price(plan) for plan in db.session.scalars(select(Plan))}
    upgrades = downgrades = 0
    for old, new in rows:
        if not old or not new or "plan_id" not in new or old.get("plan_id") in (None, new["plan_id"]):
            continue
        before, after = prices.get(old["plan_id"]), prices.get(new["plan_id"])
        if before is None or after is None:
            continue
        if after > before:
            upgrades += 1
        elif after < before:
            downgrades += 1
    return upgrades, downgrades


def revenue_metrics(days: int = 30, now: datetime | None = None) -> RevenueMetrics:
    """The figures of the last `days` days."""
    until = now or utcnow()
    since = until - timedelta(days=days)
    active_status, trial_status = (lookup_id("subscription_status", code) for code in ("active", "trial"))
    live = _live_subscriptions(until)
    by_plan: dict[str, Counter[str]] = {}
    mrr = Decimal("0")
    for sub in live:
        state = "trial" if sub.status_id == trial_status else "active"
        by_plan.setdefault(sub.plan.code, Counter())[state] += 1
        if sub.status_id == active_status:
            mrr += monthly_price(sub.plan)
    metrics = RevenueMetrics(
        since=since,
        until=until,
        mrr=cents(mrr),
        active_by_plan={code: dict(counter) for code, counter in sorted(by_plan.items())},
    )
    completed = lookup_id("payment_status", "completed")
    refunded = lookup_id("payment_status", "refunded")
    paid = and_(
        Payment.status_id.in_([completed, refunded]), Payment.paid_at >= since, Payment.paid_at < until
    )
    # Trials started in the window, and those that went on to a paid period.
    trials = list(
        db.session.scalars(
            select(Subscription.id).where(
                Subscription.trial_ends_at.is_not(None),
                Subscription.started_at >= since,
                Subscription.started_at < until,
            )
        )
    )
    metrics.trials_started = len(trials)
    metrics.trials_converted = (
        int(
            db.session.scalar(
                select(func.count(func.distinct(Payment.subscription_id))).where(
                    Payment.subscription_id.in_(trials), Payment.status_id.in_([completed, refunded])
                )
            )
            or 0
        )
        if trials
        else 0
    )
    metrics.trial_conversion = _ratio(metrics.trials_converted, metrics.trials_started)
    # Churn: subscriptions current when the window began that ended inside it.
    current_at_start = or_(Subscription.ended_at.is_(None), Subscription.ended_at >= since)
    started_before = Subscription.started_at < since
    metrics.current_at_start = int(
        db.session.scalar(select(func.count(Subscription.id)).where(started_before, current_at_start)) or 0
    )
    metrics.churned = int(
        db.session.scalar(
            select(func.count(Subscription.id)).where(
                started_before, Subscription.ended_at >= since, Subscription.ended_at < until
            )
        )
        or 0
    )
    metrics.churn_rate = _ratio(metrics.churned, metrics.current_at_start)
    revenue, payers = db.session.execute(
        select(
            func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0),
            func.count(func.distinct(Payment.user_id)),
        ).where(paid)
    ).one()
    metrics.revenue, metrics.paying_users = cents(revenue), int(payers)
    metrics.arpu = cents(Decimal(revenue) / payers) if payers else None
    if metrics.arpu is not None and metrics.churn_rate:
        metrics.ltv = cents(metrics.arpu * 100 / metrics.churn_rate)
    metrics.upgrades, metrics.downgrades = _plan_changes(since, until)
    base = metrics.current_at_start or len(live)
    metrics.upgrade_rate = _ratio(metrics.upgrades, base)
    metrics.downgrade_rate = _ratio(metrics.downgrades, base)
    counts = dict(
        db.session.execute(
            select(Payment.purpose, func.count(Payment.id)).where(paid).group_by(Payment.purpose)
        )
        .tuples()
        .all()
    )
    metrics.purchases = counts.get("course", 0)
    metrics.subscription_payments = sum(counts.get(purpose, 0) for purpose in SUBSCRIPTION_PURPOSES)
    metrics.purchase_share = _ratio(metrics.purchases, metrics.purchases + metrics.subscription_payments)
    return metrics


def metrics_csv(metrics: RevenueMetrics) -> str:
    """The figures as CSV (metric, value)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    for name, value in metrics.rows():
        writer.writerow([name, "" if value is None else value])
    return out.getvalue()


@dataclass
class DayRevenue:
    """Net revenue (after refunds) of one UTC day, subscriptions and course purchases apart."""

    day: date
    subscriptions: Decimal
    purchases: Decimal


def revenue_by_day(days: int = 30, now: datetime | None = None) -> list[DayRevenue]:
    """Net revenue of each of the last `days` UTC days up to and including today, oldest first."""
    until = as_utc(now or utcnow())
    first = until.date() - timedelta(days=max(days, 1) - 1)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    statuses = [lookup_id("payment_status", code) for code in ("completed", "refunded")]
    rows = db.session.execute(
        select(Payment.paid_at, Payment.purpose, Payment.amount - Payment.refunded_amount).where(
            Payment.status_id.in_(statuses), Payment.paid_at >= start, Payment.paid_at <= until
        )
    )
    series = {
        first + timedelta(days=i): DayRevenue(first + timedelta(days=i), Decimal("0"), Decimal("0"))
        for i in range((until.date() - first).days + 1)
    }
    for paid_at, purpose, net in rows:
        entry = series.get(as_utc(paid_at).date())
        if entry is None:
            continue
        if purpose == "course":
            entry.purchases += Decimal(net)
        else:
            entry.subscriptions += Decimal(net)
    for entry in series.values():
        entry.subscriptions, entry.purchases = cents(entry.subscriptions), cents(entry.purchases)
    return list(series.values())
