"""The scheduled side of subscriptions: charging ended periods (trial conversions and renewals),
ending those that will not renew or whose grace period is over, and reminding before an end.

Each task is idempotent and safe with several workers: every subscription is re-checked under its
row lock (rows another worker holds are skipped), and a renewal's idempotency key names the period.
Expiry commits once, at the task's end. Renewals and reminders commit each subscription on its own
(the exception to "services flush"): a charge takes money and a reminder sends an e-mail, so their
record must not wait for, or be undone by, the other subscriptions of the run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import exists, or_, select

from app.billing import notices
from app.billing.models import Payment, Plan, Subscription
from app.billing.services import payments
from app.billing.services.periods import (
    advance,
    clock,
    grace_ends_at,
    is_status,
    locked,
    next_period,
    payment_status_id,
    period_key,
    plan_of,
    provider_of,
    status_id,
)
from app.core.models import as_utc, cents
from app.courses.services import expire_subscription_enrollments
from app.extensions import db

log = logging.getLogger(__name__)


def _live_status_ids() -> list[int]:
    return [status_id("trial"), status_id("active")]


def _ids(*conditions: object) -> list[int]:
    """Ids of current trial or active subscriptions matching the conditions, oldest end first."""
    query = (
        select(Subscription.id)
        .where(
            Subscription.is_current.is_(True),
            Subscription.status_id.in_(_live_status_ids()),
            *conditions,
        )
        .order_by(Subscription.current_period_end, Subscription.id)
    )
    return list(db.session.scalars(query))


def renews(subscription: Subscription) -> bool:
    """True when the subscription is set to renew automatically."""
    return subscription.auto_renew and not subscription.cancel_at_period_end


# ---- renewals -------------------------------------------------------------------------------------
def renewal_payment(
    subscription: Subscription, plan: Plan, *, attempt: str = "", provider: str | None = None
) -> Payment:
    """The (idempotent) renewal payment of the period that just ended; `attempt` names a later try
    (the learner paying by hand after the automatic charge failed)."""
    ended = period_key(subscription)
    start, end = next_period(subscription, plan)
    return payments.start_payment(
        subscription.user,
        purpose="renewal",
        amount=cents(plan.price),
        currency=plan.currency,
        idempotency_key=f"renewal:{subscription.id}:{ended}{attempt}",
        details={
            "plan": plan.code,
            "renews": ended,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "trial_conversion": is_status(subscription, "trial"),
        },
        plan=plan,
        subscription=subscription,
        provider=provider or provider_of(subscription),
    )


def renew_due(now: datetime | None = None) -> int:
    """Charge every subscription whose period has ended and that renews automatically (a pending
    downgrade takes effect first). Returns how many were charged (or renewed free) in this run."""
    now = clock(now)
    charged = 0
    due = (Subscription.current_period_end <= now, Subscription.auto_renew.is_(True))
    for subscription_id in _ids(*due, Subscription.cancel_at_period_end.is_(False)):
        try:
            charged += _renew(subscription_id, now)
            db.session.commit()  # kept: each subscription's charge is recorded on its own (see above)
        except Exception:  # one broken subscription must not stop (or undo) the others' renewals
            log.exception("Renewing subscription %s failed", subscription_id)
            db.session.rollback()
    return charged


def _renew(subscription_id: int, now: datetime) -> int:
    """Charge one subscription's next period; 1 when charged (or renewed free) now, else 0."""
    subscription = locked(subscription_id, skip_locked=True)
    if subscription is None or not _renewal_due(subscription, now):
        return 0
    if subscription.pending_plan_id is not None:
        subscription.plan_id, subscription.pending_plan_id = subscription.pending_plan_id, None
        db.session.flush()
    plan = plan_of(subscription)
    if Decimal(plan.price) == 0:
        advance(subscription)
        return 1
    payment = renewal_payment(subscription, plan)
    # Kept: the pending payment is committed before the gateway takes money, so that a failure
    # after the charge leaves a payment the provider's webhook completes, never money without a row.
    db.session.commit()
    if payment.status_id != payment_status_id("pending"):
        return 0  # charged by an earlier run: paid (period moved) or failed (in grace)
    charged = payments.charge_now(payment)
    # A manual gateway cannot charge: the payment waits for an admin, and the next run tries again.
    return 0 if charged.status_id == payment_status_id("pending") else 1


