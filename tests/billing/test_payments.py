"""Payments: idempotent start, buying a course through the sandbox checkout page, declines, manual
payments marked paid by admins, partial and full refunds, off-session charges and their declines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.gateways import sandbox
from app.billing.models import Invoice, Payment, WebhookEvent
from app.billing.services import payments
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.transactions import transaction
from app.courses.models import Course
from app.courses.services import can_access, has_purchased
from app.extensions import db
from tests.factories import make_user
from tests.payment_helpers import (
    count,
    events_of,
    invoices_of,
    paid_course,
    reload,
    status,
    user,
)


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (the invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


def _start(buyer: Any, key: str = "key-1", **fields: Any) -> Payment:
    values = {"purpose": "course", "amount": "10", "currency": "usd", "idempotency_key": key, **fields}
    return payments.start_payment(buyer, **values)


# ---- starting a payment ---------------------------------------------------------------------------
def test_the_same_idempotency_key_returns_the_same_payment(app, ctx):
    buyer = make_user("Student")
    first = _start(buyer, amount="10.005", details={"note": "x"})
    assert status(first) == "pending" and first.amount == Decimal("10.01") and first.currency == "USD"
    again = _start(buyer, amount="99")  # a retried request: the first payment, unchanged
    assert again.id == first.id and again.amount == Decimal("10.01")
    assert count(Payment, Payment.idempotency_key == "key-1") == 1
    with pytest.raises(Conflict):  # someone else's key
        _start(make_user("Student"))
    assert _start(buyer, key="key-2").id != first.id


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": "-1"},
        {"amount": "ten"},
        {"amount": "NaN"},
        {"currency": "XXQ"},
        {"currency": "dollars"},
        {"purpose": "donation"},
        {"provider": "paypal"},
        {"idempotency_key": " "},
    ],
)
def test_start_payment_validates_its_input(app, ctx, fields):
    with pytest.raises(Invalid) as refused:
        _start(make_user("Student"), **fields)
    assert refused.value.status_code == 422
    assert count(Payment) == 0


def test_a_zero_amount_is_allowed_and_completes_without_a_charge(app, ctx):
    buyer = make_user("Student")
    payment = payments.charge_now(_start(buyer, amount="0", course=paid_course(price="0")))
    assert status(payment) == "completed" and payment.method == "free" and events_of(payment) == []


# ---- buying a course through the sandbox checkout page ------------------------------------------------
def _checkout(app, student_id: int, **course_fields: Any) -> dict[str, Any]:
    with app.app_context():
        course = paid_course(**course_fields)
        with transaction():
            payment = payments.buy_course(user(student_id), course)
        with app.test_request_context():
            url = payments.checkout_url(payment)
        data = {"url": url, "payment": payment.id, "course": course.id, "slug": course.slug}
        db.session.remove()
    return data


def test_buying_a_course_through_the_checkout_page_gives_lifetime_access(app, login_as, _inline):
    browser = login_as("Student")
    data = _checkout(app, browser.user_id)
    assert data["url"].startswith("/billing/sandbox/checkout/")
    page = browser.get(data["url"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "$49.99" in text and "Paid Python" in text and 'id="pay-button"' in text and "Decline" in text
    paid = browser.post(data["url"], data={"action": "pay"})
    assert paid.status_code == 302 and paid.headers["Location"] == f"/courses/{data['slug']}"
    assert "Payment received" in browser.get(paid.headers["Location"]).get_data(as_text=True)
    after = browser.get(data["url"]).get_data(as_text=True)
    assert 'data-state="completed"' in after and f'href="/courses/{data["slug"]}"' in after
    with app.app_context():
        payment = reload(data["payment"])
        assert status(payment) == "completed" and payment.transaction_id.startswith("txn_")
        course = db.session.get(Course, data["course"])
        assert has_purchased(browser.user_id, course.id) and can_access(user(browser.user_id), course)
        assert invoices_of(payment.id) == 1
        [event] = events_of(payment)
        assert event.event_type == "payment.succeeded" and event.processed_at is not None
        with pytest.raises(Conflict):  # owned now
            payments.buy_course(user(browser.user_id), course)
    assert len(_inline) == 1
    assert browser.post(data["url"], data={"action": "pay"}).status_code == 302  # a second click: nothing
    with app.app_context():
        assert count(WebhookEvent) == 1 and count(Invoice) == 1


def test_declining_fails_the_payment_and_gives_no_access(app, login_as):
    browser = login_as("Student")
    data = _checkout(app, browser.user_id)
    declined = browser.post(data["url"], data={"action": "decline"}, follow_redirects=True)
    text = declined.get_data(as_text=True)
    assert declined.status_code == 200 and 'data-state="failed"' in text and 'id="pay-button"' not in text
    with app.app_context():
        payment = reload(data["payment"])
        assert status(payment) == "failed" and payment.failure_reason == "card_declined"
        course = db.session.get(Course, data["course"])
        assert not can_access(user(browser.user_id), course) and invoices_of(payment.id) == 0
        retry = payments.buy_course(user(browser.user_id), course)  # a new attempt, a new payment
        assert retry.id != payment.id and status(retry) == "pending"


def test_the_checkout_page_is_the_buyers_own_and_signed(app, login_as, client):
    browser = login_as("Student")
    data = _checkout(app, browser.user_id)
    assert client.get(data["url"]).status_code == 302  # visitors sign in first
    other = login_as("Student")
    assert other.get(data["url"]).status_code == 404
    assert other.post(data["url"], data={"action": "pay"}).status_code == 404
    assert browser.get(data["url"][:-3] + "abc").status_code == 404  # forged token
    assert browser.post(data["url"], data={"action": "steal"}).status_code == 422
    arabic = browser.get(data["url"] + "?_l_=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic
    with app.app_context():
        assert status(data["payment"]) == "pending"


def test_the_checkout_page_needs_a_csrf_token(app, login_as, monkeypatch):
    browser = login_as("Student")
    data = _checkout(app, browser.user_id)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert browser.post(data["url"], data={"action": "pay"}).status_code == 400
    with app.app_context():
        assert status(data["payment"]) == "pending"


def test_buy_course_refusals(app, ctx):
    student = make_user("Student")
    with pytest.raises(Invalid) as free:
        payments.buy_course(student, paid_course(price=0))
    assert free.value.status_code == 422
    for hidden in (paid_course(status="draft"), paid_course(visibility="private")):
        with pytest.raises(NotFound):
            payments.buy_course(student, hidden)
    course = paid_course()
    first = payments.buy_course(student, course)
    assert payments.buy_course(student, course).id == first.id  # a double click: the same payment
    course.price = Decimal("59.00")
    db.session.commit()
    repriced = payments.buy_course(student, course)  # the stale pending payment is superseded
    assert repriced.id != first.id and repriced.amount == Decimal("59.00")
    assert status(first) == "failed" and reload(first).failure_reason == "superseded"
    sandbox().pay(repriced)
    with pytest.raises(Conflict) as owned:
        payments.buy_course(student, course)
    assert owned.value.status_code == 409


def test_completing_twice_is_a_no_op(app, ctx):
    student = make_user("Student")
    with transaction():
        payment = payments.buy_course(student, paid_course())
    done = payments.complete_payment(payment, transaction_id="txn_a")
    again = payments.complete_payment(done, transaction_id="txn_a")
    assert again.id == done.id and status(again) == "completed" and invoices_of(payment.id) == 1
    with pytest.raises(Conflict):  # a paid payment cannot fail any more
        payments.fail_payment(again, "late decline")
    with transaction():
        other = payments.buy_course(student, paid_course())
    with pytest.raises(Conflict):  # one provider transaction pays one payment
        payments.complete_payment(other, transaction_id="txn_a")
    assert status(other) == "pending"


# ---- manual payments ---------------------------------------------------------------------------------
def test_manual_payments_wait_for_an_admin(app, ctx):
    student = make_user("Student")
    course = paid_course()
    payment = payments.buy_course(student, course, provider="manual")
    assert payments.checkout_url(payment) is None
    assert status(payments.charge_now(payment)) == "pending"  # nothing can be charged automatically
    for actor in (student, make_user("Instructor")):
        with pytest.raises(Forbidden):
            payments.mark_paid(actor, payment, "BANK-123")
    admin = make_user("Admin")
    with pytest.raises(Invalid):
        payments.mark_paid(admin, payment, "  ")
    paid = payments.mark_paid(admin, payment, "BANK-123")
    assert status(paid) == "completed" and paid.method == "manual" and paid.transaction_id == "BANK-123"
    assert can_access(student, course) and invoices_of(paid.id) == 1
    online = payments.buy_course(student, paid_course())
    with pytest.raises(Conflict):
        payments.mark_paid(admin, online, "BANK-124")


# ---- refunds -----------------------------------------------------------------------------------------
def test_partial_then_full_refunds_end_a_bought_course(app, ctx):
    student = make_user("Student")
    course = paid_course()
    with transaction():
        payment = payments.buy_course(student, course)
    with pytest.raises(Conflict):  # nothing paid yet
        payments.refund_payment(payment)
    sandbox().pay(payment)
    admin = make_user("Admin")
    with pytest.raises(Forbidden):
        payments.refund_payment(reload(payment), "10", actor=student)
    part = payments.refund_payment(reload(payment), "20", actor=admin)
    assert status(part) == "completed" and part.refunded_amount == Decimal("20.00")
    assert can_access(student, course)  # a partial refund keeps the course
    with pytest.raises(Invalid):
        payments.refund_payment(reload(payment), "30", actor=admin)  # only 29.99 is left
    with pytest.raises(Invalid):
        payments.refund_payment(reload(payment), "0", actor=admin)
    full = payments.refund_payment(reload(payment), actor=admin)  # the rest
    assert status(full) == "refunded" and full.refunded_amount == Decimal("49.99")
    assert full.refunded_at is not None and len(full.details["refunds"]) == 2
    assert not has_purchased(student.id, course.id) and not can_access(student, course)
    with pytest.raises(Conflict):
        payments.refund_payment(reload(payment), actor=admin)
    refunds = [e for e in events_of(payment) if e.event_type == "payment.refunded"]
    assert len(refunds) == 2 and all(e.processed_at for e in refunds)  # our own: recorded once only
    assert reload(payment).refunded_amount == Decimal("49.99")


# ---- off-session charges ----------------------------------------------------------------------------
def test_charge_now_succeeds_or_fails_for_a_decline_email(app, ctx):
    course = paid_course()
    payer = make_user("Student")
    paid = payments.charge_now(payments.buy_course(payer, course))
    assert status(paid) == "completed" and can_access(payer, course)
    decliner = make_user("Student", email="sara+decline@example.test")
    payment = payments.buy_course(decliner, course)
    failed = payments.charge_now(payment)
    assert status(failed) == "failed" and failed.failure_reason == "card_declined"
    assert not can_access(decliner, course) and invoices_of(payment.id) == 0
    [event] = events_of(payment)
    assert event.event_type == "payment.failed" and event.processed_at is not None
    assert payments.charge_now(failed).id == failed.id and status(failed) == "failed"  # never charged again


# ---- subscription payments go to the subscriptions service -------------------------------------------
def test_a_subscription_payment_activates_the_subscription(app, ctx):
    from app.billing.services.entitlements import live_subscription
    from tests.billing_factories import make_plan

    plan = make_plan(price="15")
    student = make_user("Student")
    payment = payments.start_payment(
        student,
        purpose="subscription",
        amount=plan.price,
        currency=plan.currency,
        idempotency_key="subscribe-test",
        details={"plan": plan.code},
        plan=plan,
    )
    assert "Subscription" in payments.describe(payment)
    sandbox().pay(payment)
    assert status(payment) == "completed"
    subscription = live_subscription(student.id)
    assert subscription is not None and subscription.plan_id == plan.id
    assert db.session.scalar(select(Invoice).where(Invoice.payment_id == payment.id)) is not None
