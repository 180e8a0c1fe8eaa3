"""Helpers of the payment and webhook tests: paid courses, sandbox deliveries, committed data."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from app.billing.gateways import Delivery, sandbox
from app.billing.models import Invoice, Payment, WebhookEvent
from app.courses.models import Course
from app.extensions import db
from app.security.models import LmsUser
from tests.course_factories import make_course
from tests.factories import make_user


def paid_course(price: Any = "49.99", **fields: Any) -> Course:
    """A committed, published, public course for sale, with its instructor."""
    instructor = make_user("Instructor")
    return make_course(
        instructors=[instructor], price=price, title="Paid Python", title_ar="بايثون", **fields
    )


def delivery(payment: Payment, event_type: str = "payment.succeeded", **data: Any) -> Delivery:
    """A signed sandbox delivery about the payment (not sent)."""
    if event_type == "payment.succeeded":
        data.setdefault("transaction", "txn_test_1")
    return sandbox().event(event_type, payment, **data)


def signed(payload: dict[str, Any], timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
    """Headers and body of any payload signed with the sandbox secret."""
    body = json.dumps(payload).encode()
    return sandbox().sign(body, timestamp), body


def tampered(headers: dict[str, str]) -> dict[str, str]:
    """The same headers with a signature that does not match."""
    value = headers["Sandbox-Signature"]
    return {
        **headers,
        "Sandbox-Signature": re.sub(r"v1=(\w)", lambda m: "v1=" + "0f"[m.group(1) == "0"], value),
    }


def reload(payment: Payment | int) -> Payment:
    """The payment as stored now."""
    payment_id = payment if isinstance(payment, int) else payment.id
    return db.session.get(Payment, payment_id, populate_existing=True)


def status(payment: Payment | int) -> str:
    """The stored status code of a payment."""
    row = reload(payment)
    db.session.refresh(row, ["status"])
    return row.status.code


def count(model: type, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def invoices_of(payment_id: int) -> int:
    return count(Invoice, Invoice.payment_id == payment_id)


def events_of(payment: Payment) -> list[WebhookEvent]:
    """Stored webhook events about the payment."""
    rows = db.session.scalars(select(WebhookEvent).execution_options(populate_existing=True)).all()
    return [row for row in rows if (row.payload.get("data") or {}).get("payment") == str(payment.uuid)]


def user(user_id: int) -> LmsUser:
    return db.session.get(LmsUser, user_id)
