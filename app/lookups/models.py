"""Lookup types and their values (PRD 3.14): every enumerated value of the platform."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import BaseModel, BigId, JsonType


def _localized(name_en: str, name_ar: str | None) -> str:
    locale = get_locale()
    if locale is not None and locale.language == "ar" and name_ar:
        return name_ar
    return name_en


class LookupFieldsMixin:
    """What types and values share: names in both languages, metadata, order, active flag."""

    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    name_ar: Mapped[str] = mapped_column(String(128), nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict, nullable=False)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    display_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    # Seeded from seed/lookups: the code relies on it, so its code, type and existence are locked.
    is_system: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)

    __translatable__ = ("description",)

    @property
    def name(self) -> str:
        """The name in the current language, English when Arabic is missing."""
        return _localized(self.name_en, self.name_ar)

    def __str__(self) -> str:
        return self.name


class LookupType(LookupFieldsMixin, BaseModel):
    """A category of values, such as `user_status` or `course_status`."""

    __tablename__ = "lookup_type"
    __label__ = _l("Lookup Types")

    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("lookup_type.id", ondelete="SET NULL"), index=True
    )

    parent: Mapped[LookupType | None] = relationship(remote_side="LookupType.id", back_populates="children")
    children: Mapped[list[LookupType]] = relationship(back_populates="parent")
    values: Mapped[list[Lookup]] = relationship(back_populates="type", order_by="Lookup.sort_order")


class Lookup(LookupFieldsMixin, BaseModel):
    """One value of a lookup type, referenced by foreign key from the rows that use it."""

    __tablename__ = "lookup"
    __label__ = _l("Lookups")
    __table_args__ = (UniqueConstraint("type_id", "code", name="uq_lookup_type_id_code"),)

    type_id: Mapped[int] = mapped_column(BigId, ForeignKey("lookup_type.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("lookup.id", ondelete="SET NULL"), index=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64))

    type: Mapped[LookupType] = relationship(back_populates="values", lazy="joined")
    parent: Mapped[Lookup | None] = relationship(remote_side="Lookup.id", back_populates="children")
    children: Mapped[list[Lookup]] = relationship(back_populates="parent")


def lookup_fk(type_code: str, *, nullable: bool = True, index: bool = True) -> Any:
    """A foreign key to `lookup.id` restricted (in forms and services) to one lookup type."""
    return mapped_column(
        BigId,
        ForeignKey("lookup.id"),
        nullable=nullable,
        index=index,
        info={"lookup_type": type_code},
    )
