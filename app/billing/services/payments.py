"""Payments: start (idempotent by key), pay through a gateway, complete once, fulfil what was bought,
fail, refund (partly or fully), mark manual payments paid, buy courses, and provider webhooks.

Rules:
- A payment is pending, then completed or failed once; a completed one becomes refunded when all of
  it was given back. The first final state wins: completing a completed payment is a no-op, and a
  failed or refunded one cannot be completed (409).
- One transaction: the entry points (`handle_webhook`, `charge_now`, `complete_payment`,
  `fail_payment`, `refund_payment`, `mark_paid`) run in `transaction()`, so they commit when called
  alone and join their caller's transaction otherwise; the steps under them (fulfilment, the
  purchase, the subscription step, the invoice) only flush. The provider's webhooks and the
  invoice's PDF and e-mail go out after the commit.
- Webhooks are stored once per (provider, event id); a repeated delivery only counts itself.
  An authentic event that cannot be applied (unknown payment, a late `payment.succeeded` after the
  payment failed, an unknown type) is acknowledged and stored unprocessed (`processed_at` empty)
  with the reason in the audit log, so that the provider stops retrying; the HTTP answer says
  `processed: false`. A late success after a failure means money was taken for nothing: an admin
  refunds it at the provider.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import list_currencies
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.billing import notices
from app.billing.gateways import Gateway, gateway
from app.billing.models import PAYMENT_PURPOSES, Payment, Plan
from app.billing.services import invoices
from app.billing.signals import payment_completed
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models import cents, utcnow
from app.core.money import money_text
from app.core.targets import is_admin
from app.core.transactions import on_commit, transaction, unique_insert
from app.courses.models import Course
from app.courses.services import has_purchased, is_listed, record_purchase, refund_purchase
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.services import require_verified_email

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("9999999999.99")  # NUMERIC(12, 2)


def money(value: Any) -> Decimal:
    """A Decimal rounded to cents (half up); Invalid when it is not a finite number."""
    try:
        amount = cents(value)
    except (InvalidOperation, ValueError, TypeError):
        raise Invalid(_("The amount is not a number."), {"amount": [_("Not a number.")]}) from None
    if not amount.is_finite():
        raise Invalid(_("The amount is not a number."), {"amount": [_("Not a number.")]})
    return amount


def status_id(code: str) -> int:
    """The id of a `payment_status` value (pending, completed, failed, refunded)."""
    return require_lookup_id("payment_status", code)


def is_status(payment: Payment, code: str) -> bool:
    """True when the payment is in that state (by id: the loaded `status` may be stale)."""
    return payment.status_id == status_id(code)


def lock_payment(payment: Payment) -> Payment:
    """The payment reloaded under a row lock (FOR UPDATE), so one request changes it at a time."""
    locked = db.session.scalar(
        select(Payment)
        .where(Payment.id == payment.id)
        .with_for_update(of=Payment)
        .execution_options(populate_existing=True, include_deleted=True)
    )
    if locked is None:
        raise NotFound(_("No such payment."))
    return locked


def _provider(code: str) -> Gateway:
    try:
        return gateway(code)
    except NotFound:
        raise Invalid(_("Unknown payment provider."), {"provider": [_("Unknown provider.")]}) from None


# ---- starting and paying ------------------------------------------------------------------------
def start_payment(
    user: Any,
    *,
    purpose: str,
    amount: Any,
    currency: str,
    idempotency_key: str,
    details: dict[str, Any] | None = None,
    plan: Any = None,
    course: Any = None,
    subscription: Any = None,
    provider: str = "sandbox",
) -> Payment:
    """A pending payment; the same idempotency key returns the payment it made the first time."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 128:
        raise Invalid(_("A payment needs an idempotency key of at most 128 characters."))
    existing = _by_key(key)
    if existing is not None:
        return _same_owner(existing, user)
    if purpose not in PAYMENT_PURPOSES:
        raise Invalid(_("Unknown payment purpose."), {"purpose": [_("Unknown purpose.")]})
    value = money(amount)
    if value < 0 or value > MAX_AMOUNT:
        raise Invalid(_("The amount must be zero or more."), {"amount": [_("Must be zero or more.")]})
    code = (currency or "").strip().upper()
    if len(code) != 3 or code not in list_currencies():
        raise Invalid(_("Unknown currency."), {"currency": [_("Use a three-letter ISO 4217 code.")]})
    _provider(provider)
    payment = Payment(
        user_id=user.id,
        purpose=purpose,
        plan_id=getattr(plan, "id", None),
        course_id=getattr(course, "id", None),
        subscription_id=getattr(subscription, "id", None),
        amount=value,
        currency=code,
        status_id=status_id("pending"),
        provider=provider,
        idempotency_key=key,
        refunded_amount=Decimal("0"),
        details=dict(details or {}),
    )
    try:
        with unique_insert(_("This payment was already started.")):
            db.session.add(payment)
    except Conflict:  # the same key in a concurrent request (double click): its payment
        existing = _by_key(key)
        if existing is None:
            raise
        return _same_owner(existing, user)
    return payment


