"""Subscriptions (cancel now or at the period end, suspend with a reason, resume), payments (mark
manual ones paid, refund) and the providers' webhook deliveries. Rows change only through the
billing services."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.billing.models import Payment, Subscription, WebhookEvent
from app.billing.services import payments, subscriptions, suspension
from app.billing.views_base import (
    ACTION_ROUTES,
    COMMON_LABELS,
    PURPOSE_LABELS,
    READ_ROUTES,
    BillingModelView,
    label_formatter,
    run_service,
)
from app.core.display import code_formatter
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView, each_item

SUBSCRIPTION_LABELS = {
    **COMMON_LABELS,
    "is_current": _l("Current"),
    "started_at": _l("Started"),
    "current_period_start": _l("Period start"),
    "current_period_end": _l("Period end"),
    "trial_ends_at": _l("Trial ends"),
    "auto_renew": _l("Auto-renewal"),
    "cancel_at_period_end": _l("Cancels at period end"),
    "pending_plan": _l("Next plan (downgrade)"),
    "cancelled_at": _l("Cancelled"),
    "ended_at": _l("Ended"),
    "reminded_for": _l("Reminder sent for"),
    "suspended_at": _l("Suspended"),
    "suspension_reason": _l("Suspension reason"),
}
PAYMENT_LABELS = {
    **COMMON_LABELS,
    "purpose": _l("Purpose"),
    "subscription": _l("Subscription"),
    "method": _l("Method"),
    "provider": _l("Provider"),
    "transaction_id": _l("Transaction id"),
    "idempotency_key": _l("Idempotency key"),
    "paid_at": _l("Paid"),
    "refunded_amount": _l("Refunded amount"),
    "refunded_at": _l("Refunded"),
    "failure_reason": _l("Failure reason"),
    "details": _l("Details"),
}
WEBHOOK_LABELS = {
    **COMMON_LABELS,
    "provider": _l("Provider"),
    "event_id": _l("Event id"),
    "event_type": _l("Event type"),
    "payload": _l("Payload"),
    "deliveries": _l("Deliveries"),
    "processed_at": _l("Processed"),
    "created_at": _l("Received"),
}


class SubscriptionModelView(BillingModelView):
    """Every subscription: plan, status, period, renewal; admins cancel now or at the period end, and
    suspend (with a reason) or resume one; a row's page offers only the actions its state allows."""

    datamodel = SQLAInterface(Subscription)
    class_permission_name = "SubscriptionAdmin"
    include_route_methods = READ_ROUTES | ACTION_ROUTES | {"suspend_form"}
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "cancel_now": "cancel",
        "cancel_at_period_end": "cancel",
        "suspend_action": "suspend",
        "suspend_form": "suspend",
        "resume_action": "resume",
    }
    list_title = _l("Subscriptions")
    show_title = _l("Subscription")
    label_columns = SUBSCRIPTION_LABELS
    list_columns = [
        "user",
        "plan",
        "status",
        "is_current",
        "current_period_end",
        "auto_renew",
        "cancel_at_period_end",
    ]
    show_columns = [
        "user",
        "plan",
        "status",
        "is_current",
        "started_at",
        "current_period_start",
        "current_period_end",
        "trial_ends_at",
        "auto_renew",
        "cancel_at_period_end",
        "pending_plan",
        "cancelled_at",
        "ended_at",
        "reminded_for",
        "suspended_at",
        "suspension_reason",
        "created_at",
        "updated_at",
    ]
    search_columns = [
        "user",
        "plan",
        "status",
        "is_current",
        "started_at",
        "current_period_end",
        "auto_renew",
        "cancel_at_period_end",
    ]
    base_order = ("started_at", "desc")

    @action(
        "cancel_now",
        _l("Cancel now"),
        _l("End the selected subscriptions now? Access ends and payments are refunded by the refund policy."),
        "fa-ban",
    )
    def cancel_now(self, items: Any) -> Any:
        """End the subscriptions at once (refunds follow BILLING_REFUND_POLICY)."""
        count = each_item(items, lambda sub: subscriptions.cancel(g.user, sub, at_period_end=False))
        if count:
            flash(gettext("%(count)d subscription(s) cancelled.", count=count), "success")
        return self.back()

    @action(
        "cancel_at_period_end",
        _l("Cancel at period end"),
        _l("Stop the selected subscriptions from renewing? Access continues until the period ends."),
        "fa-hourglass-end",
    )
    def cancel_at_period_end(self, items: Any) -> Any:
        """Stop renewal; access continues until the period ends."""
        count = each_item(items, lambda sub: subscriptions.cancel(g.user, sub, at_period_end=True))
        if count:
            flash(
                gettext("%(count)d subscription(s) will end at the end of their period.", count=count),
                "success",
            )
        return self.back()

    # The show page offers only what the subscription's state allows (an ended one allows none).
    row_actions = {
        "cancel_now": lambda sub: sub.is_current,
        "cancel_at_period_end": lambda sub: sub.is_current and not sub.cancel_at_period_end,
        "suspend": suspension.can_suspend,
        "resume": suspension.can_resume,
    }

    @action("suspend", _l("Suspend"), None, "fa-pause", multiple=False)
    def suspend_action(self, item: Subscription) -> Any:
        """Open the form that asks for the reason."""
        return redirect(url_for(".suspend_form", pk=item.id))

    @expose("/suspend/<int:pk>", methods=["GET", "POST"])
    @has_access
    def suspend_form(self, pk: int) -> Any:
        """Suspend a current subscription with a reason the learner sees: access stops until resumed."""
        subscription = self._get_scoped(pk)
        if subscription is None:
            abort(404)
        status = 200
        if request.method == "POST":
            reason = request.form.get("reason", "")
            ok, _done = run_service(suspension.suspend, g.user, subscription, reason)
            if ok:
                flash(gettext("The subscription was suspended."), "success")
                return redirect(url_for(".show", pk=pk))
            status = 422
        return (
            self.render_template(
                "billing/subscription_suspend.html", subscription=subscription, limit=suspension.REASON_LIMIT
            ),
            status,
        )

    @action(
        "resume",
        _l("Resume"),
        _l("Resume this subscription? Its access opens again."),
        "fa-play",
        multiple=False,
    )
    def resume_action(self, item: Subscription) -> Any:
        """Lift the suspension: the subscription is trial or active again."""
        ok, _done = run_service(suspension.resume, g.user, item)
        if ok:
            flash(gettext("The subscription was resumed."), "success")
        return redirect(url_for(".show", pk=item.id))


