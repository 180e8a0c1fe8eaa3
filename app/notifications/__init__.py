"""Notifications (PRD 4.5): notify() for every module; in-app, real-time, e-mail, digest, web push."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _unread_count() -> int:
    from flask_login import current_user

    from app.notifications.services import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def register(appbuilder: AppBuilder) -> None:
    """The bell's pages, the admins' defaults screen, the API; the bell's count for templates."""
    from app.notifications.api import NotificationApi
    from app.notifications.services import push
    from app.notifications.views import NotificationDefaultsView, NotificationsView
    from app.notifications.views_push import PushView, service_worker

    push.check_keys()
    appbuilder.add_view_no_menu(NotificationsView)
    appbuilder.add_view_no_menu(PushView)
    # At the root: a service worker only controls pages under the path it is served from.
    current_app.add_url_rule("/service-worker.js", "service_worker", service_worker)
    appbuilder.add_view(
        NotificationDefaultsView,
        "Notification defaults",
        label=_l("Notification defaults"),
        icon="fa-bell",
        category="Security",
    )
    appbuilder.add_api(NotificationApi)
    # Mail clients post the one-click unsubscribe (RFC 8058) without a form token: the signed
    # token in the address is the proof.
    current_app.extensions["csrf"].exempt("app.notifications.views.unsubscribe")

    @current_app.context_processor
    def _bell() -> dict[str, Any]:
        return {"notification_unread_count": _unread_count, "web_push_key": push.public_key}
