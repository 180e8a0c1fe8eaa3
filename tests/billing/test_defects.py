"""Billing defects found from outside (issue 11): concurrent subscription payments are applied or
refunded, never dropped; the payment webhook is one transaction (nothing half-written)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.models import Payment, Subscription, WebhookEvent
from app.billing.services import invoices, payments, subscriptions
from app.billing.services.periods import add_months
from app.core.models import as_utc
from app.core.transactions import transaction
from app.courses.models import CoursePurchase
from app.extensions import db
from tests.billing_factories import make_plan
from tests.factories import make_user
from tests.payment_helpers import count, delivery, invoices_of, paid_course, status

WEBHOOK = "/api/v1/payment/webhook/sandbox"


@pytest.fixture
def inline_tasks(media_config, monkeypatch):
    """Tasks inline (the invoice is issued), without the PDF and e-mail of each invoice."""
    monkeypatch.setattr(invoices, "_follow_up", lambda invoice: None)


def _post_all(app: Any, deliveries: list[Any]) -> list[int]:
    """POST every delivery at the same moment, one thread each; their HTTP status codes."""
    barrier = threading.Barrier(len(deliveries), timeout=60)
    codes: list[int] = []
    errors: list[BaseException] = []

    def post(sent: Any) -> None:
        try:
            browser = app.test_client()
            barrier.wait()
            codes.append(browser.post(WEBHOOK, data=sent.body, headers=sent.headers).status_code)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(sent,)) for sent in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    return codes


# ---- 1. concurrent payments of one learner ---------------------------------------------------------
@pytest.mark.usefixtures("committed", "inline_tasks")
def test_twenty_checkouts_paid_at_once_are_each_applied_or_refunded(app):
    """Ten checkouts of plan A and ten of plan B, all paid at the same moment: the first applied
    creates the subscription, the nine others of its plan each buy one more period, and the ten of
    the other plan are refunded; none stays pending, one subscription is live."""
    with app.app_context():
        student = make_user("Student")
        plans = [make_plan(price="10"), make_plan(price="12")]
        with transaction():
            started = [subscriptions.subscribe(student, plans[i % 2])[1] for i in range(20)]
        sends = [delivery(payment, transaction=f"txn_race_{i}") for i, payment in enumerate(started)]
        user_id, payment_ids = student.id, [payment.id for payment in started]
        db.session.remove()

    codes = _post_all(app, sends)

    assert codes == [200] * 20
    with app.app_context():
        [live] = db.session.scalars(
            select(Subscription).where(Subscription.user_id == user_id, Subscription.is_current.is_(True))
        ).all()
        assert count(Subscription, Subscription.user_id == user_id) == 1
        rows = db.session.scalars(select(Payment).where(Payment.id.in_(payment_ids))).all()
        codes_by_plan: dict[int, list[str]] = {}
        for row in rows:
            codes_by_plan.setdefault(row.plan_id, []).append(status(row))
        assert sorted(codes_by_plan[live.plan_id]) == ["completed"] * 10
        [other] = [plan_id for plan_id in codes_by_plan if plan_id != live.plan_id]
        assert sorted(codes_by_plan[other]) == ["refunded"] * 10
        for row in rows:
            if row.plan_id == live.plan_id:
                assert row.subscription_id == live.id and invoices_of(row.id) == 1
            else:
                assert row.refunded_amount == row.amount and invoices_of(row.id) == 0
        # One period for each payment applied.
        assert as_utc(live.current_period_end) == add_months(as_utc(live.started_at), 10)
        succeeded = count(WebhookEvent, WebhookEvent.event_type == "payment.succeeded")
        assert succeeded >= 20
        assert count(WebhookEvent, WebhookEvent.processed_at.is_(None)) == 0
        db.session.remove()


# ---- 2. one transaction on the payment webhook path -------------------------------------------------
@pytest.mark.usefixtures("committed", "inline_tasks")
def test_an_error_half_way_through_a_webhook_leaves_nothing_and_a_retry_applies_it_once(app, monkeypatch):
    """The invoice step fails after the purchase was written: nothing of the delivery stays (no
    completed payment, no purchase, no event), and the provider's retry then applies it once."""
    with app.app_context():
        student, course = make_user("Student"), paid_course()
        with transaction():
            payment = payments.buy_course(student, course)
        sent = delivery(payment)
        user_id, payment_id = student.id, payment.id
        db.session.remove()

    def broken(payment_id: int, **_: Any) -> None:
        raise RuntimeError("the invoice step broke")

    issue = invoices.issue_invoice
    monkeypatch.setattr(invoices, "issue_invoice", broken)
    response = app.test_client().post(WEBHOOK, data=sent.body, headers=sent.headers)
    assert response.status_code == 500  # a server error: the provider delivers it again later
    with app.app_context():
        assert status(payment_id) == "pending"
        assert count(CoursePurchase, CoursePurchase.user_id == user_id) == 0
        assert count(WebhookEvent) == 0 and invoices_of(payment_id) == 0
        db.session.remove()

    monkeypatch.setattr(invoices, "issue_invoice", issue)
    for _attempt in range(2):  # the retry, then a repeat of it
        response = app.test_client().post(WEBHOOK, data=sent.body, headers=sent.headers)
        assert response.status_code == 200 and response.json["processed"] is True
    with app.app_context():
        assert status(payment_id) == "completed"
        assert count(CoursePurchase, CoursePurchase.user_id == user_id) == 1
        [event] = db.session.scalars(select(WebhookEvent)).all()
        assert event.deliveries == 2 and event.processed_at is not None
        assert invoices_of(payment_id) == 1
        db.session.remove()


def test_record_purchase_leaves_the_commit_to_its_caller(app, ctx):
    """`courses.record_purchase` only flushes: rolling the caller back takes the purchase with it."""
    from app.courses.services import record_purchase

    student, course = make_user("Student"), paid_course()
    db.session.commit()
    record_purchase(student, course)
    assert count(CoursePurchase, CoursePurchase.user_id == student.id) == 1
    db.session.rollback()
    assert count(CoursePurchase, CoursePurchase.user_id == student.id) == 0
