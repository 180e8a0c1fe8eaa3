"""The security manager: our user model and views, login auditing, locale after login."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request, session
from flask_appbuilder.security.sqla.apis.user import api as fab_user_api
from flask_appbuilder.security.sqla.manager import SecurityManager

from app.security.api import LmsUserApi
from app.security.models import LmsUser
from app.security.views import LmsRegisterUserDBView, LmsUserDBModelView, LmsUserInfoEditView

# FAB's UserApi.post instantiates its own User class; make it build ours (uuid, status, ...).
fab_user_api.User = LmsUser


class LmsSecurityManager(SecurityManager):
    """FAB's SQLA security manager with the extended user and audited logins."""

    user_model = LmsUser
    userdbmodelview = LmsUserDBModelView
    userinfoeditview = LmsUserInfoEditView
    registeruserdbview = LmsRegisterUserDBView
    # FAB's user statistics chart crashes on unexpected URLs; analytics belong to a later module.
    userstatschartview = None
    user_api = LmsUserApi

    def auth_user_db(self, username: str, password: str) -> Any:
        """Authenticate, then audit the success or the failure (never the password)."""
        from app.audit.services import record

        user = super().auth_user_db(username, password)
        if user is not None:
            record("logged_in", "user", user.id, user=user, commit=True)
            if has_request_context() and not request.path.startswith("/api/"):
                session["locale"] = user.locale or "en"
        elif username:
            known = self.find_user(username=username) or self.find_user(email=username)
            record(
                "login_failed",
                "user",
                known.id if known is not None else None,
                description=f"username={username[:150]}",
                commit=True,
            )
        return user

    def on_user_logout(self, user: Any) -> None:
        """Audit the logout."""
        from app.audit.services import record

        record("logged_out", "user", user.id, user=user, commit=True)
