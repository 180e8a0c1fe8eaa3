"""Account e-mails: verifying the address, resetting a forgotten password, confirming a new address,
and telling the owner when their password or address changed.

Links carry a signed, expiring token (itsdangerous, SECRET_KEY, one salt per kind). A token binds
the user id and a fingerprint of what it acts on (the address being verified, the current password
hash, the old and new addresses), so it stops working once that changes: a reset link is single-use
because the reset changes the hash, a link for an old address is refused. Tokens are built inside
the mail tasks and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import AppError, Conflict, Forbidden, Invalid
from app.core.models import utcnow
from app.core.tasks import enqueue
from app.core.transactions import transaction
from app.extensions import db
from app.security.models import LmsUser
from app.security.passwords import password_problem

VERIFY_SALT = "lms-email-verify"
RESET_SALT = "lms-password-reset"
CHANGE_SALT = "lms-email-change"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 320


class BadLink(AppError):
    """A link that is forged, expired, already used or meant for another address (400)."""

    status_code = 400


class TooManyRequests(AppError):
    """A budget of e-mails is spent (429)."""

    status_code = 429


# ---- tokens -----------------------------------------------------------------------------------
def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fingerprint(value: str | None) -> str:
    """A keyed digest of a value a token binds (an address, a password hash) that does not reveal it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (value or "").strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _matches(expected: Any, value: str | None) -> bool:
    return isinstance(expected, str) and hmac.compare_digest(expected, fingerprint(value))


def _load(token: str, salt: str, max_age_seconds: int) -> tuple[LmsUser, dict[str, Any]]:
    """The user and payload of a valid token, or BadLink saying why not."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise BadLink(_("This link has expired. Ask for a new one.")) from None
    except BadData:
        raise BadLink(_("This link is not valid. Check that you copied all of it.")) from None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    user = db.session.get(LmsUser, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise BadLink(_("This link is not valid. Check that you copied all of it."))
    return user, payload


def verification_token(user: LmsUser) -> str:
    """A link token that verifies the user's current address."""
    return str(_serializer(VERIFY_SALT).dumps({"u": user.id, "e": fingerprint(user.email)}))


def password_reset_token(user: LmsUser) -> str:
    """A link token that sets a new password once (it dies when the password changes)."""
    return str(_serializer(RESET_SALT).dumps({"u": user.id, "p": fingerprint(user.password)}))


def email_change_token(user: LmsUser) -> str:
    """A link token that moves the user from their current address to the pending one."""
    payload = {"u": user.id, "n": fingerprint(user.pending_email), "o": fingerprint(user.email)}
    return str(_serializer(CHANGE_SALT).dumps(payload))


def link(path: str, token: str) -> str:
    """The absolute link of a token page on the public site."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/{path}/{token}"


def _hours(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) * 3600


# ---- sending ----------------------------------------------------------------------------------
def send_later(task: str, *args: Any) -> None:
    """Queue a mail task of app.security.tasks once the current work is committed; a mail that cannot
    be sent is logged and retried by the worker, never the request's error."""
    with transaction():
        enqueue(f"app.security.tasks.{task}", *args)


def notify_password_changed(user: LmsUser) -> None:
    """Tell the owner their password changed (every path: own change, admin reset, reset link)."""
    send_later("send_password_changed", user.id)


# ---- verification -----------------------------------------------------------------------------
def require_verified_email(user: Any) -> None:
    """Buying and posting need a verified address: Forbidden, saying what to do, otherwise."""
    if getattr(user, "is_authenticated", False) and getattr(user, "email_verified_at", True) is None:
        raise Forbidden(
            _("Please verify your e-mail address first: open the link we sent you, or ask for a new one.")
        )


def send_verification(user: LmsUser) -> None:
    """Mail the verification link (after the current work is committed)."""
    send_later("send_verification", user.id)


def resend_verification(user: LmsUser) -> bool:
    """Mail the link again, within VERIFY_RESEND_RATE_LIMIT per account; False when already verified."""
    from app.security.ratelimit import spend_budget

    if user.email_verified_at is not None:
        return False
    if not spend_budget("VERIFY_RESEND_RATE_LIMIT", "verify-resend", f"user:{user.id}"):
        raise TooManyRequests(_("We have sent you several e-mails already. Please try again later."))
    send_verification(user)
    return True


