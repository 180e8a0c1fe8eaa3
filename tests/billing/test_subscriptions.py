"""The subscription lifecycle with a controlled clock: trial, first charge, renewals, grace, expiry,
course access following it, plan changes with proration, cancellations with refunds, reminders, the
scheduled tasks run twice, and who may change a subscription."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.services import history
from app.billing import tasks
from app.billing.models import Payment, Subscription
from app.billing.services import entitlements, payments
from app.billing.services import subscriptions as subs
from app.billing.services.periods import add_months, next_period
from app.core.errors import Conflict, Forbidden, Invalid
from app.courses import services as courses
from app.extensions import db
from app.lookups.services import lookup_id
from app.notifications.models import Notification
from tests.billing_factories import make_plan, make_subscription
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user

T0 = datetime(2030, 11, 1, 9, 0, tzinfo=UTC)  # November: a 30-day month from the 1st
DAY = timedelta(days=1)


class Clock:
    """The time the entitlement checks see when they read the clock themselves (courses' access)."""

    def __init__(self) -> None:
        self.now = T0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    current = Clock()
    monkeypatch.setattr(entitlements, "utcnow", lambda: current.now)
    return current


@pytest.fixture(autouse=True)
def _no_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Invoices (their PDF and e-mail) are tested with the invoices; here a payment only pays."""
    monkeypatch.setattr(tasks, "issue_invoice", lambda payment_id: None)


def status(subscription: Subscription) -> str:
    db.session.refresh(subscription)
    return subscription.status.code


def payments_of(subscription: Subscription, purpose: str | None = None) -> list[Payment]:
    query = select(Payment).where(Payment.subscription_id == subscription.id).order_by(Payment.id)
    rows = list(db.session.scalars(query.execution_options(populate_existing=True)))
    return [p for p in rows if purpose is None or p.purpose == purpose]


def pay_status(payment: Payment) -> str:
    db.session.refresh(payment)
    return payment.status.code


def decline_cards(user: Any) -> None:
    """The sandbox declines off-session charges for e-mails containing "+decline"."""
    user.email = user.email.replace("@", "+decline@")
    db.session.commit()


def snapshot() -> list[tuple[Any, ...]]:
    subscriptions = db.session.execute(
        select(Subscription).order_by(Subscription.id).execution_options(populate_existing=True)
    ).scalars()
    rows = [
        (s.id, s.status_id, s.is_current, s.plan_id, s.current_period_end, s.ended_at, s.reminded_for)
        for s in subscriptions
    ]
    paid = db.session.scalars(select(Payment).execution_options(populate_existing=True))
    return rows + [(p.id, p.status_id, p.amount, p.refunded_amount) for p in paid]


# ---- periods --------------------------------------------------------------------------------------
def test_calendar_months_clamp_the_day_and_keep_the_anchor(ctx):
    assert add_months(datetime(2031, 1, 31, tzinfo=UTC), 1) == datetime(2031, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2032, 1, 31, tzinfo=UTC), 1) == datetime(2032, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2031, 11, 30, tzinfo=UTC), 3) == datetime(2032, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2031, 5, 15, tzinfo=UTC), 12) == datetime(2032, 5, 15, tzinfo=UTC)
    user, plan = make_user(), make_plan(price="10")
    start = datetime(2031, 1, 31, tzinfo=UTC)
    sub = make_subscription(user, plan, start=start)
    assert sub.current_period_end == datetime(2031, 2, 28, tzinfo=UTC)
    assert next_period(sub, plan) == (datetime(2031, 2, 28, tzinfo=UTC), datetime(2031, 3, 31, tzinfo=UTC))


# ---- the whole life of a subscription -------------------------------------------------------------
def test_trial_converts_renews_falls_into_grace_and_expires(ctx, clock):
    user, plan = make_user(), make_plan("pro", price="10", trial_days=14)
    included = make_course(price=20)
    bought = make_course(price=30)
    sub, payment = subs.subscribe(user, plan, now=T0)
    assert payment is None and status(sub) == "trial" and sub.trial_ends_at == T0 + 14 * DAY
    assert (sub.current_period_start, sub.current_period_end) == (T0, T0 + 14 * DAY)
    make_enrollment(user, included, type="subscription")
    courses.record_purchase(user, bought, Decimal("30"), "USD")
    clock.now = T0 + DAY
    assert courses.can_access(user, included) and courses.can_access(user, bought)

    # The trial ends: the first paid period is charged and starts where the trial ended.
    trial_end = T0 + 14 * DAY
    assert subs.renew_due(now=trial_end) == 1
    assert status(sub) == "active"
    assert (sub.current_period_start, sub.current_period_end) == (trial_end, add_months(trial_end, 1))
    [first] = payments_of(sub, "renewal")
    assert pay_status(first) == "completed" and first.amount == Decimal("10.00")
    assert first.idempotency_key == f"renewal:{sub.id}:{trial_end.isoformat()}"
    assert subs.renew_due(now=trial_end) == 0 and len(payments_of(sub)) == 1

    # A renewal moves the period from the previous end, not from when the task ran.
    second_end = sub.current_period_end
    assert subs.renew_due(now=second_end + timedelta(hours=5)) == 1
    assert (sub.current_period_start, sub.current_period_end) == (second_end, add_months(trial_end, 2))

    # A declined renewal: the grace period keeps access, then the subscription expires.
    decline_cards(user)
    end = sub.current_period_end
    assert subs.renew_due(now=end) == 1
    failed = payments_of(sub, "renewal")[-1]
    assert pay_status(failed) == "failed" and status(sub) == "active" and sub.current_period_end == end
    assert subs.grace_ends_at(sub) == end + 3 * DAY
    clock.now = end + 2 * DAY
    assert subs.in_grace(sub, clock.now) and courses.has_active_subscription(user.id)
    assert subs.expire_due(now=clock.now) == 0 and subs.renew_due(now=clock.now) == 0
    assert courses.can_access(user, included)

    clock.now = end + 3 * DAY
    assert not subs.in_grace(sub, clock.now) and not courses.has_active_subscription(user.id)
    assert subs.expire_due(now=clock.now) == 1
    assert status(sub) == "expired" and not sub.is_current and sub.ended_at == clock.now
    assert courses.enrollment_of(user.id, included.id).status.code == "expired"
    assert not courses.can_access(user, included) and courses.can_access(user, bought)
    assert subs.expire_due(now=clock.now) == 0 and subs.renew_due(now=clock.now) == 0


def test_a_declined_first_charge_ends_the_trial_and_one_trial_per_user(ctx, clock):
    user, plan = make_user(), make_plan(price="25", trial_days=7)
    sub, _ = subs.subscribe(user, plan, now=T0)
    decline_cards(user)
    end = sub.current_period_end
    assert subs.expire_due(now=end) == 0  # not charged yet: the renewal task goes first
    assert subs.renew_due(now=end) == 1 and subs.expire_due(now=end) == 1
    assert status(sub) == "expired" and not sub.is_current
    # No second trial: subscribing again is a checkout, and its payment activates the plan.
    again, payment = subs.subscribe(user, plan, provider="sandbox", now=end + DAY)
    assert again is None and payment.purpose == "subscription" and pay_status(payment) == "pending"
    assert payment.amount == Decimal("25.00") and payment.details["plan"] == plan.code
    assert payment.idempotency_key.startswith(f"subscribe:{user.id}:{plan.id}:")
    paid_at = end + 2 * DAY
    payments.complete_payment(payment, transaction_id="txn_again", now=paid_at)
    db.session.refresh(payment)
    active = db.session.get(Subscription, payment.subscription_id)
    assert status(active) == "active" and active.trial_ends_at is None
    assert (active.current_period_start, active.current_period_end) == (paid_at, add_months(paid_at, 1))
    assert subs.activate_from_payment(payment, now=paid_at).id == active.id
    assert len(db.session.scalars(select(Subscription).where(Subscription.user_id == user.id)).all()) == 2


def test_subscribing_is_refused_for_inactive_plans_and_current_subscribers(ctx):
    user = make_user()
    with pytest.raises(Invalid):
        subs.subscribe(user, make_plan(is_active=False), now=T0)
    subs.subscribe(user, make_plan(trial_days=5), now=T0)
    with pytest.raises(Conflict) as error:
        subs.subscribe(user, make_plan(), now=T0)
    assert error.value.status_code == 409


# ---- the scheduled tasks are idempotent -----------------------------------------------------------
def test_each_task_run_twice_changes_nothing_the_second_time(ctx, clock, monkeypatch):
    plan = make_plan(price="10", trial_days=10)
    now = T0 + 40 * DAY
    make_subscription(make_user(), plan, "trial", start=now - 10 * DAY, end=now - DAY)
    make_subscription(make_user(), plan, start=now - 31 * DAY, end=now - DAY)
    make_subscription(make_user(), plan, start=now - 31 * DAY, end=now - DAY, cancel_at_period_end=True)
    make_subscription(make_user(), plan, start=now - 31 * DAY, end=now - DAY, auto_renew=False)
    make_subscription(make_user(), plan, start=now - 35 * DAY, end=now - 5 * DAY)  # past grace
    make_subscription(make_user(), plan, start=now - 25 * DAY, end=now + 5 * DAY, auto_renew=False)
    for task in (subs.renew_due, subs.expire_due, subs.remind_due):
        assert task(now=now) > 0
        before = snapshot()
        assert task(now=now) == 0
        assert snapshot() == before
    reminder = lookup_id("notification_types", "subscription_reminder")
    assert len(db.session.scalars(select(Notification).where(Notification.type_id == reminder)).all()) == 1
    for task in (tasks.renew_subscriptions, tasks.expire_subscriptions, tasks.remind_subscriptions):
        assert isinstance(task(), int)


# ---- plan changes ---------------------------------------------------------------------------------
def test_upgrade_charges_the_proration_and_switches_now(ctx, clock):
    user = make_user()
    basic, premium = make_plan("basic", price="10"), make_plan("premium", price="30")
    sub = make_subscription(user, basic, start=T0, end=T0 + 30 * DAY)
    assert subs.proration(sub, premium, T0 + 10 * DAY) == Decimal("13.33")  # (30 - 10) x 20/30
    assert subs.proration(sub, premium, T0 + 30 * DAY) == Decimal("0.00")
    assert subs.proration(sub, basic, T0) == Decimal("0.00")  # never negative
    changed, payment = subs.change_plan(user, sub, premium, now=T0 + 10 * DAY)
    assert payment.purpose == "upgrade" and payment.amount == Decimal("13.33")
    assert pay_status(payment) == "completed"
    assert payment.details["from"] == "basic" and payment.details["to"] == "premium"
    assert payment.details["proration"] == "13.33"
    assert changed.plan_id == premium.id
    assert (changed.current_period_start, changed.current_period_end) == (T0, T0 + 30 * DAY)
    with pytest.raises(Invalid):
        subs.change_plan(user, changed, premium, now=T0 + 11 * DAY)


def test_a_declined_upgrade_keeps_the_plan_and_a_trial_upgrade_is_free(ctx, clock):
    user, other = make_user(), make_user()
    basic, premium = make_plan(price="10", trial_days=14), make_plan(price="30")
    sub = make_subscription(user, basic, start=T0, end=T0 + 30 * DAY)
    decline_cards(user)
    kept, payment = subs.change_plan(user, sub, premium, now=T0 + 10 * DAY)
    assert pay_status(payment) == "failed" and kept.plan_id == basic.id
    trial, _ = subs.subscribe(other, basic, now=T0)
    switched, charge = subs.change_plan(other, trial, premium, now=T0 + DAY)
    assert charge is None and switched.plan_id == premium.id and status(switched) == "trial"


def test_downgrade_waits_for_the_period_end(ctx, clock):
    user = make_user()
    basic, plus, premium = make_plan(price="10"), make_plan(price="20"), make_plan(price="30")
    sub = make_subscription(user, premium, start=T0, end=T0 + 30 * DAY)
    changed, payment = subs.change_plan(user, sub, plus, now=T0 + DAY)
    assert payment is None and changed.plan_id == premium.id and changed.pending_plan_id == plus.id
    subs.change_plan(user, sub, basic, now=T0 + DAY)  # replaces the pending plan
    assert sub.pending_plan_id == basic.id
    subs.change_plan(user, sub, premium, now=T0 + 2 * DAY)  # the current plan again: no downgrade
    assert sub.pending_plan_id is None
    subs.change_plan(user, sub, basic, now=T0 + 3 * DAY)
    with pytest.raises(Invalid):
        subs.change_plan(user, sub, make_plan(price="5", is_active=False), now=T0 + 3 * DAY)
    assert subs.renew_due(now=T0 + 30 * DAY) == 1
    assert sub.plan_id == basic.id and sub.pending_plan_id is None
    [renewal] = payments_of(sub, "renewal")
    assert renewal.amount == Decimal("10.00") and pay_status(renewal) == "completed"
    assert sub.current_period_start == T0 + 30 * DAY


# ---- cancelling -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("policy", "refund", "final"),
    [("full", "10.00", "refunded"), ("prorated", "6.67", "completed"), ("none", "0.00", "completed")],
)
def test_cancelling_now_refunds_by_policy_and_ends_access(
    ctx, clock, app, monkeypatch, policy, refund, final
):
    monkeypatch.setitem(app.config, "BILLING_REFUND_POLICY", policy)
    user, plan = make_user(), make_plan(price="10")
    course = make_course(price=20)
    _, payment = subs.subscribe(user, plan, now=T0)
    payments.complete_payment(payment, transaction_id=f"txn_{policy}", now=T0)
    sub = db.session.get(Subscription, payment.subscription_id)
    assert sub.current_period_end == T0 + 30 * DAY
    make_enrollment(user, course, type="subscription")
    clock.now = T0 + 10 * DAY
    assert courses.can_access(user, course)
    assert subs.refund_amount(sub, payment, policy, clock.now) == Decimal(refund)
    subs.cancel(user, sub, at_period_end=False, now=clock.now)
    assert status(sub) == "cancelled" and not sub.is_current and sub.ended_at == clock.now
    assert payment.refunded_amount == Decimal(refund) and pay_status(payment) == final
    assert not courses.has_active_subscription(user.id) and not courses.can_access(user, course)
    with pytest.raises(Conflict):
        subs.cancel(user, sub, at_period_end=False, now=clock.now)


def test_cancel_at_period_end_keeps_access_until_the_end(ctx, clock):
    user, plan = make_user(), make_plan(price="10")
    course = make_course(price=20)
    sub = make_subscription(user, plan, start=T0, end=T0 + 30 * DAY)
    make_enrollment(user, course, type="subscription")
    subs.cancel(user, sub, now=T0 + 5 * DAY)
    assert sub.cancel_at_period_end and sub.cancelled_at == T0 + 5 * DAY and sub.is_current
    clock.now = T0 + 30 * DAY - timedelta(minutes=1)
    assert courses.can_access(user, course)
    clock.now = T0 + 30 * DAY
    assert subs.renew_due(now=clock.now) == 0 and payments_of(sub) == []
    assert subs.expire_due(now=clock.now) == 1
    assert status(sub) == "cancelled" and not sub.is_current
    assert not courses.can_access(user, course)


def test_auto_renew_off_expires_at_the_end_and_on_withdraws_a_cancellation(ctx, clock):
    user, plan = make_user(), make_plan(price="10")
    sub = make_subscription(user, plan, start=T0, end=T0 + 30 * DAY)
    subs.cancel(user, sub, now=T0 + DAY)
    subs.set_auto_renew(user, sub, True)
    assert not sub.cancel_at_period_end and sub.cancelled_at is None
    subs.set_auto_renew(user, sub, False)
    assert subs.renew_due(now=T0 + 30 * DAY) == 0
    assert subs.expire_due(now=T0 + 30 * DAY) == 1 and status(sub) == "expired"


def test_only_the_owner_or_an_admin_changes_a_subscription(ctx):
    owner, stranger, admin = make_user(), make_user(), make_user("Admin")
    plan, other = make_plan(price="10"), make_plan(price="5")
    sub = make_subscription(owner, plan, start=T0, end=T0 + 30 * DAY)
    for action in (
        lambda: subs.cancel(stranger, sub, now=T0),
        lambda: subs.cancel(stranger, sub, at_period_end=False, now=T0),
        lambda: subs.change_plan(stranger, sub, other, now=T0),
        lambda: subs.set_auto_renew(stranger, sub, False),
    ):
        with pytest.raises(Forbidden) as error:
            action()
        assert error.value.status_code == 403
    assert subs.set_auto_renew(admin, sub, False).auto_renew is False
    assert subs.cancel(admin, sub, now=T0).cancel_at_period_end


# ---- reminders ------------------------------------------------------------------------------------
def test_reminders_are_sent_once_per_period_in_the_users_language(app, ctx, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # the notification's e-mail is sent inline
    plan = make_plan("gold", price="10", trial_days=14, name="Gold")
    arabic, english, renewing = make_user(locale="ar"), make_user(), make_user()
    ending = make_subscription(arabic, plan, start=T0, end=T0 + 30 * DAY, auto_renew=False)
    trial = make_subscription(english, plan, "trial", start=T0 + 16 * DAY, end=T0 + 30 * DAY)
    make_subscription(renewing, plan, start=T0, end=T0 + 30 * DAY)
    now = T0 + 25 * DAY
    assert subs.remind_due(now=now) == 2 and subs.remind_due(now=now + DAY) == 0
    # The e-mail is the notification's (its sentence is the reminder's wording), once per user.
    by_user = {message["To"]: message.get_body(("plain",)).get_content() for message in smtp_server}
    assert set(by_user) == {arabic.email, english.email}
    assert "ديسمبر" in by_user[arabic.email]  # 1 December, in Arabic
    assert "Your trial of the Gold plan ends on 1 December 2030." in by_user[english.email]
    assert "\u2068$10.00\u2069" in by_user[english.email]  # the first charge, isolated in its sentence
    assert ending.reminded_for == T0 + 30 * DAY and trial.reminded_for == T0 + 30 * DAY
    changes = [e.new_values or {} for e in history("subscription", ending.id)]
    assert [c["reminded_for"] for c in changes if c.get("reminded_for")] == [(T0 + 30 * DAY).isoformat()]
