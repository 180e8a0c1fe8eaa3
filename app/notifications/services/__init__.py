"""Notifications' rules: notify() for every module, preferences, a user's inbox, delivery."""

from app.notifications.services.inbox import (
    delete_notification,
    list_notifications,
    mark_all_read,
    mark_read,
    open_target,
    unread_count,
)
from app.notifications.services.params import bilingual, in_each_language, person
from app.notifications.services.preferences import save_preferences, site_defaults, user_preferences
from app.notifications.services.sending import notify
from app.notifications.types import register_message

__all__ = [
    "bilingual",
    "delete_notification",
    "in_each_language",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "notify",
    "open_target",
    "person",
    "register_message",
    "save_preferences",
    "site_defaults",
    "unread_count",
    "user_preferences",
]
