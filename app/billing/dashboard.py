"""Dashboard panels of billing, for admins: revenue today, failed payments, subscriptions in grace."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import format_number, get_timezone, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.billing.models import Payment, Subscription
from app.billing.services.entitlements import grace_period
from app.billing.services.periods import payment_status_id, status_id
from app.core.dashboard import DashboardRow, Panel, person_name
from app.core.models import utcnow
from app.core.money import money_text
from app.core.targets import is_admin
from app.extensions import db

ROWS = 5


def _start_of_today() -> datetime:
    """Midnight of today in the viewer's time zone."""
    local = utcnow().astimezone(get_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def revenue_today(user: Any) -> Panel | None:
    """Completed payments since midnight, per currency (refunds not deducted)."""
    if not is_admin(user):
        return None
    totals = db.session.execute(
        select(Payment.currency, func.sum(Payment.amount), func.count(Payment.id))
        .where(Payment.status_id == payment_status_id("completed"), Payment.paid_at >= _start_of_today())
        .group_by(Payment.currency)
        .order_by(Payment.currency)
    ).all()
    figures = [money_text(amount, currency) for currency, amount, _count in totals]
    rows = [
        DashboardRow(gettext("%(count)s payments in %(currency)s", count=format_number(n), currency=currency))
        for currency, _amount, n in totals
    ]
    return Panel(
        gettext("Revenue today"),
        " · ".join(figures) or format_number(0),
        rows,
        url_for("PaymentModelView.list"),
        gettext("No payment completed today."),
    )


def failed_payments(user: Any) -> Panel | None:
    """Payments that failed in the last seven days, newest first."""
    if not is_admin(user):
        return None
    failed = (Payment.status_id == payment_status_id("failed")) & (
        Payment.created_at >= utcnow() - timedelta(days=7)
    )
    count = db.session.scalar(select(func.count(Payment.id)).where(failed)) or 0
    payments = db.session.scalars(
        select(Payment)
        .where(failed)
        .options(joinedload(Payment.user))
        .order_by(Payment.created_at.desc())
        .limit(ROWS)
    )
    return Panel(
        gettext("Failed payments this week"),
        format_number(count),
        [
            DashboardRow(
                person_name(payment.user),
                url_for("PaymentModelView.show", pk=payment.id),
                money_text(payment.amount, payment.currency),
            )
            for payment in payments
        ],
        url_for("PaymentModelView.list"),
        gettext("No payment failed this week."),
    )


def subscriptions_in_grace(user: Any) -> Panel | None:
    """Active subscriptions whose period ended unpaid and whose grace period still runs."""
    if not is_admin(user):
        return None
    now = utcnow()
    in_grace = (
        Subscription.is_current.is_(True)
        & (Subscription.status_id == status_id("active"))
        & (Subscription.current_period_end <= now)
        & (Subscription.current_period_end > now - grace_period())
    )
    count = db.session.scalar(select(func.count(Subscription.id)).where(in_grace)) or 0
    subscriptions = db.session.scalars(
        select(Subscription)
        .where(in_grace)
        .options(joinedload(Subscription.user))
        .order_by(Subscription.current_period_end)
        .limit(ROWS)
    )
    return Panel(
        gettext("Subscriptions in grace"),
        format_number(count),
        [
            DashboardRow(
                person_name(subscription.user), url_for("SubscriptionModelView.show", pk=subscription.id)
            )
            for subscription in subscriptions
        ],
        url_for("SubscriptionModelView.list"),
        gettext("No subscription is in its grace period."),
    )
