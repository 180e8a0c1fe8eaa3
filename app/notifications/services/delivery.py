"""After the commit: the count and the item in real time, e-mails (single and daily digest), push;
the unsubscribe tokens of e-mails; retention."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.core.errors import NotFound
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.realtime import emit_to_user
from app.core.tasks import enqueue
from app.extensions import db
from app.notifications.models import EMAIL_DIGEST, EMAIL_DUE, EMAIL_SENT, Notification, PushSubscription
from app.notifications.services.inbox import describe, is_visible, targets_of, text_of, unread_counts
from app.notifications.services.preferences import turn_off
from app.security.models import LmsUser

log = logging.getLogger(__name__)

EMAIL_TASK = "app.notifications.tasks.email_notification"
PUSH_TASK = "app.notifications.tasks.push_notification"
_UNSUBSCRIBE_SALT = "notification-unsubscribe"


@contextmanager
def public_context() -> Iterator[None]:
    """A request context on the public address, so that a worker builds absolute links."""
    if has_request_context():
        yield
        return
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context("/", base_url=base):
        yield


def language_of(user: LmsUser) -> str:
    """The language a user reads notifications in."""
    return user.locale if user.locale in ("en", "ar") else "en"


def _rows(ids: list[int]) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.id.in_(ids))
            .options(joinedload(Notification.recipient), joinedload(Notification.actor))
        )
    )


def deliver(ids: list[int]) -> int:
    """Push the new count and item to each recipient's open pages; queue e-mails and pushes.

    Safe to run twice: real-time events only refresh a number, and each e-mail and push task
    checks that it has not been done.
    """
    rows = _rows(ids)
    counts = unread_counts(sorted({row.recipient_id for row in rows if row.in_app}))
    with_browsers = _with_browsers({row.recipient_id for row in rows if row.push_due})
    with public_context():
        for row in rows:
            if row.in_app:
                with force_locale(language_of(row.recipient)):
                    item = describe(row)
                item["created_at"] = row.created_at.isoformat()
                del item["actor"]
                emit_to_user(
                    row.recipient_id, "notification", {"unread": counts[row.recipient_id], "item": item}
                )
            if row.email_state == EMAIL_DUE:
                enqueue(EMAIL_TASK, row.id)
            if row.push_due and row.recipient_id in with_browsers:
                enqueue(PUSH_TASK, row.id)
            elif row.push_due:
                row.push_due = False  # no browser of theirs subscribed: no task to queue
    return len(rows)


def _with_browsers(user_ids: set[int]) -> set[int]:
    """Which of these users have a subscribed browser (one statement)."""
    if not user_ids:
        return set()
    stmt = select(PushSubscription.user_id).where(PushSubscription.user_id.in_(user_ids)).distinct()
    return set(db.session.scalars(stmt))


# ---- unsubscribe links ------------------------------------------------------------------------
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, type_code: str) -> str:
    """A link token that stops one type's e-mails to one user, without signing in."""
    return str(_serializer().dumps({"u": user_id, "t": type_code}))


