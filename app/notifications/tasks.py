"""Notification tasks: they take ids and are safe to run twice (see services.delivery)."""

from __future__ import annotations

from app.notifications.services import delivery


def deliver_notifications(ids: list[int]) -> int:
    """Real-time count and item; queue e-mails and pushes (after notify's commit)."""
    return delivery.deliver(list(ids))


def email_notification(notification_id: int) -> bool:
    """One notification's e-mail, once."""
    return delivery.email_one(notification_id)


def push_notification(notification_id: int) -> int:
    """One notification to the recipient's subscribed browsers."""
    from app.notifications.services.push import push_one

    return push_one(notification_id)


def send_notification_digests() -> int:
    """The daily digest e-mails (NOTIFICATION_DIGEST_CRON)."""
    return delivery.send_digests()


def purge_read_notifications() -> int:
    """Move read notifications older than NOTIFICATION_RETENTION_DAYS to the trash."""
    return delivery.purge_read()
