"""Back-office user screens: list/edit with status, suspend/ban/restore/reset, own profile."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, session
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.security.views import UserDBModelView, UserInfoEditView
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.core.errors import AppError
from app.core.views import BaseModelView, format_user_datetime
from app.security import services
from app.security.forms import ProfileForm

USER_LIST_COLUMNS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "roles",
    "status",
    "last_login",
]


class LmsUserDBModelView(UserDBModelView):
    """FAB's user screen plus status, profile columns, and row-safe moderation actions."""

    list_columns = USER_LIST_COLUMNS
    search_columns = ["username", "first_name", "last_name", "email", "roles", "status", "active"]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "roles",
        "status",
        "locale",
        "timezone",
        "phone",
        "bio",
    ]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "roles",
        "locale",
        "timezone",
        "password",
        "conf_password",
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "status": _l("Status"),
        "locale": _l("Language"),
        "timezone": _l("Timezone"),
        "phone": _l("Phone"),
        "bio": _l("Bio"),
    }
    formatters_columns = {"last_login": format_user_datetime}
    show_fieldsets = [
        (
            _l("User info"),
            {"fields": ["username", "active", "status", "roles", "login_count"]},
        ),
        (
            _l("Personal Info"),
            {"fields": ["first_name", "last_name", "email", "locale", "timezone", "phone", "bio"]},
        ),
        (
            _l("Audit"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"]},
        ),
    ]
    method_permission_name = {
        "suspend_users": "suspend",
        "ban_users": "suspend",
        "restore_users": "suspend",
        "reset_users_password": "resetpasswords",
    }

    def __init__(self, **kwargs: Any) -> None:
        BaseModelView._setup_lookup_fields(self, self.datamodel.obj)
        super().__init__(**kwargs)

    _get_scoped = BaseModelView._get_scoped
    _may_run_action = BaseModelView._may_run_action
    action = BaseModelView.action
    action_post = BaseModelView.action_post

    def _run(self, items: Any, func: Any, done: str) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        for user in items:
            try:
                func(user)
                count += 1
            except AppError as exc:
                flash(f"{user.username}: {exc.message}", "danger")
        flash(gettext(done, count=count), "success")
        return redirect(self.get_redirect())

    @fab_action("suspend_users", _l("Suspend"), _l("Suspend the selected users?"), "fa-ban")
    def suspend_users(self, items: Any) -> Any:
        """Suspend: the users are signed out everywhere and cannot sign in."""
        return self._run(
            items,
            lambda u: services.suspend_user(u, g.user.id),
            "%(count)d user(s) suspended.",
        )

    @fab_action("ban_users", _l("Ban"), _l("Ban the selected users?"), "fa-user-slash")
    def ban_users(self, items: Any) -> Any:
        """Ban the selected users."""
        return self._run(items, lambda u: services.ban_user(u, g.user.id), "%(count)d user(s) banned.")

    @fab_action("restore_users", _l("Restore"), _l("Restore the selected users?"), "fa-undo")
    def restore_users(self, items: Any) -> Any:
        """Make the selected users active again."""
        return self._run(items, services.restore_user, "%(count)d user(s) restored.")

    @fab_action(
        "reset_users_password",
        _l("Reset password"),
        _l("Give the selected users a new one-time password?"),
        "fa-key",
    )
    def reset_users_password(self, items: Any) -> Any:
        """Generate one-time passwords and show them once to the admin."""
        items = items if isinstance(items, list) else [items]
        for user in items:
            password = services.reset_password(user)
            flash(
                gettext("New password for %(user)s: %(password)s", user=user.username, password=password),
                "warning",
            )
        return redirect(self.get_redirect())


class LmsUserInfoEditView(UserInfoEditView):
    """Each user edits their own profile, language and timezone."""

    form = ProfileForm
    redirect_url = "/admin/"

    def form_post(self, form: Any) -> None:
        """Save the profile and apply the language at once."""
        super().form_post(form)
        session["locale"] = form.locale.data