def _by_key(key: str) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.idempotency_key == key)
        .execution_options(populate_existing=True, include_deleted=True)
    )


def _same_owner(payment: Payment, user: Any) -> Payment:
    if payment.user_id != user.id:
        raise Conflict(_("This idempotency key belongs to another payment."))
    return payment


def checkout_url(payment: Payment) -> str | None:
    """The provider's page where the buyer pays; None for the manual gateway (an admin confirms)."""
    return gateway(payment.provider).checkout_url(payment)


def charge_now(payment: Payment) -> Payment:
    """Charge off-session (renewals, upgrades): completes or fails it; a manual one stays pending.

    A payment that is no longer pending is returned as it is (never charged twice).
    """
    with transaction():
        payment = lock_payment(payment)
        if not is_status(payment, "pending"):
            return payment
        if payment.amount == 0:  # nothing to charge: done at once
            return complete_payment(payment, transaction_id=None, method="free")
        provider = gateway(payment.provider)
        result = provider.charge(payment)
        if result.ok:
            payment = complete_payment(payment, transaction_id=result.transaction_id)
        elif not result.pending:
            payment = fail_payment(payment, result.reason or "declined")
        on_commit(provider.deliver_pending)  # the provider's webhooks arrive after our commit
        return payment


def complete_payment(
    payment: Payment, *, transaction_id: str | None, method: str = "card", now: datetime | None = None
) -> Payment:
    """Pending -> completed, once, then fulfil; completing it again is a no-op (409 if failed)."""
    with transaction():
        return _complete(payment, transaction_id, method, now)


def _complete(payment: Payment, transaction_id: str | None, method: str, now: datetime | None) -> Payment:
    payment = lock_payment(payment)
    if is_status(payment, "completed"):
        if transaction_id and payment.transaction_id and transaction_id != payment.transaction_id:
            log.warning("Payment %s completed again with another transaction %s", payment.id, transaction_id)
        return payment
    if not is_status(payment, "pending"):
        raise Conflict(_("This payment has failed or was refunded: it cannot be completed."))
    transaction_id = (transaction_id or "").strip()[:128] or None
    if transaction_id and db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.provider == payment.provider, Payment.transaction_id == transaction_id
        )
    ):
        raise Conflict(_("This transaction already paid another payment."))
    with unique_insert(_("This transaction already paid another payment.")):
        payment.transaction_id = transaction_id
        payment.method = (method or "card")[:32]
        payment.status_id = status_id("completed")
        payment.paid_at = now or utcnow()
        payment.failure_reason = None
    fulfil(payment, now=now)
    return payment


def price_still_holds(payment: Payment) -> bool:
    """A course or plan is still sold at the price this payment was started at (a payment left
    pending while the price changed, or the plan was withdrawn, must not buy it at the old terms)."""
    if payment.purpose == "course":
        course = db.session.get(Course, payment.course_id) if payment.course_id else None
        return course is not None and (course.price, course.currency) == (payment.amount, payment.currency)
    if payment.purpose == "subscription":
        plan = db.session.get(Plan, payment.plan_id) if payment.plan_id else None
        return (
            plan is not None
            and plan.is_active
            and (plan.price, plan.currency) == (payment.amount, payment.currency)
        )
    if payment.purpose == "renewal" and payment.plan_id and payment.subscription is not None:
        return payment.subscription.plan_id == payment.plan_id  # the plan renewed is still the one held
    return True


