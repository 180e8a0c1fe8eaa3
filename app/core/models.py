"""Column conventions every table of ours shares: BIGINT identity id, uuid, timestamps, soft delete."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from flask_appbuilder import Model
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Identity, Integer, Uuid, event, false, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Mapper, mapped_column

# Deterministic constraint names keep migrations stable across databases.
Model.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT identity on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (indexable, compared by value), JSON elsewhere.
JsonType = JSON().with_variant(JSONB(), "postgresql")


def conflict_insert(model: Any) -> Any:
    """An INSERT for the session's database (PostgreSQL, or SQLite in `make run`) that takes
    `on_conflict_do_nothing` / `on_conflict_do_update` (counters' atomic upserts, once-only rows)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def bump_target_counter(model: Any, target_type: str, target_id: int, delta: int) -> None:
    """Move a per-target counter row (`model` with target_type, target_id, count) by `delta`: one
    atomic upsert, safe under concurrent writers; nothing for 0."""
    if not delta:
        return
    stmt = conflict_insert(model).values(target_type=target_type, target_id=target_id, count=max(delta, 0))
    stmt = stmt.on_conflict_do_update(
        index_elements=[model.target_type, model.target_id],
        set_={"count": model.count + delta, "updated_at": utcnow()},
    )
    from app.extensions import db

    db.session.execute(stmt)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite, in `make run`, returns stored UTC times without their zone)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cents(value: Decimal | float | int | str) -> Decimal:
    """Money, points and percentages as kept: two decimals, rounded half up."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class IdMixin:
    """BIGINT identity primary key and a generated, unique public uuid."""

    id: Mapped[int] = mapped_column(BigId, Identity(), primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(
        Uuid, default=uuid_module.uuid4, unique=True, nullable=False
    )


class TimestampMixin:
    """created_at / updated_at as TIMESTAMPTZ, kept by the ORM."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
        nullable=False,
    )


class SoftDeleteMixin:
    """is_deleted + deleted_at; hidden from every ORM query unless asked (see core.softdelete)."""

    is_deleted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False, index=True
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditedMixin:
    """Marks a model whose inserts, updates, soft deletes and restores are audited."""

    __audited__: ClassVar[bool] = True
    # Columns never written to the audit log (secrets); their change is recorded as "***".
    __audit_redacted__: ClassVar[frozenset[str]] = frozenset()
    __audit_ignored__: ClassVar[frozenset[str]] = frozenset({"updated_at"})


class BaseModel(IdMixin, TimestampMixin, SoftDeleteMixin, AuditedMixin, Model):
    """Base of every major entity: id, uuid, timestamps, soft delete and audit."""

    __abstract__ = True
    # A translated, plural name for screens such as the Trash (lazy_gettext); the table name if unset.
    __label__: ClassVar[Any] = None

    def __str__(self) -> str:
        for attr in ("name", "title", "code", "username"):
            value: Any = getattr(self, attr, None)
            if value:
                return str(value)
        return f"{type(self).__name__} #{self.id}"


@event.listens_for(Mapper, "mapper_configured")
def _check_json_content(mapper: Mapper[Any], cls: type) -> None:
    """`translations` and `seo` are checked whenever they are set (forms, API bodies, services)."""
    from app.core.seo import checked_seo
    from app.core.translations import checked_translations

    fields = getattr(cls, "__translatable__", ())
    if fields and "translations" in mapper.columns:
        event.listen(
            cls.translations,  # type: ignore[attr-defined]
            "set",
            lambda _target, value, _old, _initiator: checked_translations(value, fields),
            retval=True,
        )
    if "seo" in mapper.columns:
        event.listen(
            cls.seo,  # type: ignore[attr-defined]
            "set",
            lambda _target, value, _old, _initiator: checked_seo(value),
            retval=True,
        )


def entity_type_of(cls_or_obj: Any) -> str:
    """The entity type code written in the audit log: `__audit_entity__` or the table name."""
    cls: Any = cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)
    return str(getattr(cls, "__audit_entity__", None) or cls.__tablename__)
