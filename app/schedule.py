"""Every scheduled task, in one place; run by `rq cron app/schedule.py` (see README).

Each entry goes through `run_task`, so the task gets an app context and is audited as
`system:<task>`. Modules add their entries here (media cleanup, subscription renewals, ...).
"""

from __future__ import annotations

import os

from rq import cron

from app.core.tasks import run_task

# (task path, cron expression, queue)
SCHEDULE: list[tuple[str, str, str]] = [
    ("app.core.tasks.heartbeat", "*/5 * * * *", "low"),
    (
        "app.media.tasks.remove_expired_temporary_media",
        os.environ.get("MEDIA_CLEANUP_CRON", "*/30 * * * *"),
        "low",
    ),
    (
        "app.courses.tasks.expire_subscription_enrollments",
        os.environ.get("ENROLLMENT_EXPIRY_CRON", "*/15 * * * *"),
        "default",
    ),
    # Subscriptions: renew (charge) periods that ended, expire what lapsed, remind before expiry.
    ("app.billing.tasks.renew_subscriptions", os.environ.get("RENEWAL_CRON", "*/15 * * * *"), "default"),
    (
        "app.billing.tasks.expire_subscriptions",
        os.environ.get("SUBSCRIPTION_EXPIRY_CRON", "*/15 * * * *"),
        "default",
    ),
    (
        "app.billing.tasks.remind_subscriptions",
        os.environ.get("SUBSCRIPTION_REMINDER_CRON", "0 8 * * *"),
        "low",
    ),
    # Notifications: the daily digest e-mails; read notifications past their retention to the trash.
    (
        "app.notifications.tasks.send_notification_digests",
        os.environ.get("NOTIFICATION_DIGEST_CRON", "0 7 * * *"),
        "low",
    ),
    (
        "app.notifications.tasks.purge_read_notifications",
        os.environ.get("NOTIFICATION_PURGE_CRON", "30 3 * * *"),
        "low",
    ),
    # Views counted in Redis since the last run, applied to the counters in bulk.
    ("app.engagement.tasks.flush_view_counts", os.environ.get("VIEW_FLUSH_CRON", "* * * * *"), "low"),
    # Attempts are refused answers at their deadline on every request; this hands them in.
    (
        "app.assessments.tasks.submit_overdue_attempts",
        os.environ.get("OVERDUE_ATTEMPTS_CRON", "* * * * *"),
        "default",
    ),
]

for task_path, expression, queue_name in SCHEDULE:
    cron.register(run_task, queue_name, args=(task_path,), cron=expression, name=task_path)