class PaymentModelView(BillingModelView):
    """Every payment: purpose, amount, status, provider; admins mark manual ones paid and refund."""

    datamodel = SQLAInterface(Payment)
    class_permission_name = "PaymentAdmin"
    include_route_methods = READ_ROUTES | ACTION_ROUTES | {"mark_paid_form", "refund_form"}
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "mark_paid_action": "mark_paid",
        "mark_paid_form": "mark_paid",
        "refund_action": "refund",
        "refund_form": "refund",
    }
    list_title = _l("Payments")
    show_title = _l("Payment")
    label_columns = PAYMENT_LABELS
    list_columns = [
        "created_at",
        "user",
        "purpose",
        "amount",
        "currency",
        "status",
        "provider",
        "transaction_id",
        "paid_at",
    ]
    show_columns = [
        "user",
        "purpose",
        "plan",
        "course",
        "subscription",
        "amount",
        "currency",
        "status",
        "method",
        "provider",
        "transaction_id",
        "idempotency_key",
        "paid_at",
        "refunded_amount",
        "refunded_at",
        "failure_reason",
        "details",
        "created_at",
        "updated_at",
    ]
    search_columns = [
        "status",
        "purpose",
        "provider",
        "paid_at",
        "created_at",
        "user",
        "transaction_id",
        "method",
        "amount",
    ]
    base_order = ("created_at", "desc")
    formatters_columns = {
        "provider": code_formatter("gateway"),
        "method": code_formatter("payment_method"),
        "purpose": label_formatter(PURPOSE_LABELS),
    }

    def _payment(self, pk: int) -> Payment:
        payment = self._get_scoped(pk)
        if payment is None:
            abort(404)
        return payment

    @action("mark_paid", _l("Mark paid"), None, "fa-check", multiple=False)
    def mark_paid_action(self, item: Payment) -> Any:
        """Open the form that asks for the bank or receipt reference."""
        return redirect(url_for(".mark_paid_form", pk=item.id))

    @action("refund", _l("Refund"), None, "fa-undo", multiple=False)
    def refund_action(self, item: Payment) -> Any:
        """Open the form that asks how much to give back."""
        return redirect(url_for(".refund_form", pk=item.id))

    @expose("/mark_paid/<int:pk>", methods=["GET", "POST"])
    @has_access
    def mark_paid_form(self, pk: int) -> Any:
        """Confirm a manual payment (bank transfer, cash) with its reference: it completes and fulfils."""
        payment = self._payment(pk)
        status = 200
        if request.method == "POST":
            reference = request.form.get("transaction_id", "")
            ok, _paid = run_service(payments.mark_paid, g.user, payment, reference)
            if ok:
                flash(gettext("The payment was marked paid."), "success")
                return redirect(url_for(".show", pk=pk))
            status = 422
        return (
            self.render_template("billing/payment_mark_paid.html", payment=payment),
            status,
        )

    @expose("/refund/<int:pk>", methods=["GET", "POST"])
    @has_access
    def refund_form(self, pk: int) -> Any:
        """Give back all of a completed payment, or an amount of it, through its gateway."""
        payment = self._payment(pk)
        status = 200
        if request.method == "POST":
            amount = (request.form.get("amount") or "").strip() or None
            ok, _refunded = run_service(payments.refund_payment, payment, amount, actor=g.user)
            if ok:
                flash(gettext("The refund was made."), "success")
                return redirect(url_for(".show", pk=pk))
            status = 422
        return (
            self.render_template("billing/payment_refund.html", payment=payment),
            status,
        )


class WebhookEventModelView(BillingModelView):
    """Providers' webhook deliveries, read-only: each event once, how often it came, when applied."""

    datamodel = SQLAInterface(WebhookEvent)
    class_permission_name = "WebhookEventAdmin"
    include_route_methods = READ_ROUTES
    list_title = _l("Webhook deliveries")
    show_title = _l("Webhook delivery")
    label_columns = WEBHOOK_LABELS
    list_columns = ["created_at", "provider", "event_id", "event_type", "deliveries", "processed_at"]
    show_columns = [*list_columns, "payload", "updated_at"]
    search_columns = ["provider", "event_id", "event_type", "processed_at", "created_at"]
    formatters_columns = {"provider": code_formatter("gateway")}
    base_order = ("created_at", "desc")