def verify_email(token: str) -> tuple[LmsUser, bool]:
    """Mark the address of a verification link verified; (user, False) when it already was."""
    user, payload = _load(token, VERIFY_SALT, _hours("EMAIL_VERIFY_HOURS", 48))
    if not _matches(payload.get("e"), user.email):
        raise BadLink(_("This link was sent to an address that is no longer on your account."))
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = utcnow()
    db.session.flush()
    return user, True


# ---- forgotten passwords ----------------------------------------------------------------------
def find_by_email(email: str | None) -> LmsUser | None:
    """The account using an address (any case), or None."""
    email = (email or "").strip()
    if not email:
        return None
    stmt = select(LmsUser).where(func.lower(LmsUser.email) == email.lower())
    return db.session.scalars(stmt).first()


def request_password_reset(email: str | None) -> None:
    """Mail a reset link when an active account uses the address; say nothing either way."""
    user = find_by_email(email)
    if user is not None and user.is_active:
        send_later("send_password_reset", user.id)


def password_reset_user(token: str) -> LmsUser:
    """The account a reset link may set a password for, or BadLink."""
    user, payload = _load(token, RESET_SALT, int(current_app.config.get("PASSWORD_RESET_MINUTES", 60)) * 60)
    if not _matches(payload.get("p"), user.password):
        raise BadLink(_("This link has been used already. Ask for a new one if you still need it."))
    return user


def reset_password_with_token(token: str, password: str, confirm: str) -> LmsUser:
    """Set the password a reset link allows; the link then stops working. Sign-in stays required."""
    from app.audit.services import record
    from app.security.services import hash_password  # services imports this module

    user = password_reset_user(token)
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, {"password": [problem]})
    if password != confirm:
        raise Invalid(_("Passwords must match"), {"conf_password": [_("Passwords must match")]})
    user.password = hash_password(password)
    user.must_change_password = False
    db.session.flush()
    record("password_reset", "user", user.id, user=user)
    notify_password_changed(user)
    return user


# ---- changing the address ---------------------------------------------------------------------
def _address_taken(email: str, user: LmsUser) -> bool:
    stmt = (
        select(LmsUser.id)
        .where(func.lower(LmsUser.email) == email.lower(), LmsUser.id != user.id)
        .execution_options(include_deleted=True)  # a deleted account keeps its address (restorable)
    )
    return db.session.scalars(stmt).first() is not None


def request_email_change(user: LmsUser, new_email: str | None) -> LmsUser:
    """Keep the new address pending and mail it a confirmation link; the old one gets a notice.

    The address on the account changes only when the link is opened (confirm_email_change).
    """
    email = (new_email or "").strip()
    if not EMAIL_PATTERN.match(email) or len(email) > EMAIL_MAX_LENGTH:
        message = _("Enter a valid e-mail address.")
        raise Invalid(message, {"email": [message]})
    if email.lower() == (user.email or "").lower():
        message = _("This is already your e-mail address.")
        raise Invalid(message, {"email": [message]})
    if _address_taken(email, user):
        message = _("This e-mail address is already in use.")
        raise Conflict(message, {"email": [message]})
    user.pending_email = email
    db.session.flush()
    send_later("send_email_change", user.id)
    return user


def confirm_email_change(token: str) -> LmsUser:
    """Move the account to the address of a confirmation link (which is then verified)."""
    user, payload = _load(token, CHANGE_SALT, _hours("EMAIL_VERIFY_HOURS", 48))
    if not user.pending_email or not _matches(payload.get("n"), user.pending_email):
        raise BadLink(_("This link is for an address change that is no longer pending."))
    if not _matches(payload.get("o"), user.email):
        raise BadLink(_("This link is for an address change that is no longer pending."))
    message = _("This e-mail address has been taken by another account in the meantime.")
    if _address_taken(user.pending_email, user):
        raise Conflict(message)
    old_email = user.email
    try:
        with db.session.begin_nested():  # a race with another account taking it: the unique index
            user.email, user.pending_email = user.pending_email, None
            user.email_verified_at = utcnow()
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None
    send_later("send_email_changed", user.id, old_email)
    return user
