"""Findings of the billing review, each kept fixed: a cheap payment never buys a dear plan, a pending
payment left while the price changed never buys at the old price, no free upgrade while a renewal
is unpaid, and a plan's course limit holds under concurrent enrolments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.billing.gateways import sandbox
from app.billing.services import payments, subscriptions
from app.billing.services.periods import current_subscription
from app.core.errors import Conflict
from app.core.models import as_utc, utcnow
from app.courses.services import has_purchased
from app.extensions import db
from tests.billing_factories import make_plan, make_subscription
from tests.factories import make_user
from tests.payment_helpers import paid_course, reload, status


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    return smtp_server


def test_a_cheap_pending_payment_never_extends_a_dear_plan(ctx: None) -> None:
    user = make_user("Student")
    basic, premium = make_plan(price="10"), make_plan(price="100")
    _, cheap = subscriptions.subscribe(user, basic)
    _, dear = subscriptions.subscribe(user, premium)
    sandbox().pay(reload(dear))
    subscription = current_subscription(user.id)
    end = as_utc(subscription.current_period_end)
    sandbox().pay(reload(cheap))
    db.session.refresh(subscription)
    assert subscription.plan_id == premium.id and as_utc(subscription.current_period_end) == end
    assert status(cheap) == "refunded"


def test_a_payment_started_before_a_price_change_buys_nothing(ctx: None) -> None:
    user = make_user("Student")
    course = paid_course(price="10")
    payment = payments.buy_course(user, course)
    course.price = Decimal("100")
    db.session.commit()
    sandbox().pay(reload(payment))
    assert not has_purchased(user.id, course.id)
    assert status(payment) in ("failed", "refunded")


def test_a_withdrawn_plan_is_not_bought_by_an_old_checkout(ctx: None) -> None:
    user = make_user("Student")
    plan = make_plan(price="10")
    _, payment = subscriptions.subscribe(user, plan)
    plan.is_active = False
    db.session.commit()
    sandbox().pay(reload(payment))
    assert current_subscription(user.id) is None


def test_no_plan_change_while_a_renewal_is_unpaid(ctx: None) -> None:
    user = make_user("Student")
    basic, premium = make_plan(price="10"), make_plan(price="100")
    now = utcnow()
    subscription = make_subscription(
        user, basic, start=now - timedelta(days=31), end=now - timedelta(hours=1)
    )
    assert subscriptions.in_grace(subscription)
    with pytest.raises(Conflict):
        subscriptions.change_plan(user, subscription, premium)
    db.session.refresh(subscription)
    assert subscription.plan_id == basic.id


def test_a_course_limit_holds_under_concurrent_enrolments(app, committed) -> None:
    import threading

    from app.core.transactions import transaction
    from app.courses.models import Course, Enrollment
    from app.courses.services import enroll_student
    from app.courses.services.enrollment import open_subscription_enrollments
    from app.security.models import LmsUser
    from tests.course_factories import make_course

    with app.app_context():
        user = make_user("Student")
        make_subscription(user, make_plan(price="10", features={"course_access": 1}))
        teacher = make_user("Instructor")
        course_ids = [make_course(instructors=[teacher], price="50", title=f"C{i}").id for i in range(2)]
        user_id = user.id
        db.session.remove()
    for _attempt in range(3):
        barrier = threading.Barrier(2, timeout=20)

        def enrol(course_id: int, barrier: threading.Barrier = barrier) -> None:
            with app.app_context():
                try:
                    user, course = db.session.get(LmsUser, user_id), db.session.get(Course, course_id)
                    barrier.wait()
                    with transaction():  # the service flushes; its caller commits
                        enroll_student(user, course)
                except Exception:  # the refused one: its plan's limit is reached
                    db.session.rollback()
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=enrol, args=(course_id,)) for course_id in course_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with app.app_context():
            assert open_subscription_enrollments(user_id) == 1
            db.session.query(Enrollment).filter(Enrollment.user_id == user_id).delete()
            db.session.commit()
            db.session.remove()
