"""User rules: suspend, ban, restore, reset password, status; where a sign-in lands."""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app.core.errors import Conflict, Invalid
from app.core.models import utcnow
from app.core.softdelete import restore as restore_row
from app.extensions import appbuilder, db
from app.lookups.services import require_lookup_id
from app.security.accounts import notify_password_changed, require_verified_email
from app.security.models import LmsUser
from app.security.passwords import password_problem
from app.security.roles import can_learn, has_back_office_screens

BLOCKING_STATUSES = ("suspended", "banned", "inactive")
__all__ = ["require_verified_email"]  # buying and posting check it (app/security/accounts.py)


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
    notify_password_changed(user)
    return password


# The endpoint of the learner's home ("My learning"), set by the portal, which sits above security.
_learner_home: dict[str, str] = {}


def set_learner_home(endpoint: str) -> None:
    """Where learners land after signing in when no page asked for them."""
    _learner_home["endpoint"] = endpoint


def set_learner_profile(endpoint: str) -> None:
    """The page where learners edit their profile (the portal's), instead of the back office's."""
    _learner_home["profile"] = endpoint


def learner_profile_url() -> str | None:
    """The address of the learners' profile page, None when no module offers one."""
    endpoint = _learner_home.get("profile")
    return url_for(endpoint) if endpoint else None


def safe_next(url: str | None) -> str | None:
    """`url` when it is a path on this site (`/courses/x?y=1`), else None.

    `next` comes from a link anyone can craft: `//evil.com` and `/\\evil.com` name another host,
    `https:` or `javascript:` URLs leave the site or run code, and browsers drop tabs and newlines,
    so a tab between two slashes also makes `//evil.com`: control characters are refused.
    """
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    if any(unicodedata.category(char)[0] == "C" for char in url):
        return None
    parts = urlsplit(url)
    return None if parts.scheme or parts.netloc else url


def landing_url(user: Any, next_url: str | None) -> str:
    """Where a sign-in goes: the page that asked for it; else staff to the back office and
    learners to My learning (an account that neither manages nor learns has its profile in the
    back office)."""
    target = safe_next(next_url)
    if target:
        return target
    endpoint = _learner_home.get("endpoint")
    if endpoint is None or has_back_office_screens(user) or not can_learn(user):
        return str(appbuilder.get_url_for_index)
    return url_for(endpoint)
