"""Plans and the value of each plan feature (a lookup) for a plan."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, IdMixin, JsonType, Model, TimestampMixin
from app.core.translations import translated
from app.lookups.models import Lookup, lookup_fk


class Plan(BaseModel):
    """A subscription plan: bilingual name and description, price per billing cycle, trial, order."""

    __tablename__ = "plan"
    __label__ = _l("Plans")
    __translatable__ = ("name", "description")
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("trial_days >= 0", name="trial_days"),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD", nullable=False)
    billing_cycle_id: Mapped[int] = lookup_fk("billing_cycles", nullable=False)
    trial_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    billing_cycle: Mapped[Lookup] = relationship(foreign_keys=[billing_cycle_id], lazy="joined")
    features: Mapped[list[PlanFeature]] = relationship(back_populates="plan")

    @property
    def name(self) -> str:
        """The plan's name in the viewer's language."""
        return translated(self.translations, "name")

    @property
    def cycle_months(self) -> int:
        """Months in one billing period (from the cycle lookup's metadata)."""
        return int((self.billing_cycle.meta or {}).get("months", 1))

    def __str__(self) -> str:
        return self.name or self.code


class PlanFeature(BaseModel):
    """What a plan gives for one feature: on or off, and for limits how many (empty: unlimited)."""

    __tablename__ = "plan_feature"
    __label__ = _l("Plan features")
    __table_args__ = (
        CheckConstraint("limit_value IS NULL OR limit_value >= 0", name="limit_not_negative"),
        Index(
            "uq_plan_feature_live",
            "plan_id",
            "feature_id",
            unique=True,
            postgresql_where=text("is_deleted IS false"),
            sqlite_where=text("is_deleted = 0"),
        ),
    )

    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("plan.id"), nullable=False, index=True)
    feature_id: Mapped[int] = lookup_fk("plan_features", nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    limit_value: Mapped[int | None] = mapped_column(Integer)

    plan: Mapped[Plan] = relationship(back_populates="features")
    feature: Mapped[Lookup] = relationship(foreign_keys=[feature_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.plan} · {self.feature}"


class FeatureUsage(IdMixin, TimestampMixin, Model):
    """How much of a limited feature a user has used in one subscription period (downloads...)."""

    __tablename__ = "feature_usage"
    __table_args__ = (
        UniqueConstraint("user_id", "feature_code", "period_start", name="uq_feature_usage_period"),
        CheckConstraint("used >= 0", name="used_not_negative"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    feature_code: Mapped[str] = mapped_column(String(64), nullable=False)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
