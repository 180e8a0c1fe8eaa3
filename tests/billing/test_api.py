"""Billing REST API: plans and features, subscribing (trial and paid), changing plan, cancelling, auto
renewal, buying a course, refunds and manual payments (admins), allowances, row scoping, bad bodies,
and the public webhook endpoint."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from app.billing.gateways import sandbox
from app.billing.models import Invoice, Payment, Plan, Subscription, WebhookEvent
from app.billing.services import payments
from app.courses.models import Course
from app.courses.services import can_access
from app.extensions import db
from app.security.models import LmsUser
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import jwt_headers
from tests.course_factories import make_course
from tests.factories import make_user
from tests.payment_helpers import paid_course, tampered

WEBHOOK = "/api/v1/payment/webhook/sandbox"


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (the invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


@pytest.fixture
def world(app):
    """An admin, two students and one whose cards are declined; a trial plan, two paid plans, an
    inactive one, a paid course and a free one."""
    with app.app_context():
        users = {
            "admin": make_user("Admin"),
            "alice": make_user("Student"),
            "bob": make_user("Student"),
            "carol": make_user("Student", email="carol+decline@example.test"),
        }
        plans = {
            "trial": make_plan(price="10", trial_days=14),
            "basic": make_plan(price="10", features={"course_access": None, "downloads": 10}),
            "premium": make_plan(price="30", features={"course_access": None, "downloads": None}),
            "retired": make_plan(price="5", is_active=False),
        }
        ids: dict[str, Any] = {key: row.id for key, row in {**users, **plans}.items()}
        ids["course"] = paid_course("49.99").id
        ids["free_course"] = make_course(instructors=[make_user("Instructor")], price=0).id
        names = {key: user.username for key, user in users.items()}
        db.session.remove()
    client = app.test_client()
    headers = {key: jwt_headers(client, name) for key, name in names.items()}
    return client, headers, ids


def _in(app, func: Any) -> Any:
    """Run `func` in an app context and return its result."""
    with app.app_context():
        try:
            return func()
        finally:
            db.session.remove()


def _subscribe(app, user_id: int, plan_id: int, **fields: Any) -> int:
    return _in(app, lambda: make_subscription(user_id, db.session.get(Plan, plan_id), **fields).id)


def _complete(app, payment_id: int, transaction: str = "txn_api_1") -> None:
    _in(
        app,
        lambda: payments.complete_payment(db.session.get(Payment, payment_id), transaction_id=transaction),
    )


def _row(app, model: type, row_id: int) -> dict[str, Any]:
    """A few stored fields of a subscription or payment."""

    def read() -> dict[str, Any]:
        row = db.session.get(model, row_id, populate_existing=True)
        return {"plan_id": getattr(row, "plan_id", None), "status": row.status.code}

    return _in(app, read)


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {row["id"] for row in response.json["result"]}


# ---- plans ------------------------------------------------------------------------------------
def test_users_read_active_plans_with_their_features(world):
    client, headers, ids = world
    listed = client.get("/api/v1/plan/?q=(page_size:100)", headers=headers["alice"])
    rows = {row["id"]: row for row in listed.json["result"]}
    assert ids["basic"] in rows and ids["retired"] not in rows
    features = {f["code"]: f for f in rows[ids["basic"]]["features"]}
    assert features["downloads"]["limit_value"] == 10 and features["course_access"]["limit_value"] is None
    shown = client.get(f"/api/v1/plan/{ids['premium']}", headers=headers["alice"])
    assert shown.status_code == 200 and shown.json["result"]["cycle_months"] == 1
    assert {f["code"] for f in shown.json["result"]["features"]} == {"course_access", "downloads"}
    assert client.get(f"/api/v1/plan/{ids['retired']}", headers=headers["alice"]).status_code == 404
    assert client.get(f"/api/v1/plan/{ids['retired']}", headers=headers["admin"]).status_code == 200
    assert client.get("/api/v1/plan/", headers={}).status_code == 401
    for resource in ("plan", "plan_feature"):
        assert client.post(f"/api/v1/{resource}/", json={}, headers=headers["alice"]).status_code == 403
    assert client.get("/api/v1/webhook_event/", headers=headers["alice"]).status_code == 403


def test_admins_write_plans_and_features_with_checked_values(world):
    client, headers, ids = world
    admin = headers["admin"]
    body = {
        "code": "gold-annual",
        "translations": {"en": {"name": "Gold"}, "ar": {"name": "ذهبي"}},
        "price": "99.50",
        "currency": "sar",
        "billing_cycle": "annual",
        "trial_days": 7,
    }
    created = client.post("/api/v1/plan/", json=body, headers=admin)
    assert created.status_code == 201, created.json
    plan_id = created.json["id"]
    shown = client.get(f"/api/v1/plan/{plan_id}", headers=admin).json["result"]
    assert shown["currency"] == "SAR" and shown["cycle_months"] == 12 and shown["features"] == []
    assert client.post("/api/v1/plan/", json=body, headers=admin).status_code == 409
    for bad in (
        {"price": "-1"},
        {"code": "Bad Code"},
        {"translations": {"ar": {"name": "x"}}},
        {"currency": "XYZ"},
        {"translations": {"fr": {"name": "x"}}},
        {"price": "1e20"},
        {"trial_days": 1000},
        {"billing_cycle": "weekly"},
    ):
        answer = client.post("/api/v1/plan/", json={**body, "code": "other", **bad}, headers=admin)
        assert answer.status_code == 422, (bad, answer.json)
        assert answer.json["message"] and isinstance(answer.json["errors"], dict)
    assert client.post("/api/v1/plan/", json=[body], headers=admin).status_code == 400
    changed = client.put(f"/api/v1/plan/{plan_id}", json={"price": "120", "is_active": False}, headers=admin)
    assert changed.status_code == 200, changed.json
    assert client.get(f"/api/v1/plan/{plan_id}", headers=headers["alice"]).status_code == 404
    assert client.put(f"/api/v1/plan/{plan_id}", json={"trial_days": -1}, headers=admin).status_code == 422
    assert (
        client.put(f"/api/v1/plan/{plan_id}", json={"price": 1}, headers=headers["alice"]).status_code == 403
    )
    assert client.get("/api/v1/plan/_info", headers=headers["alice"]).json.get("add_columns", []) == []
    feature = {"plan": plan_id, "feature": "downloads", "limit_value": 5}
    added = client.post("/api/v1/plan_feature/", json=feature, headers=admin)
    assert added.status_code == 201, added.json
    shown = client.get(f"/api/v1/plan_feature/{added.json['id']}", headers=admin).json["result"]
    assert shown["feature"]["code"] == "downloads" and shown["feature_name"] == "Downloads"
    # The plan is inactive now: its features are hidden from users too.
    assert client.get(f"/api/v1/plan_feature/{added.json['id']}", headers=headers["alice"]).status_code == 404
    listed = client.get(
        f"/api/v1/plan_feature/?q=(filters:!((col:plan,opr:rel_o_m,value:{plan_id})))", headers=admin
    )
    assert _ids(listed) == {added.json["id"]}
    assert client.post("/api/v1/plan_feature/", json=feature, headers=admin).status_code == 409
    switch = {"plan": plan_id, "feature": "chat_access", "limit_value": 3}
    assert client.post("/api/v1/plan_feature/", json=switch, headers=admin).status_code == 422
    switch["limit_value"] = None
    assert client.post("/api/v1/plan_feature/", json=switch, headers=admin).status_code == 201
    shown = client.get(f"/api/v1/plan/{plan_id}", headers=admin).json["result"]
    assert [f["code"] for f in shown["features"]] == ["chat_access", "downloads"]
    # A plan with subscribers is deactivated, not deleted.
    _subscribe(client.application, ids["alice"], ids["basic"])
    assert client.delete(f"/api/v1/plan/{ids['basic']}", headers=admin).status_code == 409
    assert client.delete(f"/api/v1/plan/{ids['retired']}", headers=admin).status_code == 200


# ---- subscribing ------------------------------------------------------------------------------
def test_subscribing_to_a_trial_plan_starts_the_trial(world):
    client, headers, ids = world
    started = client.post(f"/api/v1/plan/{ids['trial']}/subscribe", headers=headers["alice"])
    assert started.status_code == 201, started.json
    result = started.json["result"]
    assert result["status"]["code"] == "trial" and result["plan_id"] == ids["trial"]
    assert result["user_id"] == ids["alice"] and result["in_grace"] is False
    again = client.post(f"/api/v1/plan/{ids['basic']}/subscribe", headers=headers["alice"])
    assert again.status_code == 409 and again.json["message"]
    assert client.post(f"/api/v1/plan/{ids['retired']}/subscribe", headers=headers["bob"]).status_code == 404


def test_subscribing_to_a_paid_plan_answers_with_a_checkout(world):
    client, headers, ids = world
    app = client.application
    answer = client.post(
        f"/api/v1/plan/{ids['basic']}/subscribe", json={"provider": "sandbox"}, headers=headers["alice"]
    )
    assert answer.status_code == 202, answer.json
    assert "/billing/sandbox/checkout/" in answer.json["checkout_url"] and answer.json["amount"] == "10.00"
    payment_id = answer.json["payment_id"]
    shown = client.get(f"/api/v1/payment/{payment_id}", headers=headers["alice"]).json["result"]
    assert (
        shown["status"]["code"] == "pending" and shown["checkout_url"] and shown["purpose"] == "subscription"
    )
    assert "idempotency_key" not in shown
    assert client.get("/api/v1/subscription/", headers=headers["alice"]).json["count"] == 0
    _complete(app, payment_id)
    mine = client.get("/api/v1/subscription/", headers=headers["alice"]).json["result"]
    assert [(row["plan_id"], row["status"]["code"]) for row in mine] == [(ids["basic"], "active")]
    paid = client.get(f"/api/v1/payment/{payment_id}", headers=headers["alice"]).json["result"]
    assert paid["checkout_url"] is None and paid["invoice_id"]
    for bad in ({"provider": "nowhere"}, {"provider": 3}):
        refused = client.post(f"/api/v1/plan/{ids['basic']}/subscribe", json=bad, headers=headers["bob"])
        assert refused.status_code == 422, refused.json
    refused = client.post(f"/api/v1/plan/{ids['basic']}/subscribe", json=[1], headers=headers["bob"])
    assert refused.status_code == 400


# ---- changing plans, cancelling, renewal ------------------------------------------------------
def test_downgrade_waits_and_upgrade_is_charged(world):
    client, headers, ids = world
    app = client.application
    sub = _subscribe(app, ids["alice"], ids["premium"])
    down = client.post(
        f"/api/v1/subscription/{sub}/change_plan", json={"plan_id": ids["basic"]}, headers=headers["alice"]
    )
    assert down.status_code == 200, down.json
    assert down.json["result"]["pending_plan_id"] == ids["basic"] and down.json["payment"] is None
    assert down.json["result"]["plan_id"] == ids["premium"]

    other = _subscribe(app, ids["bob"], ids["basic"])
    up = client.post(
        f"/api/v1/subscription/{other}/change_plan", json={"plan_id": ids["premium"]}, headers=headers["bob"]
    )
    assert up.status_code == 200, up.json
    assert up.json["result"]["plan_id"] == ids["premium"]
    assert up.json["payment"]["status"]["code"] == "completed" and up.json["payment"]["purpose"] == "upgrade"
    assert Decimal("0") < Decimal(up.json["payment"]["amount"]) <= Decimal("20.00")
    for bad, status in (({"plan_id": "x"}, 422), ({"plan_id": ids["retired"]}, 422), ({}, 422), ([], 400)):
        answer = client.post(f"/api/v1/subscription/{other}/change_plan", json=bad, headers=headers["bob"])
        assert answer.status_code == status, (bad, answer.json)


def test_a_declined_upgrade_is_409_and_keeps_the_plan(world):
    client, headers, ids = world
    app = client.application
    sub = _subscribe(app, ids["carol"], ids["basic"])
    answer = client.post(
        f"/api/v1/subscription/{sub}/change_plan", json={"plan_id": ids["premium"]}, headers=headers["carol"]
    )
    assert answer.status_code == 409 and answer.json["errors"]["payment"], answer.json
    assert answer.json["message"] and answer.json["errors"]["payment"] == ["card_declined"]
    assert _row(app, Payment, answer.json["payment_id"])["status"] == "failed"
    assert _row(app, Subscription, sub)["plan_id"] == ids["basic"]


def test_cancel_at_period_end_and_auto_renew(world):
    client, headers, ids = world
    app = client.application
    sub = _subscribe(app, ids["alice"], ids["basic"])
    url = f"/api/v1/subscription/{sub}"
    off = client.post(f"{url}/auto_renew", json={"on": False}, headers=headers["alice"])
    assert off.status_code == 200 and off.json["result"]["auto_renew"] is False
    cancelled = client.post(f"{url}/cancel", json={"at_period_end": True}, headers=headers["alice"])
    assert cancelled.status_code == 200, cancelled.json
    result = cancelled.json["result"]
    assert result["cancel_at_period_end"] is True and result["status"]["code"] == "active"
    assert result["is_current"] is True and result["cancelled_at"]
    on = client.post(f"{url}/auto_renew", json={"on": True}, headers=headers["alice"])
    assert on.json["result"]["auto_renew"] is True and on.json["result"]["cancel_at_period_end"] is False
    for bad in ({}, {"on": "yes"}, {"on": 1}):
        assert client.post(f"{url}/auto_renew", json=bad, headers=headers["alice"]).status_code == 422
    assert (
        client.post(f"{url}/cancel", json={"at_period_end": "no"}, headers=headers["alice"]).status_code
        == 422
    )
    assert client.post(f"{url}/cancel", data="nope", headers=headers["alice"]).status_code == 400
    now = client.post(f"{url}/cancel", json={"at_period_end": False}, headers=headers["alice"])
    assert now.status_code == 200 and now.json["result"]["status"]["code"] == "cancelled"
    assert client.post(f"{url}/cancel", headers=headers["alice"]).status_code == 409


def test_allowances_of_the_caller(world):
    client, headers, ids = world
    _subscribe(client.application, ids["alice"], ids["basic"])
    mine = client.get("/api/v1/subscription/features", headers=headers["alice"])
    assert mine.status_code == 200, mine.json
    features = mine.json["result"]["features"]
    assert features["downloads"] == {**features["downloads"], "allowed": True, "limit": 10, "left": 10}
    assert features["course_access"]["allowed"] is True and features["course_access"]["limit"] is None
    assert features["chat_access"] == {**features["chat_access"], "allowed": False, "limit": 0, "left": 0}
    assert mine.json["result"]["plan"] and mine.json["result"]["subscription_id"]
    none = client.get("/api/v1/subscription/features", headers=headers["bob"]).json["result"]
    assert none["subscription_id"] is None and not any(f["allowed"] for f in none["features"].values())


# ---- course purchases -------------------------------------------------------------------------
def test_buying_a_course_then_paying_gives_access(world):
    client, headers, ids = world
    app = client.application
    bought = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["course"]}, headers=headers["alice"]
    )
    assert bought.status_code == 202, bought.json
    assert bought.json["checkout_url"] and bought.json["amount"] == "49.99"

    def access() -> bool:
        return can_access(db.session.get(LmsUser, ids["alice"]), db.session.get(Course, ids["course"]))

    assert not _in(app, access)
    _complete(app, bought.json["payment_id"])
    assert _in(app, access)
    again = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["course"]}, headers=headers["alice"]
    )
    assert again.status_code == 409
    free = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["free_course"]}, headers=headers["bob"]
    )
    assert free.status_code == 422
    for bad, status in (({"course_id": 987654321}, 404), ({"course_id": "abc"}, 422), ({}, 422), ("x", 400)):
        answer = client.post("/api/v1/payment/purchase", json=bad, headers=headers["bob"])
        assert answer.status_code == status, (bad, answer.json)
        assert "message" in answer.json and "errors" in answer.json


def test_refunds_and_manual_payments_are_for_admins(world):
    client, headers, ids = world
    app = client.application
    bought = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["course"]}, headers=headers["alice"]
    )
    payment_id = bought.json["payment_id"]
    _complete(app, payment_id)
    refund = f"/api/v1/payment/{payment_id}/refund"
    assert client.post(refund, json={}, headers=headers["alice"]).status_code == 403
    assert client.post(refund, json={"amount": "500"}, headers=headers["admin"]).status_code == 422
    assert client.post(refund, json={"amount": [1]}, headers=headers["admin"]).status_code == 422
    part = client.post(refund, json={"amount": "9.99"}, headers=headers["admin"])
    assert part.status_code == 200, part.json
    assert (
        part.json["result"]["refunded_amount"] == "9.99"
        and part.json["result"]["status"]["code"] == "completed"
    )
    rest = client.post(refund, json={}, headers=headers["admin"])
    assert rest.json["result"]["status"]["code"] == "refunded"
    assert client.post(refund, json={}, headers=headers["admin"]).status_code == 409

    manual = client.post(
        "/api/v1/payment/purchase",
        json={"course_id": ids["course"], "provider": "manual"},
        headers=headers["bob"],
    )
    assert manual.status_code == 202 and manual.json["checkout_url"] is None
    mark = f"/api/v1/payment/{manual.json['payment_id']}/mark_paid"
    assert client.post(mark, json={"transaction_id": "BANK-1"}, headers=headers["bob"]).status_code == 403
    assert client.post(mark, json={}, headers=headers["admin"]).status_code == 422
    paid = client.post(mark, json={"transaction_id": "BANK-1"}, headers=headers["admin"])
    assert paid.status_code == 200, paid.json
    assert paid.json["result"]["status"]["code"] == "completed" and paid.json["result"]["method"] == "manual"
    online = client.post(
        f"/api/v1/payment/{payment_id}/mark_paid", json={"transaction_id": "X"}, headers=headers["admin"]
    )
    assert online.status_code == 409
    assert (
        client.post("/api/v1/payment/987654321/refund", json={}, headers=headers["admin"]).status_code == 404
    )


# ---- row scoping ------------------------------------------------------------------------------
def test_users_never_see_other_users_billing_rows(world):
    client, headers, ids = world
    app = client.application
    sub = _subscribe(app, ids["alice"], ids["basic"])
    bought = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["course"]}, headers=headers["alice"]
    )
    payment_id = bought.json["payment_id"]
    _complete(app, payment_id)
    invoice_id = _in(app, lambda: db.session.query(Invoice.id).filter_by(payment_id=payment_id).scalar())
    assert invoice_id
    rows = {"subscription": sub, "payment": payment_id, "invoice": invoice_id}
    for resource, row_id in rows.items():
        assert client.get(f"/api/v1/{resource}/{row_id}", headers=headers["alice"]).status_code == 200
        assert client.get(f"/api/v1/{resource}/{row_id}", headers=headers["admin"]).status_code == 200
        assert client.get(f"/api/v1/{resource}/{row_id}", headers=headers["bob"]).status_code == 404
        assert row_id not in _ids(client.get(f"/api/v1/{resource}/", headers=headers["bob"]))
        assert row_id in _ids(client.get(f"/api/v1/{resource}/", headers=headers["alice"]))
    for verb, body in (
        ("cancel", {}),
        ("auto_renew", {"on": False}),
        ("change_plan", {"plan_id": ids["premium"]}),
    ):
        answer = client.post(f"/api/v1/subscription/{sub}/{verb}", json=body, headers=headers["bob"])
        assert answer.status_code == 404, verb
    download = client.get(f"/api/v1/invoice/{invoice_id}/download", headers=headers["alice"])
    assert download.status_code == 200 and download.json["url"]
    assert client.get(f"/api/v1/invoice/{invoice_id}/download", headers=headers["bob"]).status_code == 404
    invoice = client.get(f"/api/v1/invoice/{invoice_id}", headers=headers["alice"]).json["result"]
    assert invoice["number"].startswith("INV-") and invoice["total"] == "49.99" and invoice["pdf_ready"]
    assert (
        client.get("/api/v1/subscription/99999999999999999999", headers=headers["alice"]).status_code == 404
    )


# ---- webhooks ---------------------------------------------------------------------------------
def test_the_webhook_endpoint_accepts_signed_events_and_refuses_forged_ones(world):
    client, headers, ids = world
    app = client.application
    bought = client.post(
        "/api/v1/payment/purchase", json={"course_id": ids["course"]}, headers=headers["alice"]
    )
    payment_id = bought.json["payment_id"]
    sent = _in(
        app,
        lambda: sandbox().event(
            "payment.succeeded", db.session.get(Payment, payment_id), transaction="txn_hook"
        ),
    )
    forged = client.post(WEBHOOK, data=sent.body, headers=tampered(sent.headers))
    assert forged.status_code == 403 and forged.json["message"]
    assert _row(app, Payment, payment_id)["status"] == "pending"
    accepted = client.post(WEBHOOK, data=sent.body, headers=sent.headers)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["processed"] is True and accepted.json["event"] == json.loads(sent.body)["id"]
    assert _row(app, Payment, payment_id)["status"] == "completed"
    events = client.get("/api/v1/webhook_event/", headers=headers["admin"])
    assert events.status_code == 200
    event_id = _in(app, lambda: db.session.query(WebhookEvent.id).filter_by(event_id=sent.event_id).scalar())
    assert event_id in {row["id"] for row in events.json["result"]}
    assert client.get(f"/api/v1/webhook_event/{event_id}", headers=headers["alice"]).status_code == 403
