"""The subscription lifecycle as the user drives it: subscribe (trial or paid), change plan (upgrade
now with proration, downgrade at the period end), cancel (at the end, or now with a refund), auto
renewal; and what happens when a subscription's payment completes. The scheduled side (renewals,
expiry, reminders) is in `lifecycle` and re-exported here."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.billing.models import Payment, Plan, Subscription
from app.billing.services import checkout, payments
from app.billing.services.lifecycle import expire_due, remind_due, renew_due, renewal_payment
from app.billing.services.periods import (
    advance,
    clock,
    completed_payments,
    current_subscription,
    grace_ends_at,
    in_grace,
    is_status,
    one_cycle,
    period_key,
    plan_of,
    provider_of,
    remaining_fraction,
    require_locked,
    status_id,
    trial_window,
)
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import as_utc, cents
from app.core.targets import is_admin
from app.core.transactions import unique_insert
from app.courses.services import expire_subscription_enrollments
from app.extensions import db
from app.security.services import require_verified_email

log = logging.getLogger(__name__)

REFUND_POLICIES = ("full", "prorated", "none")

__all__ = [
    "activate_from_payment",
    "cancel",
    "change_plan",
    "expire_due",
    "grace_ends_at",
    "in_grace",
    "proration",
    "refund_amount",
    "remind_due",
    "renew_due",
    "renewal_paid",
    "set_auto_renew",
    "subscribe",
    "upgrade_paid",
]


# ---- checks ---------------------------------------------------------------------------------------
def _require_owner(user: Any, subscription: Subscription) -> None:
    if getattr(user, "id", None) != subscription.user_id and not is_admin(user):
        raise Forbidden(_("This is not your subscription."))


def _require_current(subscription: Subscription) -> None:
    if not subscription.is_current:
        raise Conflict(_("This subscription has already ended."))


def _require_not_suspended(user: Any, subscription: Subscription) -> None:
    """A suspended subscription is changed (or refunded) by an admin only, not by its learner."""
    if is_status(subscription, "suspended") and not is_admin(user):
        raise Conflict(_("Your subscription is suspended: contact us to have it resumed."))


def _require_active_plan(plan: Plan) -> None:
    if plan is None or plan.is_deleted or not plan.is_active:
        raise Invalid(_("This plan is not available."))


def had_trial(user_id: int) -> bool:
    """True once the user has had a trial (one per user, ever; deleted rows count too)."""
    query = select(exists().where(Subscription.user_id == user_id, Subscription.trial_ends_at.is_not(None)))
    return bool(db.session.scalar(query.execution_options(include_deleted=True)))


def plan_names(plan: Plan) -> dict[str, str]:
    """The plan's name in each language (kept in payment details for the invoice)."""
    return {lang: (values or {}).get("name", "") for lang, values in (plan.translations or {}).items()}


def monthly_price(plan: Plan) -> Decimal:
    """The plan's price per month, to compare plans of different cycles."""
    return Decimal(plan.price) / plan.cycle_months


# ---- subscribing ----------------------------------------------------------------------------------
def _new_subscription(user_id: int, plan: Plan, status: str, start: datetime, end: datetime) -> Subscription:
    subscription = Subscription(
        user_id=user_id,
        plan_id=plan.id,
        status_id=status_id(status),
        is_current=True,
        started_at=start,
        current_period_start=start,
        current_period_end=end,
        trial_ends_at=end if status == "trial" else None,
        auto_renew=True,
    )
    # The partial unique index (one current subscription per user) settles two tabs subscribing at once.
    with unique_insert(_("You already have a subscription. Change your plan instead.")):
        db.session.add(subscription)
    return subscription


def subscribe(
    user: Any,
    plan: Plan,
    *,
    provider: str = "sandbox",
    now: datetime | None = None,
    return_to: str | None = None,
) -> tuple[Subscription | None, Payment | None]:
    """Start a trial now (once per user), or a pending payment whose completion activates the plan.

    `return_to`: the same-site page the checkout sends the buyer back to once paid (others are dropped).
    """
    now = clock(now)
    require_verified_email(user)
    _require_active_plan(plan)
    if current_subscription(user.id) is not None:
        raise Conflict(_("You already have a subscription. Change your plan instead."))
    if plan.trial_days > 0 and not had_trial(user.id):
        subscription = _new_subscription(user.id, plan, "trial", *trial_window(now, plan))
        return subscription, None
    if Decimal(plan.price) == 0:  # a free plan needs no checkout
        subscription = _new_subscription(user.id, plan, "active", *one_cycle(now, plan))
        return subscription, None
    payment = payments.start_payment(
        user,
        purpose="subscription",
        amount=cents(plan.price),
        currency=plan.currency,
        # One key per attempt: a new checkout after an abandoned one is a new payment.
        idempotency_key=f"subscribe:{user.id}:{plan.id}:{uuid.uuid4().hex}",
        details={
            "plan": plan.code,
            "plan_name": plan_names(plan),
            "cycle_months": plan.cycle_months,
            **({checkout.RETURN_KEY: back} if (back := checkout.return_path(return_to)) else {}),
        },
        plan=plan,
        provider=provider,
    )
    return None, payment


