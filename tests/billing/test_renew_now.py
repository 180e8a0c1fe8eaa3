"""Paying a renewal by hand in the grace period, after the automatic charge failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.billing.gateways import sandbox
from app.billing.services import subscriptions
from app.core.errors import Conflict, Forbidden
from app.core.models import as_utc, utcnow
from app.extensions import db
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import jwt_headers, login
from tests.factories import make_user
from tests.payment_helpers import reload, status


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    return smtp_server


def _in_grace(user):
    plan = make_plan(price="10")
    now = utcnow()
    return make_subscription(user, plan, start=now - timedelta(days=31), end=now - timedelta(hours=1))


def test_paying_by_hand_in_grace_moves_the_period_on(ctx: None) -> None:
    user = make_user("Student")
    subscription = _in_grace(user)
    end = as_utc(subscription.current_period_end)
    assert subscriptions.in_grace(subscription)
    payment = subscriptions.renew_now(user, subscription)
    assert status(payment) == "pending" and payment.purpose == "renewal"
    sandbox().pay(reload(payment))
    db.session.refresh(subscription)
    assert status(payment) == "completed"
    assert (
        as_utc(subscription.current_period_start) == end
        and as_utc(subscription.current_period_end) > utcnow()
    )
    assert not subscriptions.in_grace(subscription)


def test_only_the_owner_renews_and_only_in_grace(ctx: None) -> None:
    user, other = make_user("Student"), make_user("Student")
    subscription = _in_grace(user)
    with pytest.raises(Forbidden):
        subscriptions.renew_now(other, subscription)
    running = make_subscription(other, make_plan(price="10"))
    with pytest.raises(Conflict):
        subscriptions.renew_now(other, running)


def test_renew_through_the_api_and_the_portal(app) -> None:
    with app.app_context():
        user = make_user("Student")
        subscription_id, username = _in_grace(user).id, user.username
    client = app.test_client()
    answer = client.post(
        f"/api/v1/subscription/{subscription_id}/renew", json={}, headers=jwt_headers(client, username)
    )
    assert answer.status_code == 202 and answer.json["checkout_url"].startswith("/billing/sandbox/checkout/")
    browser = app.test_client()
    login(browser, username)
    page = browser.get("/my/subscription").get_data(as_text=True)
    assert 'id="grace-notice"' in page and 'id="renew-now"' in page
    response = browser.post("/my/subscription/renew")
    assert response.status_code == 302 and "/billing/sandbox/checkout/" in response.headers["Location"]
