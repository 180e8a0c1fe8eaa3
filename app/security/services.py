"""User rules: suspend, ban, restore, reset password, status; and the role matrix sync."""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.core.errors import Conflict, Invalid
from app.core.models import utcnow
from app.core.softdelete import restore as restore_row
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from app.security.passwords import password_problem

BLOCKING_STATUSES = ("suspended", "banned", "inactive")


def hash_password(password: str) -> str:
    """Hash with FAB's configured method."""
    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def set_status(user: LmsUser, code: str) -> LmsUser:
    """Move a user to a `user_status` value; suspended/banned/inactive users lose access at once."""
    user.status_id = require_lookup_id("user_status", code)
    user.suspended_at = utcnow() if code in BLOCKING_STATUSES else None
    db.session.flush()
    db.session.expire(user, ["status"])  # its id changed (a commit used to expire it)
    return user


def suspend_user(user: LmsUser, acting_user_id: int | None = None) -> LmsUser:
    """Suspend: sign-in, sessions and tokens stop working."""
    if acting_user_id is not None and user.id == acting_user_id:
        raise Conflict(_("You cannot suspend your own account."))
    return set_status(user, "suspended")


def ban_user(user: LmsUser, acting_user_id: int | None = None) -> LmsUser:
    """Ban permanently (until an admin restores)."""
    if acting_user_id is not None and user.id == acting_user_id:
        raise Conflict(_("You cannot ban your own account."))
    return set_status(user, "banned")


def restore_user(user: LmsUser) -> LmsUser:
    """Undo a suspension, ban or soft delete: the user may sign in again."""
    restore_row(user)
    user.active = True
    return set_status(user, "active")


def reset_password(user: LmsUser, new_password: str | None = None) -> str:
    """Set a new password (generated when not given) that must be changed at next sign-in."""
    password = new_password or secrets.token_urlsafe(12)
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, {"password": [problem]})
    user.password = hash_password(password)
    user.must_change_password = new_password is None
    db.session.flush()
    return password
