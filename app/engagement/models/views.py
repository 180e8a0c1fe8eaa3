"""Views (issue 14): per-target view counters, applied in bulk from Redis by a task, and the ledger of
applied batches that makes a retried flush count each batch once."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import BigId, IdMixin, TimestampMixin


class ViewCount(IdMixin, TimestampMixin, Model):
    """How many counted views one target has, moved only by the view flush task."""

    __tablename__ = "view_count"
    __table_args__ = (UniqueConstraint("target_type", "target_id", name="uq_view_count_target"),)

    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", nullable=False)


class ViewFlush(IdMixin, TimestampMixin, Model):
    """One batch of pending views applied to the counters (its Redis key's token), kept a day."""

    __tablename__ = "view_flush"

    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
