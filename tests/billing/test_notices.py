"""Billing tells people: an invoice ready, a declined renewal (with the grace period's end, or the
end of a trial), a subscription about to end; in both languages, linking to My payments or My
subscription."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.billing.models import Payment
from app.billing.services import invoices
from app.billing.services import subscriptions as subs
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.billing_factories import make_plan, make_subscription
from tests.factories import make_user
from tests.notification_helpers import link_of, only_row, rows_of, texts

T0 = datetime(2030, 11, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # delivery runs inline


def _declining_user(**fields: Any) -> Any:
    user = make_user("Student", **fields)
    user.email = user.email.replace("@", "+decline@")  # the sandbox declines its off-session charges
    db.session.commit()
    return user


def test_an_issued_invoice_is_told_to_its_buyer(ctx: None, media_config: Any, smtp_server: Any) -> None:
    buyer = make_user("Student")
    plan = make_plan(name="Gold", price="115", currency="SAR")
    payment = Payment(
        user_id=buyer.id,
        plan_id=plan.id,
        purpose="subscription",
        amount=Decimal("115.00"),
        currency="SAR",
        status_id=require_lookup_id("payment_status", "completed"),
        method="card",
        provider="sandbox",
        transaction_id=f"txn_{uuid.uuid4().hex[:20]}",
        idempotency_key=uuid.uuid4().hex,
        paid_at=T0,
        details={"period_start": T0.isoformat(), "period_end": (T0 + 30 * DAY).isoformat()},
    )
    db.session.add(payment)
    db.session.commit()
    invoice = invoices.issue_invoice(payment.id)
    invoices.issue_invoice(payment.id)  # issued once, told once
    row = only_row(buyer, "invoice")
    english, arabic = texts(row)
    assert english.startswith(f"Your invoice {invoice.number} for ") and "115.00" in english
    assert invoice.number in arabic and "invoice" not in arabic
    assert link_of(buyer, row) == "/my/payments"
    assert row.email_state == "none"  # the invoice's own e-mail carries its PDF


def test_a_declined_renewal_tells_until_when_access_is_kept(ctx: None) -> None:
    user = _declining_user()
    plan = make_plan("gold", price="10", name="Gold")
    subscription = make_subscription(user, plan, start=T0, end=T0 + 30 * DAY)
    assert subs.renew_due(now=T0 + 30 * DAY) == 1
    row = only_row(user, "payment_failed")
    english, arabic = texts(row)
    assert english == (
        "The payment for your Gold subscription was declined. You keep your access until "
        "4 December 2030: renew before then."
    )
    assert "Gold (ع)" in arabic and "ديسمبر" in arabic and "declined" not in arabic
    assert link_of(user, row) == "/my/subscription"
    assert row.target_id == subscription.id


def test_a_declined_trial_conversion_says_the_payment_failed(ctx: None) -> None:
    user = _declining_user()
    plan = make_plan("silver", price="25", trial_days=7, name="Silver")
    sub, _payment = subs.subscribe(user, plan, now=T0)
    assert subs.renew_due(now=sub.current_period_end) == 1
    english, arabic = texts(only_row(user, "payment_failed"))
    assert english == "The payment for your Silver subscription was declined"
    assert "Silver (ع)" in arabic and "declined" not in arabic


def test_a_reminder_is_a_notification_with_the_reminders_words(ctx: None) -> None:
    user = make_user("Student", locale="ar")
    plan = make_plan("gold", price="10", name="Gold")
    make_subscription(user, plan, start=T0, end=T0 + 30 * DAY, auto_renew=False)
    assert subs.remind_due(now=T0 + 25 * DAY) == 1
    row = only_row(user, "subscription_reminder")
    english, arabic = texts(row)
    assert english == (
        "Your Gold subscription ends on 1 December 2030 and will not renew. Renew it before then to "
        "keep your courses and features."
    )
    assert "Gold (ع)" in arabic and "ديسمبر" in arabic and "renew" not in arabic
    assert link_of(user, row) == "/my/subscription"
    assert subs.remind_due(now=T0 + 26 * DAY) == 0 and len(rows_of(user)) == 1
