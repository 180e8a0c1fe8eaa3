"""Public payment routes: provider webhooks (`POST /api/v1/payment/webhook/<provider>`, no login, no
CSRF: the signature authenticates) and the sandbox provider's hosted checkout page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.billing import gateways
from app.billing.services import checkout, payments
from app.billing.services.payment_webhooks import handle_webhook
from app.core.errors import Invalid, NotFound
from app.core.money import money_html
from app.core.transactions import transaction

billing_hooks = Blueprint("billing_hooks", __name__)


@billing_hooks.route("/api/v1/payment/webhook/<provider>", methods=["POST"])
def payment_webhook(provider: str) -> Response:
    """A provider's event: 200 once stored (`processed` says whether it was applied), else 4xx JSON."""
    body = request.get_data(cache=False)  # the exact bytes the signature covers
    with transaction():  # the request's one commit: the event, the payment, what it buys, the invoice
        event = handle_webhook(provider, request.headers, body)
    return jsonify(
        {
            "received": True,
            "event": event.event_id,
            "type": event.event_type,
            "processed": event.processed_at is not None,
            "deliveries": event.deliveries,
        }
    )


@billing_hooks.route("/billing/sandbox/checkout/<token>", methods=["GET", "POST"])
def sandbox_checkout(token: str) -> Any:
    """The sandbox's hosted payment page: the amount, what is bought, "Pay" and "Decline"."""
    if not (current_user and current_user.is_authenticated):
        return redirect(url_for("AuthDBView.login", next=request.full_path.rstrip("?")))
    sandbox = gateways.sandbox()
    payment = payments.payment_by_uuid(sandbox.payment_uuid(token), "sandbox")
    if payment.user_id != current_user.id:  # the link is the buyer's own
        raise NotFound(_("No such payment."))
    if payments.is_status(payment, "pending") and not payments.price_still_holds(payment):
        payment = payments.fail_payment(payment, "superseded: the price or the plan changed")
        flash(_("The price has changed since this checkout was started: please start again."), "warning")
    if request.method == "POST":
        action = request.form.get("action")
        if action not in ("pay", "decline"):
            raise Invalid(_("Choose Pay or Decline."))
        if payments.is_status(payment, "pending"):
            if action == "pay":
                sandbox.pay(payment)
                payment = payments.payment_by_uuid(payment.uuid)
                if payments.is_status(payment, "completed"):
                    # Straight to what was bought, with one message: that page shows the rest.
                    flash(_("Payment received. Thank you!"), "success")
                    return redirect(checkout.after_payment_url(payment))
                flash(_("The payment could not be completed."), "danger")
            else:
                sandbox.decline(payment)  # the page says it was declined: no second message
        elif payments.is_status(payment, "completed"):  # a second click: it is paid already
            flash(_("This payment is already settled."), "info")
            return redirect(checkout.after_payment_url(payment))
        return redirect(url_for("billing_hooks.sandbox_checkout", token=token))  # no re-post on reload
    return render_template(
        "portal/sandbox_checkout.html",
        payment=payment,
        token=token,
        description=payments.describe(payment),
        amount=money_html(payment.amount, payment.currency),
        state=_state(payment),
        back_url=checkout.after_payment_url(payment),
    )


def _state(payment: Any) -> str:
    for code in ("pending", "completed", "failed", "refunded"):
        if payments.is_status(payment, code):
            return code
    return "pending"


def register_routes(app: Flask) -> None:
    """Mount the blueprint; the webhook alone skips CSRF (the signature authenticates it)."""
    app.extensions["csrf"].exempt(payment_webhook)  # Flask-WTF's CSRFProtect, set up by create_app
    app.register_blueprint(billing_hooks)
