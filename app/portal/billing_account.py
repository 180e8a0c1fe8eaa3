"""Portal account pages of billing: My subscription (auto-renew, change plan, cancel with a
confirmation step) and My payments with invoice downloads.

Routes only: every rule lives in `app.billing.services`; errors are flashed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select

from app.billing.models import Invoice, Payment, Plan, Subscription
from app.billing.services import features, invoices, payments, subscriptions
from app.billing.services.periods import (
    clock,
    completed_payments,
    current_subscription,
    grace_ends_at,
    in_grace,
    is_status,
    plan_of,
)
from app.core.errors import AppError
from app.core.models import as_utc
from app.core.money import money_html, money_text
from app.courses.services import open_subscription_enrollments
from app.extensions import db
from app.lookups.services import values_of
from app.portal.billing import (
    LIMIT_KIND,
    active_plans,
    describe_date,
    gateway_code,
    login_redirect,
    plan_by_code,
    price_per_cycle,
    to_checkout,
)
from app.portal.courses import _user
from app.portal.views import portal

WHEN = ("period_end", "now")


def _page() -> str:
    return url_for("portal.my_subscription")


def _mine(user: Any) -> Subscription | None:
    """The user's current subscription, or None (then a message is flashed)."""
    subscription = current_subscription(user.id)
    if subscription is None:
        flash(_("You have no subscription. Choose a plan to start one."), "info")
    return subscription


# ---- my subscription ------------------------------------------------------------------------------
def _allowances(user_id: int, plan: Plan) -> list[dict[str, Any]]:
    """Each feature of the plan with its allowance and what is left of it in this period."""
    values = {v.feature_id: v for v in plan.features if v.enabled and not v.is_deleted}
    rows = []
    for feature in values_of("plan_features"):
        value = values.get(feature.id)
        if value is None:
            continue
        limited = (feature.meta or {}).get("kind") == LIMIT_KIND and value.limit_value is not None
        left = None
        if limited and feature.code == "course_access":  # courses open at a time, not uses per period
            left = max(value.limit_value - open_subscription_enrollments(user_id), 0)
        elif limited:
            left = features.limit_left(user_id, feature.code)
        rows.append(
            {
                "code": feature.code,
                "name": feature.name,
                "limit": format_number(value.limit_value) if limited else None,
                "left": None if left is None else format_number(left),
                "is_limit": (feature.meta or {}).get("kind") == LIMIT_KIND,
            }
        )
    return rows


def _choices(subscription: Subscription, plan: Plan) -> list[dict[str, Any]]:
    """The other plans to change to, each said as an upgrade (charged now) or a later change."""
    trial = is_status(subscription, "trial")
    mine = subscriptions.monthly_price(plan)
    rows = []
    for other in active_plans():
        if other.id == plan.id:
            continue
        upgrade = not trial and subscriptions.monthly_price(other) > mine and other.currency == plan.currency
        charge = subscriptions.proration(subscription, other, clock(None)) if upgrade else None
        rows.append(
            {
                "plan": other,
                "price": price_per_cycle(other),
                "upgrade": upgrade,
                "charge": money_text(charge, other.currency) if charge else None,
                "pending": subscription.pending_plan_id == other.id,
            }
        )
    return rows


def _view(user: Any, subscription: Subscription) -> dict[str, Any]:
    plan = plan_of(subscription)
    pending = db.session.get(Plan, subscription.pending_plan_id) if subscription.pending_plan_id else None
    return {
        "subscription": subscription,
        "plan": plan,
        "price": price_per_cycle(plan),
        "status": subscription.status.name,
        "status_code": subscription.status.code,
        "period_start": as_utc(subscription.current_period_start),
        "period_end": as_utc(subscription.current_period_end),
        "trial_ends_at": as_utc(subscription.trial_ends_at) if is_status(subscription, "trial") else None,
        "in_grace": in_grace(subscription),
        "grace_ends_at": grace_ends_at(subscription),
        "pending_plan": pending,
        "allowances": _allowances(user.id, plan),
        "choices": _choices(subscription, plan),
    }