def activate_from_payment(payment: Payment, now: datetime | None = None) -> Subscription:
    """A completed subscription payment: the active subscription for one period from the payment
    time (once per payment; a second call returns the same subscription). The steps run when a
    payment completes only flush: the payment's transaction commits."""
    row = db.session.scalar(
        select(Payment)
        .where(Payment.id == payment.id)
        .with_for_update(of=Payment)
        .execution_options(populate_existing=True)
    )
    if row.subscription_id is not None:
        return db.session.get(Subscription, row.subscription_id)
    plan = db.session.get(Plan, row.plan_id)
    start = as_utc(row.paid_at) or clock(now)
    current = current_subscription(row.user_id)
    if current is None:
        try:
            subscription = _new_subscription(row.user_id, plan, "active", *one_cycle(start, plan))
        except Conflict:
            # Another payment of the user created it meanwhile (checkouts paid at the same moment):
            # this money is then applied to that subscription, or refunded, never dropped.
            current = current_subscription(row.user_id)
            if current is None:
                raise
    if current is not None:
        # Paid twice (two tabs, or a trial meanwhile): the money buys one more period of the current
        # one, but only a period of the plan it paid for at that plan's price; anything else is refunded.
        subscription = require_locked(current)
        log.warning("Payment %s paid for user %s who already had a subscription", row.id, row.user_id)
        if is_status(subscription, "trial"):
            subscription.plan_id = plan.id
            subscription.current_period_start, subscription.current_period_end = one_cycle(start, plan)
            subscription.status_id = status_id("active")
        elif subscription.plan_id == plan.id and row.amount >= plan.price and row.currency == plan.currency:
            advance(subscription)
        else:
            payments.refund_payment(row)
            return subscription
    row.subscription_id = subscription.id
    db.session.flush()
    return subscription


def renewal_paid(payment: Payment, now: datetime | None = None) -> Subscription | None:
    """A completed renewal (or trial conversion): the next period from the previous end. Once per
    period: the payment names the period end it pays, so a second call changes nothing."""
    if payment.subscription_id is None:
        return None
    subscription = require_locked(payment.subscription_id)
    renews = (payment.details or {}).get("renews")  # the period end it was charged at
    if subscription.is_current and renews in (None, period_key(subscription)):
        advance(subscription)
    elif is_status(subscription, "expired") and current_subscription(subscription.user_id) is None:
        # Paid after the grace period had ended it: the user paid for a period, so it starts now.
        subscription.current_period_start, subscription.current_period_end = one_cycle(
            as_utc(payment.paid_at) or clock(now), plan_of(subscription)
        )
        subscription.status_id = status_id("active")
        subscription.is_current, subscription.ended_at = True, None
    db.session.flush()
    return subscription


def upgrade_paid(payment: Payment, now: datetime | None = None) -> Subscription | None:
    """A completed upgrade charge: the new plan from now on, the period unchanged (once)."""
    if payment.subscription_id is None or payment.plan_id is None:
        return None
    subscription = require_locked(payment.subscription_id)
    if subscription.is_current and subscription.plan_id != payment.plan_id:
        subscription.plan_id = payment.plan_id
        subscription.pending_plan_id = None
    db.session.flush()
    return subscription


def apply_payment(payment: Payment, now: datetime | None = None) -> None:
    """Receiver of `signals.payment_completed`: the subscription step the payment pays for, if any."""
    step = {"subscription": activate_from_payment, "renewal": renewal_paid, "upgrade": upgrade_paid}
    if payment.purpose in step:
        step[payment.purpose](payment, now)


# ---- changing plans -------------------------------------------------------------------------------
def proration(subscription: Subscription, plan: Plan, now: datetime) -> Decimal:
    """What an upgrade costs for the rest of the period: the new plan's price for this period's length
    minus the old one's, times the unused share of the period; never negative, to the cent."""
    now = clock(now)
    old = plan_of(subscription)
    new_price = Decimal(plan.price) * old.cycle_months / plan.cycle_months
    difference = new_price - Decimal(old.price)
    return max(cents(difference * remaining_fraction(subscription, now)), Decimal("0.00"))


def renew_now(
    user: Any, subscription: Subscription, *, provider: str = "sandbox", now: datetime | None = None
) -> Payment:
    """In the grace period, after the automatic charge failed: a renewal payment the learner pays
    through the checkout (paying it moves the period on, as an automatic renewal would)."""
    now = clock(now)
    _require_owner(user, subscription)
    subscription = require_locked(subscription)
    _require_current(subscription)
    if not is_status(subscription, "active") or as_utc(subscription.current_period_end) > now:
        raise Conflict(_("This subscription does not need renewing now."))
    return renewal_payment(
        subscription, plan_of(subscription), attempt=f":by-hand:{uuid.uuid4().hex}", provider=provider
    )