def read_unsubscribe_token(token: str) -> tuple[LmsUser, str]:
    """(user, type code) of a token; NotFound when forged, altered or the user is gone."""
    try:
        data = _serializer().loads(token)
        user_id, type_code = int(data["u"]), str(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(_("This unsubscribe link is not valid.")) from None
    user = db.session.get(LmsUser, user_id)
    if user is None:
        raise NotFound(_("This unsubscribe link is not valid."))
    return user, type_code


def stop_emails(user: LmsUser, type_code: str) -> None:
    """Stop the e-mails (single and digest) of one type to one user (the unsubscribe link)."""
    turn_off(user.id, type_code, ("email", "digest"))


# ---- e-mail -----------------------------------------------------------------------------------
def _mail(user: LmsUser, template: str, subject: str, type_code: str | None, **context: Any) -> None:
    """Render `template` (.html and .txt) in the user's language and send it."""
    language = language_of(user)
    headers = {}
    unsubscribe_url = None
    if type_code:
        unsubscribe_url = url_for(
            "NotificationsView.unsubscribe", token=unsubscribe_token(user.id, type_code), _external=True
        )
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    context.update(
        user=user,
        language=language,
        direction="rtl" if language == "ar" else "ltr",
        unsubscribe_url=unsubscribe_url,
        preferences_url=url_for("NotificationsView.preferences", _external=True),
        subject=subject,
    )
    text = render_template(f"notifications/email/{template}.txt", **context)
    html = render_template(f"notifications/email/{template}.html", **context)
    send_mail(user.email, subject, text, html=html, headers=headers)


def email_one(notification_id: int) -> bool:
    """Send one notification's e-mail, once; False when there is nothing (left) to send."""
    row = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(skip_locked=True, of=Notification)
    )
    if row is None or row.email_state != EMAIL_DUE:
        return False
    user = row.recipient
    if not user.is_active or not user.email or not is_visible(user, row, targets_of([row])):
        row.email_state = EMAIL_SENT  # nothing to tell: the subject is gone or the account is closed
        return False
    with public_context(), force_locale(language_of(user)):
        text = text_of(row, language_of(user))
        open_url = url_for("NotificationsView.open", notification_id=row.id, _external=True)
        _mail(user, "notification", text, row.type_code, text=text, open_url=open_url, row=row)
    row.email_state = EMAIL_SENT
    db.session.flush()
    return True


def send_digests() -> int:
    """One e-mail per user listing the notifications kept for the digest since the last one."""
    recipients = db.session.scalars(
        select(Notification.recipient_id).where(Notification.email_state == EMAIL_DIGEST).distinct()
    ).all()
    sent = 0
    for user_id in recipients:
        try:
            sent += _digest_for(user_id)
            db.session.commit()
        except Exception:
            log.exception("The digest of user %s failed; it is tried again on the next run", user_id)
            db.session.rollback()
    return sent


def _digest_for(user_id: int) -> int:
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id, Notification.email_state == EMAIL_DIGEST)
            .options(joinedload(Notification.actor))
            .order_by(Notification.created_at)
            .with_for_update(skip_locked=True, of=Notification)
        )
    )
    if not rows:
        return 0
    user = db.session.get(LmsUser, user_id)
    found = targets_of(rows)
    shown = [row for row in rows if row.read_at is None and user is not None and is_visible(user, row, found)]
    if shown and user is not None and user.is_active and user.email:
        language = language_of(user)
        with public_context(), force_locale(language):
            items = [
                {
                    "text": text_of(row, language),
                    "url": url_for("NotificationsView.open", notification_id=row.id, _external=True),
                    "unsubscribe_url": url_for(
                        "NotificationsView.unsubscribe",
                        token=unsubscribe_token(user.id, row.type_code),
                        _external=True,
                    ),
                    "type_label": row.type.name,
                }
                for row in shown
            ]
            subject = ngettext(
                "Your daily summary: %(num)d new notification",
                "Your daily summary: %(num)d new notifications",
                len(items),
            )
            _mail(user, "digest", subject, None, items=items)
    for row in rows:
        row.email_state = EMAIL_SENT
    db.session.flush()
    return 1 if shown else 0


# ---- retention --------------------------------------------------------------------------------
def purge_read(days: int | None = None) -> int:
    """Move read notifications older than `NOTIFICATION_RETENTION_DAYS` to the trash; how many."""
    days = int(days if days is not None else current_app.config.get("NOTIFICATION_RETENTION_DAYS", 90))
    now = utcnow()
    result = db.session.execute(
        update(Notification)
        .where(Notification.read_at.is_not(None), Notification.read_at < now - timedelta(days=days))
        .where(Notification.is_deleted.is_(False))
        .values(is_deleted=True, deleted_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