def _last_ended(user_id: int) -> Subscription | None:
    return db.session.scalar(
        select(Subscription)
        .where(Subscription.user_id == user_id, Subscription.is_current.is_(False))
        .order_by(Subscription.ended_at.desc().nullslast(), Subscription.id.desc())
        .limit(1)
    )


@portal.route("/my/subscription")
def my_subscription() -> Any:
    """The learner's subscription: plan, status, period, grace, renewal, changes and allowances."""
    user = _user()
    if user is None:
        return login_redirect(_page())
    subscription = current_subscription(user.id)
    return render_template(
        "portal/my_subscription.html",
        view=_view(user, subscription) if subscription is not None else None,
        last=_last_ended(user.id) if subscription is None else None,
    )


@portal.route("/my/subscription/auto-renew", methods=["POST"])
def auto_renew() -> Response:
    """Switch automatic renewal on or off (on also withdraws a cancellation at the period end)."""
    user = _user()
    if user is None:
        return login_redirect(_page())
    subscription = _mine(user)
    if subscription is None:
        return redirect(url_for("portal.plans"))
    on = request.form.get("on") == "1"
    try:
        subscription = subscriptions.set_auto_renew(user, subscription, on)
    except AppError as error:
        flash(error.message, "danger")
        return redirect(_page())
    end = describe_date(as_utc(subscription.current_period_end))
    if on:
        flash(_("Automatic renewal is on. Your subscription renews on %(date)s.", date=end), "success")
    else:
        flash(_("Automatic renewal is off. Your subscription ends on %(date)s.", date=end), "success")
    return redirect(_page())


@portal.route("/my/subscription/renew", methods=["POST"])
def renew_subscription() -> Response:
    """In the grace period: pay the renewal by hand (to the checkout)."""
    user = _user()
    if user is None:
        return login_redirect(_page())
    subscription = _mine(user)
    if subscription is None:
        return redirect(url_for("portal.plans"))
    try:
        payment = subscriptions.renew_now(user, subscription, provider=gateway_code())
    except AppError as error:
        flash(error.message, "danger")
        return redirect(_page())
    return to_checkout(payment)


@portal.route("/my/subscription/change", methods=["POST"])
def change_plan() -> Response:
    """Upgrade now (charging the rest of the period) or change to another plan from the next period."""
    user = _user()
    if user is None:
        return login_redirect(_page())
    subscription = _mine(user)
    if subscription is None:
        return redirect(url_for("portal.plans"))
    code = request.form.get("plan", "")
    mine = plan_of(subscription)
    # The current plan may have left sale: choosing it again still withdraws a scheduled change.
    plan = mine if code == mine.code else plan_by_code(code)
    if plan is None:
        flash(_("This plan is not available."), "danger")
        return redirect(_page())
    was = subscription.plan_id
    try:
        subscription, payment = subscriptions.change_plan(user, subscription, plan)
    except AppError as error:
        flash(error.message, "danger")
        return redirect(_page())
    _flash_change(subscription, plan, payment, was)
    return redirect(_page())


def _flash_change(subscription: Subscription, plan: Plan, payment: Payment | None, was: int) -> None:
    """Say what the plan change did."""
    if payment is not None and payments.is_status(payment, "failed"):
        flash(
            _("Your payment for %(plan)s was declined, so your plan did not change.", plan=plan.name),
            "danger",
        )
    elif payment is not None and payments.is_status(payment, "pending"):
        flash(_("Your upgrade to %(plan)s applies once its payment is confirmed.", plan=plan.name), "info")
    elif payment is not None:
        amount = money_text(payment.amount, payment.currency)
        flash(_("You are now on %(plan)s. We charged %(amount)s.", plan=plan.name, amount=amount), "success")
    elif plan.id == was:
        flash(_("The scheduled plan change is cancelled. You stay on %(plan)s.", plan=plan.name), "success")
    elif subscription.pending_plan_id == plan.id:
        day = describe_date(as_utc(subscription.current_period_end))
        flash(_("Your plan changes to %(plan)s on %(date)s.", plan=plan.name, date=day), "success")
    else:
        flash(_("You are now on %(plan)s.", plan=plan.name), "success")


