"""Payment webhooks: verified, stored once per event, applied once (also under concurrency), refused
when forged or stale, late contradicting events ignored, and the public HTTP endpoint."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.billing.gateways import WebhookRejected, sandbox
from app.billing.models import Payment, WebhookEvent
from app.billing.services import payments
from app.billing.services.payment_webhooks import handle_webhook
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.models import utcnow
from app.core.transactions import transaction
from app.courses.models import CoursePurchase
from app.courses.services import can_access, has_purchased
from app.extensions import db
from tests.factories import make_user
from tests.payment_helpers import (
    count,
    delivery,
    events_of,
    invoices_of,
    paid_course,
    reload,
    signed,
    status,
    tampered,
)

WEBHOOK = "/api/v1/payment/webhook/sandbox"


@pytest.fixture(autouse=True)
def _inline(media_config, smtp_server):
    """Tasks inline (the invoice, its PDF and e-mail), local storage, a real SMTP server."""
    return smtp_server


def _purchase() -> tuple[Any, Any, Payment]:
    student = make_user("Student")
    course = paid_course()
    with transaction():
        return student, course, payments.buy_course(student, course)


def _ignored_reason(event: WebhookEvent) -> dict[str, Any]:
    row = db.session.scalar(
        select(AuditLog)
        .where(AuditLog.entity_type == "webhook_event", AuditLog.entity_id == event.id)
        .order_by(AuditLog.id.desc())
    )
    return row.new_values if row else {}


# ---- one completion, however often it is delivered ----------------------------------------------
def test_a_webhook_delivered_five_times_makes_one_completion_and_one_invoice(app, ctx, _inline):
    student, course, payment = _purchase()
    sent = delivery(payment)
    results = [handle_webhook("sandbox", sent.headers, sent.body) for _ in range(5)]
    assert len({r.id for r in results}) == 1
    event = db.session.scalar(select(WebhookEvent).execution_options(populate_existing=True))
    assert count(WebhookEvent) == 1 and event.deliveries == 5 and event.processed_at is not None
    assert event.event_type == "payment.succeeded" and event.payload["data"]["payment"] == str(payment.uuid)
    paid = reload(payment)
    assert status(paid) == "completed" and paid.transaction_id == "txn_test_1" and paid.paid_at is not None
    assert count(Payment, Payment.status_id == payments.status_id("completed")) == 1
    assert count(CoursePurchase, CoursePurchase.user_id == student.id) == 1
    assert can_access(student, course)
    assert invoices_of(payment.id) == 1
    assert len(_inline) == 1  # one invoice e-mail


def test_the_sandbox_keeps_its_deliveries_for_resending(app, ctx):
    _student, _course, payment = _purchase()
    sandbox().pay(payment)
    [sent] = sandbox().sent(payment.uuid, "payment.succeeded")
    for _ in range(4):
        resent = sandbox().resend(sent.event_id)  # signed anew, the same event
    assert resent.deliveries == 5 and count(WebhookEvent) == 1
    assert status(payment) == "completed" and invoices_of(payment.id) == 1
    with pytest.raises(NotFound):
        sandbox().resend("evt_never_sent")


@pytest.mark.usefixtures("committed")
def test_five_concurrent_deliveries_make_one_completion_and_one_invoice(app, _inline):
    with app.app_context():
        student, course, payment = _purchase()
        sent = delivery(payment)
        ids = (student.id, course.id, payment.id)
        db.session.remove()
    barrier = threading.Barrier(5, timeout=20)
    results: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            with app.app_context():
                barrier.wait()
                results.append(handle_webhook("sandbox", sent.headers, sent.body).id)
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 5 and len(set(results)) == 1
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent).where(WebhookEvent.id == results[0]))
        assert event.deliveries == 5 and event.processed_at is not None
        assert status(ids[2]) == "completed"
        assert count(CoursePurchase, CoursePurchase.user_id == ids[0]) == 1
        assert invoices_of(ids[2]) == 1
        db.session.remove()
    assert len(_inline) == 1


def test_whichever_comes_first_charge_or_webhook_completes_once(app, ctx, _inline):
    student, _course, payment = _purchase()
    sent = delivery(payment, transaction="txn_early")
    handle_webhook("sandbox", sent.headers, sent.body)  # the webhook before the charge answer
    charged = payments.charge_now(reload(payment))  # no second charge: it is already paid
    assert status(charged) == "completed" and charged.transaction_id == "txn_early"
    other = payments.buy_course(student, paid_course())
    charged = payments.charge_now(other)  # the charge first, then the sandbox's own webhook
    assert status(charged) == "completed"
    [event] = events_of(other)
    assert event.event_type == "payment.succeeded" and event.processed_at is not None
    assert event.payload["data"]["transaction"] == charged.transaction_id
    assert invoices_of(payment.id) == 1 and invoices_of(other.id) == 1


# ---- forged, stale and malformed deliveries -------------------------------------------------------
def test_a_bad_signature_is_refused_and_nothing_is_stored(app, ctx):
    _student, _course, payment = _purchase()
    sent = delivery(payment)
    with pytest.raises(Forbidden) as refused:
        handle_webhook("sandbox", tampered(sent.headers), sent.body)
    assert refused.value.status_code == 403
    with pytest.raises(Forbidden):  # a body changed after signing
        handle_webhook("sandbox", sent.headers, sent.body.replace(b"txn_test_1", b"txn_test_2"))
    with pytest.raises(WebhookRejected) as missing:
        handle_webhook("sandbox", {}, sent.body)
    assert missing.value.status_code == 400
    with pytest.raises(WebhookRejected):
        handle_webhook("sandbox", {"Sandbox-Signature": "v1=abc"}, sent.body)
    headers, body = signed({"no": "id"})
    with pytest.raises(WebhookRejected):  # authentic but not an event
        handle_webhook("sandbox", headers, body)
    assert count(WebhookEvent) == 0 and status(payment) == "pending"


def test_a_stale_timestamp_is_refused(app, ctx):
    _student, _course, payment = _purchase()
    old = int((utcnow() - timedelta(minutes=6)).timestamp())
    stale = sandbox().event("payment.succeeded", payment, timestamp=old, transaction="txn_old")
    with pytest.raises(WebhookRejected) as refused:
        handle_webhook("sandbox", stale.headers, stale.body)
    assert refused.value.status_code == 400
    fresh = delivery(payment)  # replayed later than five minutes: refused too
    with pytest.raises(WebhookRejected):
        handle_webhook("sandbox", fresh.headers, fresh.body, now=utcnow() + timedelta(minutes=6))
    assert count(WebhookEvent) == 0 and status(payment) == "pending"
    assert handle_webhook("sandbox", fresh.headers, fresh.body, now=utcnow() + timedelta(minutes=4))


# ---- events that cannot be applied -----------------------------------------------------------------
def test_a_late_success_after_a_failure_is_stored_but_ignored(app, ctx):
    """Documented choice: the first final state wins. The late `payment.succeeded` is acknowledged
    (200, so the provider stops retrying), kept unprocessed, and its 409 recorded in the audit log."""
    student, course, payment = _purchase()
    failed = delivery(payment, "payment.failed", reason="insufficient_funds")
    assert handle_webhook("sandbox", failed.headers, failed.body).processed_at is not None
    assert status(payment) == "failed" and reload(payment).failure_reason == "insufficient_funds"
    late = delivery(payment)
    event = handle_webhook("sandbox", late.headers, late.body)
    assert event.processed_at is None and event.deliveries == 1
    assert _ignored_reason(event)["status"] == 409
    again = handle_webhook("sandbox", late.headers, late.body)  # its retry: only counted
    assert again.id == event.id and again.deliveries == 2 and again.processed_at is None
    assert status(payment) == "failed" and not has_purchased(student.id, course.id)
    with pytest.raises(Conflict):  # the same rule when called directly
        payments.complete_payment(reload(payment), transaction_id="txn_late")
    assert invoices_of(payment.id) == 0


def test_an_unknown_payment_is_recorded_without_crashing(app, ctx):
    stranger = Payment(uuid=uuid.uuid4(), amount=Decimal("5"), currency="USD")
    headers, body = signed(
        {"id": "evt_unknown", "type": "payment.succeeded", "data": {"payment": str(stranger.uuid)}}
    )
    event = handle_webhook("sandbox", headers, body)
    assert event.processed_at is None and _ignored_reason(event)["status"] == 404
    headers, body = signed({"id": "evt_odd", "type": "customer.created", "data": {}})
    event = handle_webhook("sandbox", headers, body)
    assert event.processed_at is None and _ignored_reason(event)["status"] == 422
    assert count(WebhookEvent) == 2


def test_a_refund_made_at_the_provider_is_applied_once(app, ctx):
    student, course, payment = _purchase()
    sandbox().pay(payment)
    refund = delivery(payment, "payment.refunded", refund="re_dashboard", refund_amount="49.99")
    for _ in range(2):
        handle_webhook("sandbox", refund.headers, refund.body)
    refunded = reload(payment)
    assert status(refunded) == "refunded" and refunded.refunded_amount == Decimal("49.99")
    assert [r["reference"] for r in refunded.details["refunds"]] == ["re_dashboard"]
    assert not can_access(student, course)


def test_unknown_or_webhookless_providers_are_not_found(app, ctx):
    headers, body = signed({"id": "evt_1", "type": "payment.succeeded", "data": {}})
    with pytest.raises(NotFound):
        handle_webhook("nope", headers, body)
    with pytest.raises(NotFound):
        handle_webhook("manual", headers, body)


# ---- the HTTP endpoint -------------------------------------------------------------------------------
def test_the_endpoint_takes_a_signed_body_without_login_or_csrf(app, client, monkeypatch):
    with app.app_context():
        _student, _course, payment = _purchase()
        sent = delivery(payment)
        payment_id = payment.id
        db.session.remove()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the signature replaces the CSRF token
    response = client.post(WEBHOOK, data=sent.body, headers=sent.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {
        "received": True,
        "event": sent.event_id,
        "type": "payment.succeeded",
        "processed": True,
        "deliveries": 1,
    }
    again = client.post(WEBHOOK, data=sent.body, headers=sent.headers)
    assert again.status_code == 200 and again.json["deliveries"] == 2 and again.json["processed"] is True
    with app.app_context():
        assert status(payment_id) == "completed"


def test_the_endpoint_refuses_forged_stale_and_unknown_with_json(app, client):
    with app.app_context():
        _student, _course, payment = _purchase()
        sent = delivery(payment)
        old = int((utcnow() - timedelta(minutes=10)).timestamp())
        stale = sandbox().event("payment.succeeded", payment, timestamp=old, transaction="txn_x")
        db.session.remove()
    forged = client.post(WEBHOOK, data=sent.body, headers=tampered(sent.headers))
    assert forged.status_code == 403 and set(forged.json) == {"message", "errors"}
    late = client.post(WEBHOOK, data=stale.body, headers=stale.headers)
    assert late.status_code == 400 and "too old" in late.json["message"]
    unsigned = client.post(WEBHOOK, data=sent.body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400 and unsigned.json["message"]
    assert (
        client.post("/api/v1/payment/webhook/nope", data=sent.body, headers=sent.headers).status_code == 404
    )
    assert client.get(WEBHOOK).status_code == 405
    with app.app_context():
        assert count(WebhookEvent) == 0
