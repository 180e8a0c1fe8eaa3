"""REST API of payments (/api/v1/payment: purchase, refund, mark_paid), invoices (/api/v1/invoice,
with `download`) and webhook deliveries (/api/v1/webhook_event, admins).

Payments and invoices are read-only: users read their own (another user's is a 404), admins all.
Payments change only through the actions and the provider's webhook, the public
`POST /api/v1/payment/webhook/<provider>` (app/billing/webhooks.py: no login, the signature
authenticates it), which sits beside this resource's routes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.billing.api_base import READ_ONLY_ROUTES, BillingApiBase, json_object, text_field
from app.billing.models import Invoice, Payment, WebhookEvent
from app.billing.services import invoices, payments
from app.core.api import BaseModelRestApi
from app.core.errors import AppError, Invalid, NotFound
from app.core.interface import SQLAInterface
from app.core.targets import signed_in_user_id
from app.courses.models import Course
from app.extensions import db

SYSTEM = ["id", "uuid", "created_at", "updated_at"]
MAX_BIGINT = 2**63 - 1


def checkout_result(payment: Payment) -> dict[str, Any]:
    """What a client needs to send the buyer to pay: the payment and the provider's page (None for
    manual payments, which an admin confirms)."""
    return {
        "payment_id": payment.id,
        "checkout_url": payments.checkout_url(payment),
        "amount": str(payment.amount),
        "currency": payment.currency,
        "provider": payment.provider,
    }


def _checkout_url(payment: Payment) -> str | None:
    """The buyer's checkout page, or None when its provider is switched off (the row still shows)."""
    try:
        return payments.checkout_url(payment)
    except AppError:
        return None


def _course(value: Any) -> Course:
    """The course a body names (422 for a value that is not an id, 404 for no such course)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_BIGINT:
        raise Invalid(_("Give the id of a course."), {"course_id": [_("Not an id.")]})
    course = db.session.get(Course, value)
    if course is None:
        raise NotFound(_("No such course."))
    return course


def _amount(body: dict[str, Any]) -> Any:
    """The refund amount of a body: None for all that is left, else a number (422 otherwise)."""
    value = body.get("amount")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise Invalid(_("The amount is not a number."), {"amount": [_("Not a number.")]})
    return value


class PaymentApi(BillingApiBase):
    """Own payments (admins: all): buy a course; admins refund and confirm manual payments."""

    datamodel = SQLAInterface(Payment)
    class_permission_name = "Payment"
    include_route_methods = READ_ONLY_ROUTES | {"purchase", "refund", "mark_paid"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "purchase": "purchase",
        "refund": "refund",
        "mark_paid": "mark_paid",
    }
    decorated = True
    list_columns = show_columns = [
        *SYSTEM,
        "user_id",
        "purpose",
        "subscription_id",
        "plan_id",
        "course_id",
        "amount",
        "currency",
        "status.code",
        "method",
        "provider",
        "transaction_id",
        "paid_at",
        "refunded_amount",
        "refunded_at",
        "failure_reason",
        "details",
    ]
    search_columns = ["user", "purpose", "status", "provider", "course", "plan", "paid_at", "created_at"]
    order_columns = ["id", "created_at", "paid_at", "amount"]
    base_order = ("id", "desc")

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Each payment with what it is for, its invoice, and the buyer's checkout page while pending."""
        ids = [item.id for item, _data in rows]
        query = select(Invoice.payment_id, Invoice.id).where(Invoice.payment_id.in_(ids))
        found = {payment_id: invoice_id for payment_id, invoice_id in db.session.execute(query)}
        viewer = signed_in_user_id(g.get("user"))
        for item, data in rows:
            data["description"] = payments.describe(item)
            data["invoice_id"] = found.get(item.id)
            pending = payments.is_status(item, "pending") and item.user_id == viewer
            data["checkout_url"] = _checkout_url(item) if pending else None

    def _answer(self, payment: Payment) -> Response:
        db.session.refresh(payment)
        return self.response(200, id=payment.id, result=self.dump(payment))

    @expose("/purchase", methods=["POST"])
    @protect()
    @safe
    @permission_name("purchase")
    def purchase(self) -> Response:
        """Buy a course: {"course_id", "provider": "sandbox"}. 202 with {"payment_id", "checkout_url"};
        409 when already owned, 422 for a free course (enrol instead)."""

        def act() -> Response:
            body = json_object()
            course = _course(body.get("course_id"))
            provider = text_field(body, "provider", default="sandbox", limit=32)
            payment = payments.buy_course(g.user, course, provider=provider)
            return self.response(202, **checkout_result(payment))

        return self.run(act)

    @expose("/<int:pk>/refund", methods=["POST"])
    @protect()
    @safe
    @permission_name("refund")
    def refund(self, pk: int) -> Response:
        """Refund (admins): {"amount"} optional, all that is left by default."""

        def act() -> Response:
            payment = self.scoped(pk)
            amount = _amount(json_object())
            refunded = payments.refund_payment(payment, amount, actor=g.user)
            return self._answer(refunded)

        return self.run(act)

    @expose("/<int:pk>/mark_paid", methods=["POST"])
    @protect()
    @safe
    @permission_name("mark_paid")
    def mark_paid(self, pk: int) -> Response:
        """Confirm a manual payment (admins): {"transaction_id"}, the bank or receipt reference."""

        def act() -> Response:
            payment = self.scoped(pk)
            reference = text_field(json_object(), "transaction_id")
            paid = payments.mark_paid(g.user, payment, reference)
            return self._answer(paid)

        return self.run(act)


class InvoiceApi(BillingApiBase):
    """Own invoices (admins: all), read-only, with a signed link to the PDF."""

    datamodel = SQLAInterface(Invoice)
    class_permission_name = "Invoice"
    include_route_methods = READ_ONLY_ROUTES | {"download"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "download": "download"}
    decorated = True
    list_columns = show_columns = [
        *SYSTEM,
        "number",
        "year",
        "sequence",
        "payment_id",
        "user_id",
        "issued_at",
        "subtotal",
        "tax_rate",
        "tax_amount",
        "total",
        "currency",
        "language",
        "billed_to",
        "seller",
        "lines",
        "emailed_at",
    ]
    search_columns = ["number", "year", "user", "issued_at", "currency"]
    order_columns = ["id", "issued_at", "number", "total"]
    base_order = ("id", "desc")

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Whether each invoice's PDF is ready to download."""
        for item, data in rows:
            data["pdf_ready"] = item.media_id is not None

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    @permission_name("download")
    def download(self, pk: int) -> Response:
        """{"url"}: a signed, expiring link to the invoice's PDF (404 while it is being made)."""

        def act() -> Response:
            invoice = self.scoped(pk)
            return self.response(200, url=invoices.download_url(g.user, invoice))

        return self.run(act)


class WebhookEventApi(BillingApiBase):
    """Provider webhook deliveries as received (admins), read-only."""

    datamodel = SQLAInterface(WebhookEvent)
    class_permission_name = "WebhookEvent"
    include_route_methods = READ_ONLY_ROUTES
    base_filters: list[Any] = []  # admins only (the role matrix): no row rule
    list_columns = show_columns = [
        *SYSTEM,
        "provider",
        "event_id",
        "event_type",
        "payload",
        "deliveries",
        "processed_at",
    ]
    search_columns = ["provider", "event_id", "event_type", "processed_at", "created_at"]
    order_columns = ["id", "created_at", "processed_at"]
    base_order = ("id", "desc")
