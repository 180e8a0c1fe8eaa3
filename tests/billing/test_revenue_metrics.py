"""Revenue metrics (PRD 7.2) computed from known subscriptions, payments and plan changes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.billing.models import Payment
from app.billing.services.metrics import metrics_csv, revenue_metrics
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.billing_factories import make_plan, make_subscription
from tests.factories import make_user

NOW = utcnow()


def _paid(user, purpose: str, amount: str, days_ago: int, **fields) -> Payment:
    payment = Payment(
        user_id=user.id,
        purpose=purpose,
        amount=Decimal(amount),
        currency="USD",
        status_id=require_lookup_id("payment_status", "completed"),
        provider="manual",
        idempotency_key=f"test:{user.id}:{purpose}:{amount}:{days_ago}:{fields}",
        paid_at=NOW - timedelta(days=days_ago),
        **fields,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def test_figures_of_a_known_month(ctx: None) -> None:
    monthly, annual = make_plan(price="10"), make_plan(price="120", cycle="annual")
    trial_plan = make_plan(price="20", trial_days=14)
    a, b, c, d, e = (make_user("Student") for _ in range(5))
    make_subscription(a, monthly, start=NOW - timedelta(days=40), end=NOW + timedelta(days=20))
    make_subscription(b, annual, start=NOW - timedelta(days=100), end=NOW + timedelta(days=265))
    # A trial started in the window that converted (a paid renewal), and one that did not.
    converted = make_subscription(c, trial_plan, status="trial", start=NOW - timedelta(days=10))
    make_subscription(d, trial_plan, status="trial", start=NOW - timedelta(days=5))
    # A subscriber of before the window who left inside it: churn 1 of 3 current at the start.
    make_subscription(
        e,
        monthly,
        status="expired",
        start=NOW - timedelta(days=60),
        end=NOW - timedelta(days=10),
        is_current=False,
        ended_at=NOW - timedelta(days=7),
    )
    _paid(a, "renewal", "10", 5)
    _paid(c, "renewal", "20", 2, subscription_id=converted.id)
    _paid(e, "course", "30", 3)
    metrics = revenue_metrics(30, now=NOW)
    assert metrics.mrr == Decimal("20.00")  # 10 a month + 120 a year; trials count for nothing
    assert metrics.active_by_plan[monthly.code] == {"active": 1}
    assert metrics.active_by_plan[trial_plan.code] == {"trial": 2}
    assert (metrics.trials_started, metrics.trials_converted, metrics.trial_conversion) == (
        2,
        1,
        Decimal("50.00"),
    )
    assert (metrics.current_at_start, metrics.churned) == (3, 1)
    assert metrics.churn_rate == Decimal("33.33")
    assert (metrics.revenue, metrics.paying_users, metrics.arpu) == (Decimal("60.00"), 3, Decimal("20.00"))
    assert metrics.ltv == Decimal("60.01")  # ARPU / churn: 20 / 0.3333
    assert (metrics.purchases, metrics.subscription_payments, metrics.purchase_share) == (
        1,
        2,
        Decimal("33.33"),
    )
    csv_text = metrics_csv(metrics)
    assert csv_text.splitlines()[0] == "metric,value" and "mrr,20.00" in csv_text


def test_upgrades_and_downgrades_come_from_plan_changes(ctx: None) -> None:
    cheap, dear = make_plan(price="10"), make_plan(price="30")
    up, down = make_user("Student"), make_user("Student")
    upgraded = make_subscription(up, cheap, start=NOW - timedelta(days=40))
    downgraded = make_subscription(down, dear, start=NOW - timedelta(days=40))
    upgraded.plan_id, downgraded.plan_id = dear.id, cheap.id  # audited as updates of plan_id
    db.session.commit()
    metrics = revenue_metrics(30, now=utcnow() + timedelta(seconds=1))
    assert (metrics.upgrades, metrics.downgrades) == (1, 1)
    assert metrics.upgrade_rate == metrics.downgrade_rate == Decimal("50.00")
