"""Provider webhooks: verified, stored once per (provider, event id), applied in the same transaction.

One transaction: the event row, the payment, what it buys and its invoice commit together or not at
all (an unexpected error leaves nothing, and the provider's retry applies it once). A repeated
delivery only increments `deliveries`. Concurrent duplicates meet at the unique (provider,
event_id) index: one inserts and applies, the others wait for its commit and only count.
An authentic event that cannot be applied (unknown payment, a late `payment.succeeded` after the
payment failed, an unknown type) is acknowledged and kept unprocessed (`processed_at` empty) with the
reason in the audit log, so that the provider stops retrying it: its changes are rolled back to a
savepoint taken before applying it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.audit.context import system_actor
from app.audit.services import record
from app.billing.gateways import gateway
from app.billing.models import Payment, WebhookEvent
from app.billing.services.payments import (
    apply_refund,
    complete_payment,
    fail_payment,
    lock_payment,
    payment_by_uuid,
    refundable_amount,
)
from app.core.errors import AppError, Conflict, Invalid
from app.core.models import utcnow
from app.core.transactions import transaction, unique_insert
from app.extensions import db

log = logging.getLogger(__name__)


def handle_webhook(provider: str, headers: Any, body: bytes, now: datetime | None = None) -> WebhookEvent:
    """Verify a provider's delivery, store it once per event id and apply it in the same transaction
    (the caller's, or its own when called alone)."""
    event = gateway(provider).verify(headers, body, now=now)
    now = now or utcnow()
    with transaction(), system_actor(f"{provider}_webhook"):
        row = _store_event(provider, event, now)
        if row is None:
            return _count_duplicate(provider, event["id"])
        try:
            with db.session.begin_nested():
                _apply_event(provider, event, now)
        except AppError as error:
            _unprocessed(row, provider, event, error)
        return row


def _store_event(provider: str, event: dict[str, Any], now: datetime | None) -> WebhookEvent | None:
    """The new event row (flushed, processed_at set: applying it commits both), None if known."""
    row = WebhookEvent(
        provider=provider,
        event_id=event["id"],
        event_type=event["type"],
        payload=event,
        deliveries=1,
        processed_at=now,
    )
    try:
        with unique_insert(_("This webhook event was already received.")):
            db.session.add(row)
    except Conflict:
        return None
    return row


def _count_duplicate(provider: str, event_id: str) -> WebhookEvent:
    db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id)
        .values(deliveries=WebhookEvent.deliveries + 1)
    )
    return _event_row(provider, event_id)


def _event_row(provider: str, event_id: str) -> WebhookEvent:
    row = db.session.scalar(
        select(WebhookEvent)
        .where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def _unprocessed(row: WebhookEvent, provider: str, event: dict[str, Any], error: AppError) -> None:
    """Keep an authentic event that could not be applied (its attempt rolled back to the savepoint),
    unprocessed, with the reason audited."""
    log.warning("Webhook %s %s not applied: %s", provider, event["id"], error.message)
    row.processed_at = None
    db.session.flush()
    record(
        "updated",
        "webhook_event",
        row.id,
        description=f"{error.status_code}: {error.message}",
        new_values={"outcome": "ignored", "status": error.status_code, "message": error.message},
    )


def _apply_event(provider: str, event: dict[str, Any], now: datetime) -> None:
    kind, data = event["type"], event["data"]
    if kind not in ("payment.succeeded", "payment.failed", "payment.refunded"):
        raise Invalid(_("Unsupported webhook event type: %(type)s", type=kind))
    payment = payment_by_uuid(data.get("payment"), provider)
    if kind == "payment.succeeded":
        complete_payment(
            payment,
            transaction_id=_text(data.get("transaction")),
            method=_text(data.get("method")) or "card",
            now=now,
        )
    elif kind == "payment.failed":
        fail_payment(payment, _text(data.get("reason")) or "declined", now=now)
    else:
        _refunded_at_provider(payment, data, now)


def _refunded_at_provider(payment: Payment, data: dict[str, Any], now: datetime) -> None:
    """A refund the provider reports: ours (already recorded by reference) or made on its dashboard."""
    payment = lock_payment(payment)
    reference = _text(data.get("refund"))
    if not reference:
        raise Invalid(_("The refund event has no refund reference."))
    if any(item.get("reference") == reference for item in (payment.details or {}).get("refunds", [])):
        return
    amount = data.get("refund_amount")
    apply_refund(payment, refundable_amount(payment, amount), reference, now)


def _text(value: Any) -> str | None:
    return str(value)[:500] if value not in (None, "") else None
