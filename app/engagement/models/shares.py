"""Shares and referrals (PRD 3.6): share records and counters, referral codes, touches, conversions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BigId, IdMixin, TimestampMixin, utcnow
from app.security.models import LmsUser

# The ways to share (a fixed set): external links and apps, and internal shares (the social module
# will turn timeline, group and page shares into share posts).
SHARE_CHANNELS = {
    "copy": _l("Copied link"),
    "email": _l("E-mail"),
    "whatsapp": _l("WhatsApp"),
    "x": _l("X"),
    "facebook": _l("Facebook"),
    "linkedin": _l("LinkedIn"),
    "telegram": _l("Telegram"),
    "native": _l("Phone share"),
    "timeline": _l("My timeline"),
    "group": _l("A group"),
    "page": _l("A page"),
}
INTERNAL_CHANNELS = frozenset({"timeline", "group", "page"})
# What a conversion is: the user signed up, enrolled in a course, or bought one.
CONVERSION_KINDS = {"signup": _l("Sign-up"), "enrollment": _l("Enrolment"), "purchase": _l("Purchase")}


class Share(IdMixin, TimestampMixin, Model):
    """One user's share of one target through one channel (every share is a row)."""

    __tablename__ = "share"
    __label__ = _l("Shares")
    __table_args__ = (
        Index("ix_share_target", "target_type", "target_id"),
        Index("ix_share_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False)
    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])

    @property
    def target(self) -> str:
        """`type #id`, for screens."""
        return f"{self.target_type} #{self.target_id}"

    @property
    def channel_name(self) -> str:
        """The channel in the reader's language."""
        return str(SHARE_CHANNELS.get(self.channel, self.channel))

    def __str__(self) -> str:
        return f"{self.target} ({self.channel})"


class ShareCount(IdMixin, TimestampMixin, Model):
    """A target's shares and the learners who joined it through a share, kept by the services."""

    __tablename__ = "share_count"
    __table_args__ = (UniqueConstraint("target_type", "target_id", name="uq_share_count_target"),)

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    joined_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)


class ReferralCode(IdMixin, TimestampMixin, Model):
    """A user's one unguessable referral code (made on first need), carried by their share links."""

    __tablename__ = "referral_code"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, unique=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class ReferralTouch(IdMixin, TimestampMixin, Model):
    """A visit through a sharer's link: the visitor (and user once known), the page's target, when."""

    __tablename__ = "referral_touch"
    __label__ = _l("Referral visits")
    __table_args__ = (
        Index("ix_referral_touch_visitor", "visitor_id", "touched_at"),
        Index("ix_referral_touch_user", "user_id", "touched_at"),
        Index("ix_referral_touch_sharer", "sharer_id", "touched_at"),
    )

    sharer_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigId)
    touched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)

    sharer: Mapped[LmsUser] = relationship(foreign_keys=[sharer_id])


class ReferralConversion(IdMixin, TimestampMixin, Model):
    """A sign-up, enrolment or purchase that followed share links: its first and last touch's sharers.

    One per kind and source object (`source_key`): a signal sent twice records nothing twice."""

    __tablename__ = "referral_conversion"
    __label__ = _l("Referral conversions")
    __table_args__ = (
        UniqueConstraint("kind", "source_key", name="uq_referral_conversion_source"),
        Index("ix_referral_conversion_first", "first_sharer_id", "converted_at"),
        Index("ix_referral_conversion_last", "last_sharer_id", "converted_at"),
        Index("ix_referral_conversion_target", "target_type", "target_id"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    source_key: Mapped[str] = mapped_column(String(64), nullable=False)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigId)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    first_sharer_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False)
    last_sharer_id: Mapped[int] = mapped_column(BigId, ForeignKey("ab_user.id"), nullable=False)
    first_touch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("referral_touch.id"))
    last_touch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("referral_touch.id"))
    converted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)

    user: Mapped[LmsUser] = relationship(foreign_keys=[user_id])
    first_sharer: Mapped[LmsUser] = relationship(foreign_keys=[first_sharer_id])
    last_sharer: Mapped[LmsUser] = relationship(foreign_keys=[last_sharer_id])

    @property
    def target(self) -> str:
        """`type #id` (empty for sign-ups), for screens."""
        return f"{self.target_type} #{self.target_id}" if self.target_type else ""

    @property
    def kind_name(self) -> str:
        """The kind in the reader's language."""
        return str(CONVERSION_KINDS.get(self.kind, self.kind))

    def __str__(self) -> str:
        return f"{self.kind} {self.target}".strip()
