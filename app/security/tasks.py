"""Account e-mails, sent in the recipient's language (HTML with a plain-text part).

Tasks take ids and build their links themselves: tokens are never stored or queued. A mail that
cannot be sent raises MailError (the worker logs it and may retry).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core.mail import send_mail
from app.extensions import db
from app.security import accounts
from app.security.models import LmsUser


def _user(user_id: int) -> LmsUser | None:
    user = db.session.get(LmsUser, user_id, populate_existing=True)
    return user if user is not None and not user.is_deleted else None


def _language(user: LmsUser) -> str:
    return user.locale if user.locale in current_app.config.get("LANGUAGES", {"en": {}}) else "en"


def _send(user: LmsUser, to: str, template: str, subject: Any, **context: Any) -> None:
    """Render `security/email/<template>.html` and `.txt` in the user's language and send them."""
    language = _language(user)
    with force_locale(language):
        values = {
            "user": user,
            "name": user.first_name or user.username,
            "language": language,
            "direction": "rtl" if language == "ar" else "ltr",
            "app_name": current_app.config.get("APP_NAME", ""),
            "forgot_url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/forgot-password/",
            **context,
        }
        subject_text = str(subject())
        values["subject"] = subject_text
        html = render_template(f"security/email/{template}.html", **values)
        text = render_template(f"security/email/{template}.txt", **values)
    send_mail(to, subject_text, text, html=html)


def send_verification(user_id: int) -> bool:
    """Mail the link that verifies the account's address; False when there is nothing to verify."""
    user = _user(user_id)
    if user is None or user.email_verified_at is not None or not user.email:
        return False
    url = accounts.link("verify-email", accounts.verification_token(user))
    hours = int(current_app.config.get("EMAIL_VERIFY_HOURS", 48))
    _send(user, user.email, "verify_email", lambda: _("Confirm your e-mail address"), url=url, hours=hours)
    return True


def send_password_reset(user_id: int) -> bool:
    """Mail a link to choose a new password (active accounts only)."""
    user = _user(user_id)
    if user is None or not user.is_active or not user.email:
        return False
    url = accounts.link("reset-password", accounts.password_reset_token(user))
    minutes = int(current_app.config.get("PASSWORD_RESET_MINUTES", 60))
    _send(user, user.email, "password_reset", lambda: _("Reset your password"), url=url, minutes=minutes)
    return True


def send_email_change(user_id: int) -> bool:
    """Mail the confirmation link to the new address, and a notice to the current one."""
    user = _user(user_id)
    if user is None or not user.pending_email:
        return False
    url = accounts.link("confirm-email", accounts.email_change_token(user))
    hours = int(current_app.config.get("EMAIL_VERIFY_HOURS", 48))
    new_email = user.pending_email
    _send(
        user,
        new_email,
        "email_change_confirm",
        lambda: _("Confirm your new e-mail address"),
        url=url,
        hours=hours,
        new_email=new_email,
    )
    if user.email:
        _send(
            user,
            user.email,
            "email_change_notice",
            lambda: _("Someone asked to change your e-mail address"),
            new_email=new_email,
        )
    return True


def send_email_changed(user_id: int, old_email: str) -> bool:
    """Tell the previous address that the account now uses another one."""
    user = _user(user_id)
    if user is None or not old_email:
        return False
    _send(
        user,
        old_email,
        "email_changed",
        lambda: _("Your e-mail address was changed"),
        new_email=user.email,
    )
    return True


def send_password_changed(user_id: int) -> bool:
    """Tell the owner that their password was changed."""
    user = _user(user_id)
    if user is None or not user.email:
        return False
    _send(user, user.email, "password_changed", lambda: _("Your password was changed"))
    return True