def change_plan(
    user: Any, subscription: Subscription, plan: Plan, *, now: datetime | None = None
) -> tuple[Subscription, Payment | None]:
    """Upgrade now (charging the proration) or downgrade at the period end (pending); choosing the
    current plan again cancels a pending downgrade. Returns the subscription and the charge, if any
    (check its status: a declined card leaves the old plan)."""
    now = clock(now)
    _require_owner(user, subscription)
    subscription = require_locked(subscription)
    _require_current(subscription)
    _require_not_suspended(user, subscription)
    if plan.id == subscription.plan_id:
        if subscription.pending_plan_id is None:
            raise Invalid(_("You are already on this plan."))
        subscription.pending_plan_id = None
        db.session.flush()
        return subscription, None
    _require_active_plan(plan)
    if as_utc(subscription.current_period_end) <= now and not is_status(subscription, "trial"):
        # In the grace period the period is unpaid: an upgrade would cost nothing (no time is left to
        # prorate) and a pending renewal at the old price would then pay for the new plan.
        raise Conflict(_("Your last renewal is unpaid: renew your subscription before changing plan."))
    old = plan_of(subscription)
    if is_status(subscription, "trial"):
        # Nothing is paid during a trial: the trial simply continues on the other plan.
        subscription.plan_id, subscription.pending_plan_id = plan.id, None
        db.session.flush()
        return subscription, None
    if monthly_price(plan) <= monthly_price(old) or plan.currency != old.currency:
        subscription.pending_plan_id = plan.id  # from the next period; a later choice replaces it
        db.session.flush()
        return subscription, None
    amount = proration(subscription, plan, now)
    if amount == 0:
        subscription.plan_id, subscription.pending_plan_id = plan.id, None
        db.session.flush()
        return subscription, None
    provider = provider_of(subscription)
    # The subscription stays locked across the gateway call: a second change waits for this one.
    payment = payments.start_payment(
        subscription.user,
        purpose="upgrade",
        amount=amount,
        currency=plan.currency,
        idempotency_key=f"upgrade:{subscription.id}:{plan.id}:{uuid.uuid4().hex}",
        details={
            "from": old.code,
            "to": plan.code,
            "from_plan_id": old.id,
            "proration": str(amount),
            "period_start": now.isoformat(),
            "period_end": period_key(subscription),
        },
        plan=plan,
        subscription=subscription,
        provider=provider,
    )
    payment = payments.charge_now(payment)
    db.session.refresh(subscription)
    return subscription, payment


# ---- cancelling -----------------------------------------------------------------------------------
def refund_amount(subscription: Subscription, payment: Payment, policy: str, now: datetime) -> Decimal:
    """What a cancellation now gives back of one payment of the period: all of it (`full`), the unused
    share of the time it paid for (`prorated`, to the cent), or nothing (`none`)."""
    if policy not in REFUND_POLICIES:
        raise ValueError(f"BILLING_REFUND_POLICY must be one of {REFUND_POLICIES}, not {policy!r}")
    available = Decimal(payment.amount) - Decimal(payment.refunded_amount or 0)
    if policy == "none" or available <= 0:
        return Decimal("0.00")
    if policy == "full":
        return cents(available)
    # An upgrade charge paid for the time from the upgrade; a period's payment for the whole period.
    upgraded = (payment.details or {}).get("period_start") if payment.purpose == "upgrade" else None
    since = datetime.fromisoformat(upgraded) if upgraded else None
    share = cents(Decimal(payment.amount) * remaining_fraction(subscription, clock(now), since))
    return min(share, cents(available))


def cancel(
    user: Any, subscription: Subscription, *, at_period_end: bool = True, now: datetime | None = None
) -> Subscription:
    """Cancel at the period end (access continues until then) or now (access ends, the period's
    payments refunded per BILLING_REFUND_POLICY)."""
    now = clock(now)
    _require_owner(user, subscription)
    subscription = require_locked(subscription)
    _require_current(subscription)
    if not at_period_end:
        _require_not_suspended(user, subscription)
    if at_period_end:
        if not subscription.cancel_at_period_end:
            subscription.cancel_at_period_end, subscription.cancelled_at = True, now
        db.session.flush()
        return subscription
    policy = current_app.config.get("BILLING_REFUND_POLICY", "prorated")
    refunds = [(p, refund_amount(subscription, p, policy, now)) for p in completed_payments(subscription)]
    subscription.status_id = status_id("cancelled")
    subscription.is_current = False
    subscription.cancelled_at = subscription.ended_at = now
    subscription.pending_plan_id = None
    db.session.flush()
    # One transaction with the refunds: a second cancel waits on the lock above and then finds it
    # ended (409), so nothing is refunded twice; a failing gateway cancels nothing (try again).
    for payment, amount in refunds:
        if amount > 0:
            payments.refund_payment(payment, amount)
    expire_subscription_enrollments(subscription.user_id)
    return subscription


def set_auto_renew(user: Any, subscription: Subscription, on: bool) -> Subscription:
    """Switch automatic renewal; switching it on also withdraws a cancellation at the period end."""
    _require_owner(user, subscription)
    subscription = require_locked(subscription)
    _require_current(subscription)
    subscription.auto_renew = bool(on)
    if on and subscription.cancel_at_period_end:
        subscription.cancel_at_period_end, subscription.cancelled_at = False, None
    db.session.flush()
    return subscription
