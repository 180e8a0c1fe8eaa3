"""Payments (one-time and recurring, with refunds), webhook deliveries, and invoices with their
gapless yearly numbering."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.billing.models.plans import Plan
from app.billing.models.subscriptions import Subscription
from app.core.models import BaseModel, BigId, IdMixin, JsonType, Model, TimestampMixin
from app.core.money import money_text
from app.courses.models import Course
from app.lookups.models import Lookup, lookup_fk
from app.media.models import Media
from app.security.models import LmsUser

PAYMENT_PURPOSES = ("subscription", "renewal", "upgrade", "course")


class Payment(BaseModel):
    """One charge: what it pays for, its amount, status, method, provider and provider reference."""

    __tablename__ = "payment"
    __label__ = _l("Payments")
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("purpose IN ('subscription', 'renewal', 'upgrade', 'course')", name="purpose"),
        UniqueConstraint("provider", "transaction_id", name="uq_payment_provider_transaction"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    subscription_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("subscription.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plan.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("course.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status_id: Mapped[int] = lookup_fk("payment_status", nullable=False)
    method: Mapped[str] = mapped_column(String(32), default="card", nullable=False)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    transaction_id: Mapped[str | None] = mapped_column(String(128))
    # Given by the caller (a checkout, a renewal of a period): the same key never pays twice.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_amount: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0", nullable=False
    )
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # What was bought, as shown on the invoice (plan or course names, proration, period).
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    subscription: Mapped[Subscription | None] = relationship()
    plan: Mapped[Plan | None] = relationship()
    course: Mapped[Course | None] = relationship()
    status: Mapped[Lookup] = relationship(foreign_keys=[status_id], lazy="joined")

    def __str__(self) -> str:
        return f"{money_text(self.amount, self.currency)} · {self.user}"


class WebhookEvent(IdMixin, TimestampMixin, Model):
    """A provider's webhook delivery, kept once per event id (duplicates and retries do nothing)."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_event_provider_event"),)

    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    deliveries: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InvoiceSequence(IdMixin, TimestampMixin, Model):
    """The last invoice number of a year: incremented under a row lock, so numbers have no gaps."""

    __tablename__ = "invoice_sequence"

    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Invoice(BaseModel):
    """The invoice of a completed payment: its number, amounts with tax, what was bought, the PDF."""

    __tablename__ = "invoice"
    __label__ = _l("Invoices")
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_invoice_year_sequence"),)

    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payment.id"), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"), nullable=False)
    tax_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), nullable=False)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    language: Mapped[str] = mapped_column(String(8), default="en", nullable=False)
    # The buyer, the seller (company settings) and the lines as they were when issued.
    billed_to: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    seller: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list, nullable=False)
    media_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("media.id"), index=True)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    payment: Mapped[Payment] = relationship()
    user: Mapped[LmsUser] = relationship()
    media: Mapped[Media | None] = relationship()

    @property
    def download_count(self) -> int:
        """Downloads of its PDF (counted by the media library)."""
        return self.media.download_count if self.media else 0

    def __str__(self) -> str:
        return self.number