def fulfil(payment: Payment, now: datetime | None = None) -> None:
    """Give what was paid for (course purchase or subscription step), then issue the invoice, in the
    caller's transaction (flushed only). A payment whose terms no longer hold is refunded instead."""
    if not price_still_holds(payment):
        log.warning("Payment %s no longer matches the price of what it buys: refunded", payment.id)
        refund_payment(payment)
        return
    if payment.purpose == "course":
        course = db.session.scalar(
            select(Course).where(Course.id == payment.course_id).execution_options(include_deleted=True)
        )
        if course is None:
            raise NotFound(_("No such course."))
        record_purchase(payment.user, course, payment.amount, payment.currency, payment.id)
    payment_completed.send(payment, now=now)  # subscriptions apply their step (subscriptions.apply_payment)
    invoices.issue_invoice(payment.id)  # in this transaction: no completed payment without its invoice


def fail_payment(payment: Payment, reason: str, now: datetime | None = None) -> Payment:
    """Pending -> failed with a reason; failing a failed one is a no-op; a paid one cannot fail (409)."""
    with transaction():
        payment = lock_payment(payment)
        if is_status(payment, "failed"):
            return payment
        if not is_status(payment, "pending"):
            raise Conflict(_("This payment is already paid: it cannot fail."))
        payment.status_id = status_id("failed")
        payment.failure_reason = (reason or "declined")[:500]
        db.session.flush()
        _tell_declined_renewal(payment)
        return payment


def _tell_declined_renewal(payment: Payment) -> None:
    """A declined renewal is told to the subscriber, with the end of the grace period they are in
    (a trial has none: it ends)."""
    from app.billing.services.periods import grace_ends_at

    subscription = payment.subscription
    if payment.purpose != "renewal" or subscription is None:
        return
    trial = bool((payment.details or {}).get("trial_conversion"))
    notices.renewal_declined(payment, subscription, None if trial else grace_ends_at(subscription))


# ---- refunds ------------------------------------------------------------------------------------
def refund_payment(
    payment: Payment, amount: Any = None, actor: Any = None, now: datetime | None = None
) -> Payment:
    """Give back all (default) or part of a completed payment through its gateway.

    `actor` None is the system applying a rule (a cancellation under the refund policy); a person
    must be an admin. When all of it is back the payment is refunded, and a bought course ends.
    """
    if actor is not None and not is_admin(actor):
        raise Forbidden(_("Only administrators can refund payments."))
    with transaction():
        payment = lock_payment(payment)
        value = refundable_amount(payment, amount)
        provider = gateway(payment.provider)
        reference = provider.refund(payment, value)
        apply_refund(payment, value, reference, now or utcnow())
        on_commit(provider.deliver_pending)  # the provider's webhooks arrive after our commit
        return payment


def refundable_amount(payment: Payment, amount: Any) -> Decimal:
    """The amount to refund (all that is left by default); 409 unless completed, 422 if too much."""
    if not is_status(payment, "completed"):
        raise Conflict(_("Only a completed payment that is not fully refunded can be refunded."))
    left = payment.amount - (payment.refunded_amount or Decimal("0"))
    value = left if amount is None else money(amount)
    if value <= 0:
        raise Invalid(_("The refund must be more than zero."), {"amount": [_("Must be more than zero.")]})
    if value > left:
        raise Invalid(
            _("At most %(amount)s can still be refunded.", amount=money_text(left, payment.currency)),
            {"amount": [_("More than what is left.")]},
        )
    return value