def _refund_now(subscription: Subscription) -> tuple[str, Decimal]:
    """The refund policy and what cancelling now would give back (by the policy, to the cent)."""
    policy = current_app.config.get("BILLING_REFUND_POLICY", "prorated")
    total = Decimal("0.00")
    try:
        for payment in completed_payments(subscription):
            total += subscriptions.refund_amount(subscription, payment, policy, clock(None))
    except ValueError:  # a misconfigured policy: explained as none, the service refuses the cancel
        return "none", total
    return policy, total


@portal.route("/my/subscription/cancel", methods=["GET", "POST"])
def cancel_subscription() -> Any:
    """Cancel at the period end or now: a confirmation page (with the refund policy), then the post."""
    user = _user()
    if user is None:
        return login_redirect(_page())
    subscription = _mine(user)
    if subscription is None:
        return redirect(url_for("portal.plans"))
    when = request.values.get("when")
    when = when if when in WHEN else "period_end"
    if request.method == "GET" or request.form.get("confirm") != "1":
        policy, refund = _refund_now(subscription)
        currency = plan_of(subscription).currency
        return render_template(
            "portal/cancel_subscription.html",
            subscription=subscription,
            plan=plan_of(subscription),
            when=when,
            policy=policy,
            refund=money_text(refund, currency) if refund > 0 else None,
            trial=is_status(subscription, "trial"),
            period_end=as_utc(subscription.current_period_end),
        )
    _policy, refund = _refund_now(subscription) if when == "now" else ("", Decimal("0"))
    currency = plan_of(subscription).currency
    try:
        subscription = subscriptions.cancel(user, subscription, at_period_end=when == "period_end")
    except AppError as error:
        flash(error.message, "danger")
        return redirect(_page())
    if when == "period_end":
        day = describe_date(as_utc(subscription.current_period_end))
        flash(_("Your subscription ends on %(date)s. You keep access until then.", date=day), "success")
    elif refund > 0:
        amount = money_text(refund, currency)
        flash(_("Your subscription is cancelled. %(amount)s will be refunded.", amount=amount), "success")
    else:
        flash(_("Your subscription is cancelled."), "success")
    return redirect(_page())


# ---- my payments ----------------------------------------------------------------------------------
def _method(payment: Payment) -> str:
    labels = {"card": _("Card"), "manual": _("Bank transfer or cash"), "free": _("No charge")}
    method = labels.get(payment.method, payment.method) if payments.is_status(payment, "completed") else ""
    return f"{method} ({_('sandbox')})" if method and payment.provider == "sandbox" else method


@portal.route("/my/payments")
def my_payments() -> Any:
    """The learner's payment history and invoices."""
    user = _user()
    if user is None:
        return login_redirect(url_for("portal.my_payments"))
    rows = [
        {
            "payment": payment,
            "date": payment.paid_at or payment.created_at,
            "what": payments.describe(payment),
            "amount": money_html(payment.amount, payment.currency),
            "refunded": money_html(payment.refunded_amount, payment.currency)
            if payment.refunded_amount
            else None,
            "status": payment.status.name,
            "status_code": payment.status.code,
            "method": _method(payment),
        }
        for payment in db.session.scalars(
            select(Payment)
            .where(Payment.user_id == user.id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        )
    ]
    bills = [
        {
            "invoice": invoice,
            "total": money_html(invoice.total, invoice.currency),
            "ready": invoice.media_id is not None,
        }
        for invoice in invoices.user_invoices(user.id)
        if not invoice.is_deleted
    ]
    return render_template("portal/payments.html", rows=rows, invoices=bills)


@portal.route("/my/invoices/<int:invoice_id>/download")
def download_invoice(invoice_id: int) -> Response:
    """To a fresh signed link of the learner's own invoice PDF (404 for anyone else's)."""
    user = _user()
    if user is None:
        return login_redirect(url_for("portal.my_payments"))
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.is_deleted or invoice.user_id != user.id:
        abort(404)
    back = url_for("portal.my_payments")
    if invoice.media_id is None:
        flash(_("The invoice PDF is being prepared. Please try again in a moment."), "info")
        return redirect(back)
    try:
        return redirect(invoices.download_url(user, invoice))
    except AppError as error:
        flash(error.message, "danger")
        return redirect(back)
