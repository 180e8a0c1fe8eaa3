"""Subscriptions: a user's plan, its status and current period, renewal and cancellation choices."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.billing.models.plans import Plan
from app.core.models import BaseModel, BigId
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class Subscription(BaseModel):
    """A user's subscription. At most one is current (trial, active or suspended) per user."""

    __tablename__ = "subscription"
    __label__ = _l("Subscriptions")
    __table_args__ = (
        Index(
            "uq_subscription_current",
            "user_id",
            unique=True,
            postgresql_where=text("is_current IS true AND is_deleted IS false"),
            sqlite_where=text("is_current = 1 AND is_deleted = 0"),
        ),
        # The scheduled tasks look for current subscriptions by the end of their period.
        Index(
            "ix_subscription_period_end", "current_period_end", postgresql_where=text("is_current IS true")
        ),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("plan.id"), nullable=False, index=True)
    status_id: Mapped[int] = lookup_fk("subscription_status", nullable=False)
    # Kept by the service: true while trial, active or suspended (not expired, not cancelled).
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    current_period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    current_period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    trial_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False
    )
    # A downgrade waits for the end of the period.
    pending_plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plan.id"), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The period end the last expiry reminder was sent for (sent once per period).
    reminded_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by an admin's suspension (shown to the learner), cleared on resume; the audit log keeps them.
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    plan: Mapped[Plan] = relationship(foreign_keys=[plan_id])
    pending_plan: Mapped[Plan | None] = relationship(foreign_keys=[pending_plan_id])
    status: Mapped[Lookup] = relationship(foreign_keys=[status_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.user} · {self.plan}"
