"""The platform user: FAB's `ab_user` extended with uuid, soft delete, status and profile."""

from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

from flask_appbuilder.security.sqla.models import ApiKey, assoc_user_group, assoc_user_role
from flask_appbuilder.security.sqla.models import User as FabUser
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Connection, DateTime, String, Text, Uuid, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import AuditedMixin, BigId, JsonType, SoftDeleteMixin, utcnow
from app.lookups.models import Lookup, lookup_fk

# PRD 6.1: user ids are BIGINT. FAB declares them INTEGER; its tables are ours to type (migration 0007).
for _column in (
    FabUser.__table__.c.id,
    FabUser.__table__.c.created_by_fk,
    FabUser.__table__.c.changed_by_fk,
    assoc_user_role.c.user_id,
    assoc_user_group.c.user_id,
    ApiKey.__table__.c.user_id,
):
    _column.type = BigId


class LmsUser(SoftDeleteMixin, AuditedMixin, FabUser):
    """A person with an account; blocked from signing in unless active and not deleted."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}
    __audit_entity__ = "user"
    __label__ = _l("Users")
    __audit_redacted__ = frozenset({"password"})
    __audit_ignored__ = frozenset(
        {"last_login", "login_count", "fail_login_count", "changed_on", "changed_by_fk"}
    )

    uuid: Mapped[uuid_module.UUID] = mapped_column(
        Uuid, default=uuid_module.uuid4, unique=True, nullable=False
    )
    status_id: Mapped[int | None] = lookup_fk("user_status")
    # Arabic documents (certificates) name the learner in Arabic and word their grammar by gender.
    name_ar: Mapped[str | None] = mapped_column(String(200))
    gender_id: Mapped[int | None] = lookup_fk("genders")
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    bio: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    # The public profile (/u/<username>): a one-line headline, up to five {label, url} links, and who
    # may see each field ({field: "public" | "signed_in" | "private"}; missing fields use defaults).
    headline: Mapped[str | None] = mapped_column(String(200))
    links: Mapped[list[dict[str, str]] | None] = mapped_column(JsonType)
    profile_privacy: Mapped[dict[str, str] | None] = mapped_column(JsonType)
    # The media library (a later module) owns the files; these are media.id values.
    avatar_media_id: Mapped[int | None] = mapped_column(BigInteger)
    default_cv_media_id: Mapped[int | None] = mapped_column(BigInteger)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Only self-registration leaves this empty (until the link mailed to the address is opened):
    # accounts made by an admin, the API, the CLI or a test start verified.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A new address waiting for the owner to open the link mailed to it (the e-mail stays until then).
    pending_email: Mapped[str | None] = mapped_column(String(320))

    status: Mapped[Lookup | None] = relationship(foreign_keys=[status_id], lazy="joined")
    gender: Mapped[Lookup | None] = relationship(foreign_keys=[gender_id])

    @property
    def status_code(self) -> str | None:
        """The status lookup code (`active`, `suspended`, ...)."""
        return self.status.code if self.status is not None else None

    @property
    def gender_code(self) -> str | None:
        """The gender lookup code (`male`, `female`), None when not given."""
        return self.gender.code if self.gender is not None else None

    @property
    def email_verified(self) -> bool:
        """The owner proved the current address is theirs (or an admin made the account)."""
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        """Only active, non-deleted users may sign in or keep a session or token."""
        if not self.active or self.is_deleted:
            return False
        return self.status_code in (None, "active")

    def __str__(self) -> str:
        return self.username


@event.listens_for(LmsUser, "before_insert")
def _default_status(_mapper: object, connection: Connection, user: LmsUser) -> None:
    """New accounts start active (self-registration, admin creation, API)."""
    if user.status_id is None:
        from app.lookups.services import lookup_id

        user.status_id = lookup_id("user_status", "active", connection=connection)