def apply_refund(payment: Payment, value: Decimal, reference: str, now: datetime) -> None:
    """Record one refund (idempotent by its reference) and end a fully refunded course purchase
    (flushed only: the caller's transaction commits)."""
    refunds = list((payment.details or {}).get("refunds", []))
    if any(item.get("reference") == reference for item in refunds):
        return
    refunds.append({"reference": reference, "amount": str(value), "at": now.isoformat()})
    payment.details = {**(payment.details or {}), "refunds": refunds}  # a new dict: JSON is not mutable
    payment.refunded_amount = (payment.refunded_amount or Decimal("0")) + value
    payment.refunded_at = now
    full = payment.refunded_amount >= payment.amount
    if full:
        payment.status_id = status_id("refunded")
    db.session.flush()
    if full and payment.purpose == "course" and payment.course_id:
        refund_purchase(payment.user_id, payment.course_id)


def mark_paid(actor: Any, payment: Payment, transaction_id: str, now: datetime | None = None) -> Payment:
    """An admin confirms a manual payment (bank transfer, cash) with its reference."""
    if not is_admin(actor):
        raise Forbidden(_("Only administrators can mark payments as paid."))
    if payment.provider != "manual":
        raise Conflict(_("Only manual payments are marked paid by hand; this one is paid online."))
    reference = (transaction_id or "").strip()
    if not reference:
        raise Invalid(
            _("Give the bank or receipt reference."), {"transaction_id": [_("This field is required.")]}
        )
    return complete_payment(payment, transaction_id=reference, method="manual", now=now)


# ---- course purchases ---------------------------------------------------------------------------
def buy_course(user: Any, course: Course, provider: str = "sandbox") -> Payment:
    """A pending payment for a paid course (lifetime access once completed).

    404 when the course is not on sale, 422 when it is free (enrol instead), 409 when already owned.
    Buying again while a payment is pending returns that payment (the same price and provider).
    """
    require_verified_email(user)
    if course is None or course.is_deleted or not is_listed(course):
        raise NotFound(_("No such course."))
    if course.is_free:
        raise Invalid(_("This course is free: enrol instead."))
    if has_purchased(user.id, course.id):
        raise Conflict(_("You already own this course."))
    price, currency = money(course.price), course.currency
    for _attempt in range(3):  # a price change makes the pending payment stale: start another
        tries = db.session.scalar(
            select(func.count(Payment.id))
            .where(
                Payment.user_id == user.id,
                Payment.course_id == course.id,
                Payment.purpose == "course",
                Payment.status_id != status_id("pending"),
            )
            .execution_options(include_deleted=True)
        )
        payment = start_payment(
            user,
            purpose="course",
            amount=price,
            currency=currency,
            idempotency_key=f"course:{user.id}:{course.id}:{tries}",
            details={
                "kind": "course",
                "course_id": course.id,
                "slug": course.slug,
                "title": {
                    lang: (course.translations or {}).get(lang, {}).get("title") for lang in ("en", "ar")
                },
            },
            course=course,
            provider=provider,
        )
        if not is_status(payment, "pending"):
            continue  # completed or failed meanwhile: the count moved on
        if (payment.amount, payment.currency, payment.provider) == (price, currency, provider):
            return payment
        fail_payment(payment, "superseded")
    raise Conflict(_("This course's price is changing; please try again."))


def describe(payment: Payment) -> str:
    """What a payment is for, in the viewer's language (checkout pages, lists)."""
    if payment.purpose == "course":
        course = db.session.scalar(
            select(Course).where(Course.id == payment.course_id).execution_options(include_deleted=True)
        )
        return _("Course: %(title)s", title=course.title if course else "")
    plan = payment.plan.name if payment.plan else ""
    labels = {
        "subscription": _("Subscription: %(plan)s", plan=plan),
        "renewal": _("Subscription renewal: %(plan)s", plan=plan),
        "upgrade": _("Plan upgrade: %(plan)s", plan=plan),
    }
    return labels.get(payment.purpose, payment.purpose)


def payment_by_uuid(value: Any, provider: str | None = None) -> Payment:
    """The payment with this public uuid (and provider); NotFound otherwise."""
    try:
        public_id = uuid_module.UUID(str(value))
    except ValueError:
        raise NotFound(_("No such payment.")) from None
    query = select(Payment).where(Payment.uuid == public_id)
    if provider is not None:
        query = query.where(Payment.provider == provider)
    payment = db.session.scalar(query.execution_options(populate_existing=True))
    if payment is None:
        raise NotFound(_("No such payment."))
    return payment