def _renewal_due(subscription: Subscription, now: datetime) -> bool:
    return (
        subscription.is_current
        and subscription.status_id in _live_status_ids()
        and renews(subscription)
        and as_utc(subscription.current_period_end) <= now
    )


# ---- expiry ---------------------------------------------------------------------------------------
def _conversion_failed(subscription: Subscription) -> bool:
    """True when the trial's first charge was attempted and failed."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Payment.subscription_id == subscription.id,
                    Payment.purpose == "renewal",
                    Payment.status_id == payment_status_id("failed"),
                    Payment.details["renews"].as_string() == period_key(subscription),
                )
            )
        )
    )


def ending_status(subscription: Subscription, now: datetime) -> str | None:
    """How a subscription past its end ends now: 'cancelled', 'expired', or None (not yet)."""
    if not subscription.is_current or subscription.status_id not in _live_status_ids():
        return None
    end = as_utc(subscription.current_period_end)
    if end > now:
        return None
    if subscription.cancel_at_period_end:
        return "cancelled"
    if not subscription.auto_renew or now >= grace_ends_at(subscription):
        return "expired"
    # A trial has no grace: it ends as soon as its conversion charge has failed.
    if is_status(subscription, "trial") and _conversion_failed(subscription):
        return "expired"
    return None


def expire_due(now: datetime | None = None) -> int:
    """End the current subscriptions past their end that will not continue (cancelled at the period
    end, auto-renewal off, trial not converted, grace period over) and expire their subscription
    enrolments. Returns how many ended."""
    now = clock(now)
    ended: list[int] = []
    for subscription_id in _ids(Subscription.current_period_end <= now):
        subscription = locked(subscription_id, skip_locked=True)
        status = ending_status(subscription, now) if subscription is not None else None
        if status is not None:
            subscription.status_id = status_id(status)
            subscription.is_current, subscription.ended_at = False, now
            ended.append(subscription.user_id)
    db.session.flush()
    for user_id in ended:
        expire_subscription_enrollments(user_id)
    return len(ended)


# ---- reminders ------------------------------------------------------------------------------------
def _paid_before(user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Payment.user_id == user_id, Payment.status_id == payment_status_id("completed")
                )
            )
        )
    )


def needs_reminder(subscription: Subscription, now: datetime) -> bool:
    """Ends within BILLING_REMINDER_DAYS, not reminded for this period yet, and will not simply renew
    (auto-renewal off, cancelled at the period end, or a trial of a user who never paid)."""
    end = as_utc(subscription.current_period_end)
    days = int(current_app.config.get("BILLING_REMINDER_DAYS", 7))
    if not subscription.is_current or subscription.status_id not in _live_status_ids():
        return False
    if not now < end <= now + timedelta(days=days) or as_utc(subscription.reminded_for) == end:
        return False
    if not renews(subscription):
        return True
    return is_status(subscription, "trial") and not _paid_before(subscription.user_id)


def remind_due(now: datetime | None = None) -> int:
    """Tell, once per period, the subscribers whose subscription ends soon without renewing
    (`subscription_reminder`: in the app and by e-mail, in the user's language, through their
    notification preferences). Each subscription commits on its own; one that fails is logged and
    tried again on the next run. Returns how many were reminded."""
    now = clock(now)
    days = int(current_app.config.get("BILLING_REMINDER_DAYS", 7))
    window = (
        Subscription.current_period_end > now,
        Subscription.current_period_end <= now + timedelta(days=days),
        or_(
            Subscription.reminded_for.is_(None),
            Subscription.reminded_for != Subscription.current_period_end,
        ),
    )
    sent = 0
    for subscription_id in _ids(*window):
        subscription = locked(subscription_id, skip_locked=True)
        if subscription is None or not needs_reminder(subscription, now):
            continue
        end = as_utc(subscription.current_period_end)
        try:
            trial = is_status(subscription, "trial") and renews(subscription)
            notices.remind(subscription, plan_of(subscription), end, trial)
            # The row change is the audit record of the reminder (actor: the task).
            subscription.reminded_for = subscription.current_period_end
            db.session.commit()  # kept: each reminder is recorded on its own (see above)
        except Exception:
            log.exception("Subscription reminder %s failed; retried on the next run", subscription_id)
            db.session.rollback()
            continue
        sent += 1
    return sent
