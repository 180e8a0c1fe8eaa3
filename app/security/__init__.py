"""Users, roles and the permission matrix (FAB registers the user screens itself)."""

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# FAB stores role names in English; screens show them in the reader's language.
ROLE_LABELS = {
    "Admin": _l("Admin"),
    "Instructor": _l("Instructor"),
    "Student": _l("Student"),
    "Recruiter": _l("Recruiter"),
}

# What a user who must replace a one-time password may still reach in the browser.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {
        "ResetMyPasswordView.this_form_get",
        "ResetMyPasswordView.this_form_post",
        "AuthDBView.logout",
        "LocaleView.index",
        "static",
        "appbuilder.static",
    }
)


def require_password_change() -> Any:
    """A browser session on a one-time password goes to the password form first."""
    if request.path.startswith("/api/") or request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        flash(gettext("Reset my password"), "warning")
        return redirect(url_for("ResetMyPasswordView.this_form_get"))
    return None


# FAB's own-profile screens; a learner (no back-office screen) goes to the portal's profile instead.
OWN_PROFILE_ENDPOINTS = frozenset(
    {
        "LmsUserDBModelView.userinfo",
        "LmsUserInfoEditView.this_form_get",
        "LmsUserInfoEditView.this_form_post",
    }
)


def learner_profile_redirect() -> Any:
    """Learners never need the back office: its profile screens send them to the portal's."""
    from app.security.roles import has_back_office_screens
    from app.security.services import learner_profile_url

    if request.endpoint not in OWN_PROFILE_ENDPOINTS or not current_user.is_authenticated:
        return None
    target = learner_profile_url()
    if target is None or has_back_office_screens(current_user):
        return None
    return redirect(target)


def register(appbuilder: AppBuilder) -> None:
    """FAB's security manager registers our user views and API; we add the one-time password rule."""
    from app.core.dashboard import register_panel
    from app.core.display import register_entity, register_labels
    from app.core.targets import register_target
    from app.security.dashboard import new_sign_ups
    from app.security.models import LmsUser
    from app.security.views import LmsRoleModelView, LmsUserDBModelView
    from app.security.views_accounts import AccountLinksView

    register_labels("role", ROLE_LABELS)
    register_labels("language", {"en": _l("English"), "ar": _l("Arabic")})
    register_entity(
        "user", _l("User"), "LmsUserDBModelView", model=LmsUser, field_labels=LmsUserDBModelView.label_columns
    )
    register_entity("role", _l("Role"), "LmsRoleModelView", field_labels=LmsRoleModelView.label_columns)

    current_app.before_request(require_password_change)
    appbuilder.add_view_no_menu(AccountLinksView())
    current_app.before_request(learner_profile_redirect)
    register_panel(new_sign_ups, 50)
    # Profiles (and so avatars) are visible to signed-in users; only the user changes their own.
    register_target(
        "user",
        LmsUser,
        can_view=lambda user, _obj: bool(user) and user.is_authenticated,
        can_edit=lambda user, obj: bool(user) and getattr(user, "id", None) == obj.id,
    )
