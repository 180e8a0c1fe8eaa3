"""The media library: one row per stored file (PRD 3.12.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, JsonType
from app.lookups.models import Lookup, lookup_fk
from app.security.models import LmsUser


class Media(BaseModel):
    """A stored file: where it lives, what it really is, who owns it, how often it was fetched."""

    __tablename__ = "media"
    __label__ = _l("Media")
    __table_args__ = (
        Index("ix_media_mediable", "mediable_type", "mediable_id"),
        Index("ix_media_temporary_expiry", "is_temporary", "expires_at"),
    )
    __translatable__ = ("alt",)
    # A download is recorded as `downloaded`, not as an update of the counter.
    __audit_ignored__ = frozenset({"updated_at", "download_count"})

    original_filename: Mapped[str] = mapped_column(String(255), nullable=False)
    storage_path: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    provider_id: Mapped[int] = lookup_fk("storage_providers", nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    mime_type: Mapped[str] = mapped_column(String(127), nullable=False, index=True)
    extension: Mapped[str] = mapped_column(String(16), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict, nullable=False)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    download_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    uploader_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"), index=True)
    is_temporary: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false(), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mediable_type: Mapped[str | None] = mapped_column(String(64))
    mediable_id: Mapped[int | None] = mapped_column(BigId)

    provider: Mapped[Lookup] = relationship(foreign_keys=[provider_id], lazy="joined")
    uploader: Mapped[LmsUser | None] = relationship(foreign_keys=[uploader_id])

    @property
    def is_image(self) -> bool:
        """True for stored images (thumbnails, inline preview)."""
        return self.mime_type.startswith("image/")

    @property
    def preview(self) -> Media:
        """The row itself: screens render it as a thumbnail."""
        return self

    def __str__(self) -> str:
        return self.original_filename
