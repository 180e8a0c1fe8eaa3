"""Notification pages: the list (bell), open, read, delete, preferences, e-mail unsubscribe;
and the admins' default choices."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.errors import AppError
from app.core.portal import flashed, signed_in_user
from app.core.transactions import transaction
from app.lookups.services import values_of
from app.notifications import services
from app.notifications.services import delivery
from app.notifications.services.preferences import notification_types
from app.notifications.types import CHANNEL_LABELS, CHANNELS, defaults_for
from app.security.roles import has_back_office_screens

PORTAL_BASE = "portal/base.html"


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def _choices_from_form() -> dict[str, dict[str, bool]]:
    """{type: {channel: ticked}} for every type of the form (an unticked box is not posted)."""
    return {
        kind.code: {channel: request.form.get(f"{kind.code}:{channel}") == "on" for channel in CHANNELS}
        for kind in notification_types()
    }


def _matrix(choices: dict[str, dict[str, bool]]) -> list[dict[str, Any]]:
    """Rows of the preferences form: each type with its channels (unavailable ones disabled)."""
    return [
        {
            "code": kind.code,
            "label": kind.name,
            "channels": [
                {
                    "code": channel,
                    "label": CHANNEL_LABELS[channel],
                    "on": choices.get(kind.code, {}).get(channel, False),
                    "available": channel not in defaults_for(kind.code).unavailable,
                }
                for channel in CHANNELS
            ],
        }
        for kind in notification_types()
    ]


class NotificationsView(BaseView):
    """Each signed-in user's notifications (learners in the portal's look, staff in the back office's)."""

    route_base = "/notifications"
    class_permission_name = "NotificationInbox"
    method_permission_name = {
        "index": "read",
        "open": "read",
        "read": "write",
        "read_all": "write",
        "delete": "write",
        "preferences": "write",
    }
    default_view = "index"

    def _base(self, user: Any) -> str:
        return str(self.appbuilder.base_template) if has_back_office_screens(user) else PORTAL_BASE

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The list, newest first; filters: unread only, type."""
        user = signed_in_user()
        unread_only = request.args.get("unread") == "1"
        type_code = request.args.get("type") or None
        page = _page_number()
        with transaction():  # a notification about something the user can no longer see is read
            items, total = services.list_notifications(
                user, unread_only=unread_only, type_code=type_code, page=page
            )
        return self.render_template(
            "notifications/list.html",
            layout=self._base(user),
            items=items,
            total=total,
            page=page,
            pages=max((total + services.inbox.PAGE_SIZE - 1) // services.inbox.PAGE_SIZE, 1),
            unread_only=unread_only,
            type_code=type_code,
            types=values_of("notification_types"),
        )

    @expose("/<int:notification_id>/open")
    @has_access
    def open(self, notification_id: int) -> Any:
        """Mark it read and go to what it is about (the list when that is gone)."""
        user = signed_in_user()
        try:
            with transaction():
                url = services.open_target(user, notification_id)
        except AppError as error:
            abort(error.status_code, error.message)
        if url is None:
            flash(_("What this notification was about is no longer available."), "info")
            return redirect(url_for(".index"))
        return redirect(url)

    @expose("/<int:notification_id>/read", methods=["POST"])
    @has_access
    def read(self, notification_id: int) -> Any:
        """Mark one read."""
        user = signed_in_user()
        return flashed(self._back(), _("Marked as read."), lambda: services.mark_read(user, notification_id))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self) -> Any:
        """Mark every one read."""
        user = signed_in_user()
        return flashed(
            self._back(), _("All notifications are marked as read."), lambda: services.mark_all_read(user)
        )

    @expose("/<int:notification_id>/delete", methods=["POST"])
    @has_access
    def delete(self, notification_id: int) -> Any:
        """Delete one."""
        user = signed_in_user()
        return flashed(
            self._back(),
            _("Notification deleted."),
            lambda: services.delete_notification(user, notification_id),
        )

    def _back(self) -> str:
        target = request.form.get("next") or ""
        return target if target.startswith("/notifications") else url_for(".index")

    @expose("/preferences", methods=["GET", "POST"])
    @has_access
    def preferences(self) -> Any:
        """Which channels carry each type to me."""
        user = signed_in_user()
        if request.method == "POST":
            return flashed(
                url_for(".preferences"),
                _("Your notification preferences are saved."),
                lambda: services.save_preferences(user.id, _choices_from_form()),
            )
        return self.render_template(
            "notifications/preferences.html",
            layout=self._base(user),
            rows=_matrix(services.user_preferences(user.id)),
            channels=[(c, CHANNEL_LABELS[c]) for c in CHANNELS],
            action=url_for(".preferences"),
            title=_("Notification preferences"),
        )

    @expose("/unsubscribe/<token>", methods=["GET", "POST"])
    def unsubscribe(self, token: str) -> Any:
        """Stop one type's e-mails from the link in an e-mail, signed in or not."""
        try:
            user, type_code = delivery.read_unsubscribe_token(token)
        except AppError as error:
            return self.render_template(
                "notifications/unsubscribe.html", layout=PORTAL_BASE, error=error.message
            ), 404
        kind = next((k for k in values_of("notification_types") if k.code == type_code), None)
        label = kind.name if kind else type_code
        done = False
        if request.method == "POST":
            with transaction():
                delivery.stop_emails(user, type_code)
            done = True
        return self.render_template(
            "notifications/unsubscribe.html",
            layout=PORTAL_BASE,
            label=label,
            done=done,
            error=None,
            email=user.email,
        )


class NotificationDefaultsView(BaseView):
    """Admins choose which channels each type uses for users who did not choose."""

    route_base = "/notificationdefaults"
    class_permission_name = "NotificationDefaults"
    method_permission_name = {"index": "read", "save": "write"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The defaults form."""
        return self.render_template(
            "notifications/preferences.html",
            layout=self.appbuilder.base_template,
            rows=_matrix(services.site_defaults()),
            channels=[(c, CHANNEL_LABELS[c]) for c in CHANNELS],
            action=url_for(".save"),
            title=_("Default notification preferences"),
            defaults=True,
        )

    @expose("/", methods=["POST"])
    @has_access
    def save(self) -> Any:
        """Store the defaults."""
        return flashed(
            url_for(".index"),
            _("The default notification preferences are saved."),
            lambda: services.save_preferences(None, _choices_from_form()),
        )
