"""Feature gating by plan: switched-on features, limits per period (reset at renewal, kept in grace),
no subscription, concurrent consumers against PostgreSQL, and the route decorator's 403."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.billing import tasks
from app.billing.models import FeatureUsage
from app.billing.services import features
from app.billing.services import subscriptions as subs
from app.core.models import utcnow
from app.core.transactions import transaction
from app.extensions import db
from tests.billing_factories import make_plan, make_subscription
from tests.factories import make_user

T0 = datetime(2030, 11, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _no_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    """A renewal's invoice is the invoices' business."""
    monkeypatch.setattr(tasks, "issue_invoice", lambda payment_id: None)


def _subscriber(
    limits: dict[str, int | None], start: datetime = T0, **options: object
) -> tuple[object, object]:
    user = make_user()
    plan = make_plan(price="10", features=limits, **options)
    return user, make_subscription(user, plan, start=start, end=start + 30 * DAY)


def test_switched_on_features_are_allowed_and_others_not(ctx):
    user, _ = _subscriber({"chat_access": None, "downloads": 2}, disabled=("certificates",))
    now = T0 + DAY
    assert features.allows(user.id, "chat_access", now) and features.allows(user.id, "downloads", now)
    assert not features.allows(user.id, "certificates", now)  # in the plan, switched off
    assert not features.allows(user.id, "premium_content", now)  # not in the plan
    assert features.limit_left(user.id, "chat_access", now) is None
    assert features.limit_left(user.id, "certificates", now) == 0
    with pytest.raises(features.FeatureNotInPlan) as error:
        features.consume(user.id, "premium_content", now=now)
    assert error.value.status_code == 403 and "premium content" in error.value.message


def test_limits_are_consumed_per_period_and_reset_at_renewal(ctx):
    user, _ = _subscriber({"downloads": 2, "course_access": None})
    now = T0 + DAY
    assert features.limit_left(user.id, "downloads", now) == 2
    assert features.consume(user.id, "downloads", now=now) == 1
    assert features.consume(user.id, "downloads", now=now) == 2
    assert features.limit_left(user.id, "downloads", now) == 0
    with pytest.raises(features.FeatureLimitReached) as error:
        features.consume(user.id, "downloads", now=now)
    message = error.value.message
    assert error.value.status_code == 403
    assert message == (
        "Your plan's downloads for this period are used up (2 of 2). They renew on 1 December 2030."
    )
    assert features.consume(user.id, "course_access", 5, now=now) == 5  # unlimited: only counted
    assert subs.renew_due(now=T0 + 30 * DAY) == 1  # the sandbox charges the next period
    later = T0 + 31 * DAY
    assert features.limit_left(user.id, "downloads", later) == 2
    assert features.consume(user.id, "downloads", now=later) == 1
    periods = db.session.scalars(
        select(FeatureUsage.period_start).where(
            FeatureUsage.user_id == user.id, FeatureUsage.feature_code == "downloads"
        )
    ).all()
    assert sorted(periods) == [T0, T0 + 30 * DAY]


def test_grace_keeps_features_and_no_subscription_has_none(ctx):
    user, sub = _subscriber({"downloads": 3})
    in_grace = T0 + 31 * DAY  # ended yesterday, unpaid
    assert subs.in_grace(sub, in_grace)
    assert features.allows(user.id, "downloads", in_grace)
    assert features.consume(user.id, "downloads", now=in_grace) == 1
    assert not features.allows(user.id, "downloads", T0 + 34 * DAY)  # grace over
    nobody = make_user()
    assert not features.allows(nobody.id, "downloads", T0)
    assert features.limit_left(nobody.id, "downloads", T0) == 0
    with pytest.raises(features.FeatureNotInPlan) as error:
        features.consume(nobody.id, "downloads", now=T0)
    assert "subscription" in error.value.message


def test_a_cancelled_period_end_says_when_it_ends(ctx):
    user, sub = _subscriber({"downloads": 1})
    subs.cancel(user, sub, now=T0)
    features.consume(user.id, "downloads", now=T0)
    with pytest.raises(features.FeatureLimitReached) as error:
        features.consume(user.id, "downloads", now=T0)
    assert error.value.message.endswith("Your subscription ends on 1 December 2030.")


# ---- concurrency (committed data) -----------------------------------------------------------------
def test_concurrent_consumers_never_pass_the_limit(app, committed):
    with app.app_context():
        user, _ = _subscriber({"downloads": 5})
        user_id = user.id
        db.session.remove()
    barrier = threading.Barrier(2, timeout=20)
    taken: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(5):
                    try:
                        with transaction():
                            taken.append(features.consume(user_id, "downloads", now=T0 + DAY))
                    except features.FeatureLimitReached:
                        refused.append(1)
                        db.session.rollback()
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(taken) == [1, 2, 3, 4, 5] and len(refused) == 5
    with app.app_context():
        used = db.session.scalar(select(FeatureUsage.used).where(FeatureUsage.user_id == user_id))
        assert used == 5
        db.session.remove()


# ---- the route decorator --------------------------------------------------------------------------
@features.require_feature("downloads")
def download_view() -> str:
    return "the file"


def test_require_feature_answers_403_json_for_the_api_and_a_page_otherwise(app, ctx):
    yesterday = utcnow() - DAY  # the decorator asks about now
    user, _ = _subscriber({"chat_access": None}, yesterday)
    with app.test_request_context("/api/v1/media/7/download"):
        g.user = user
        response = download_view()
        assert response.status_code == 403
        assert response.json["message"] == "Your plan does not include downloads."
        assert response.json["errors"] == {}
    with app.test_request_context("/media/7/download", headers={"Accept": "text/html"}):
        g.user = user
        response = download_view()
        assert response.status_code == 403 and response.mimetype == "text/html"
        assert "Your plan does not include downloads." in response.get_data(as_text=True)
    reader, _ = _subscriber({"downloads": 1}, yesterday)
    with app.test_request_context("/api/v1/media/7/download"):
        g.user = reader
        assert download_view() == "the file"
        features.consume(reader.id, "downloads")
        response = download_view()
        assert response.status_code == 403 and "(1 of 1)" in response.json["message"]
        assert response.json["errors"] == {"feature": ["downloads"]}
    with app.test_request_context("/api/v1/media/7/download"):
        g.user = None  # signed out (g belongs to the test's app context)
        assert download_view().status_code == 401
