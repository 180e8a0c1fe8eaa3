"""Billing's services only flush: an error half-way through one of them inside `transaction()`
leaves nothing written, and the same call without the error commits once at the boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.billing import tasks
from app.billing.models import Payment, Subscription
from app.billing.services import payments
from app.billing.services import subscriptions as subs
from app.core.transactions import transaction
from app.extensions import db
from tests.billing_factories import make_plan
from tests.factories import make_user

T0 = datetime(2030, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    """A payment only pays here (invoices have their own tests)."""
    monkeypatch.setattr(tasks, "issue_invoice", lambda payment_id: None)


def _paid_subscription() -> tuple[int, int, int]:
    """(user id, subscription id, payment id) of a committed, paid monthly subscription."""
    with transaction():
        user, plan = make_user(), make_plan(price="10")
        _, payment = subs.subscribe(user, plan, now=T0)
        payments.complete_payment(payment, transaction_id="txn_tx", now=T0)
    return user.id, payment.subscription_id, payment.id


def _fresh(model: type, pk: int) -> Any:
    db.session.remove()
    return db.session.scalar(select(model).where(model.id == pk).execution_options(populate_existing=True))


def test_a_refund_failing_half_way_through_a_cancellation_cancels_nothing(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "BILLING_REFUND_POLICY", "full")
    user_id, subscription_id, payment_id = _paid_subscription()

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the gateway broke")

    monkeypatch.setattr(payments, "refund_payment", broken)
    subscription = _fresh(Subscription, subscription_id)
    with pytest.raises(RuntimeError), transaction():
        subs.cancel(subscription.user, subscription, at_period_end=False, now=T0 + timedelta(days=3))

    subscription = _fresh(Subscription, subscription_id)
    assert subscription.is_current and subscription.cancelled_at is None and subscription.ended_at is None
    assert subscription.status.code == "active" and subscription.user_id == user_id
    assert _fresh(Payment, payment_id).refunded_amount == Decimal("0")

    monkeypatch.undo()  # the same cancellation without the error: all of it, once
    monkeypatch.setitem(app.config, "BILLING_REFUND_POLICY", "full")
    subscription = _fresh(Subscription, subscription_id)
    with transaction():
        subs.cancel(subscription.user, subscription, at_period_end=False, now=T0 + timedelta(days=3))
    assert not _fresh(Subscription, subscription_id).is_current
    assert _fresh(Payment, payment_id).refunded_amount == Decimal("10.00")


def test_a_plan_change_rolled_back_by_its_caller_leaves_the_plan(ctx):
    user_id, subscription_id, _ = _paid_subscription()
    cheaper = make_plan(price="5")
    db.session.commit()
    cheaper_id = cheaper.id
    subscription = _fresh(Subscription, subscription_id)
    with pytest.raises(RuntimeError), transaction():
        subs.change_plan(subscription.user, subscription, db.session.get(type(cheaper), cheaper_id), now=T0)
        subs.set_auto_renew(subscription.user, subscription, False)
        raise RuntimeError("the caller's next step broke")
    subscription = _fresh(Subscription, subscription_id)
    assert (
        subscription.pending_plan_id is None and subscription.auto_renew and subscription.user_id == user_id
    )
