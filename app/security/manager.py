"""The security manager: our user model and views, login auditing, locale after login."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, has_request_context, request, session
from flask_appbuilder.security.sqla.apis.user import api as fab_user_api
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_group_role,
    assoc_permissionview_role,
    assoc_user_group,
    assoc_user_role,
)
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import JWTManager
from sqlalchemy import Select, select, union

from app.core.errors import json_error
from app.core.interface import SQLAInterface
from app.core.menus import show_category_last
from app.security.api import (
    LmsGroupApi,
    LmsPermissionApi,
    LmsPermissionViewMenuApi,
    LmsRoleApi,
    LmsUserApi,
    LmsViewMenuApi,
)
from app.security.models import LmsUser
from app.security.ratelimit import remember_device
from app.security.views import (
    AuthDBView,
    LmsRegisterUserDBView,
    LmsRoleModelView,
    LmsUserDBModelView,
    LmsUserInfoEditView,
)

# FAB's screens on its own permission tables, and its pending sign-ups (ours create the account at
# once): tools for whoever builds the app, shown to admins only, under Advanced, after every menu.
ADVANCED = "Advanced"
ADVANCED_SCREENS = ("User Registrations", "Base Permissions", "Views/Menus", "Permission on Views/Menus")

# FAB's UserApi.post instantiates its own User class; make it build ours (uuid, status, ...).
fab_user_api.User = LmsUser


class LmsSecurityManager(SecurityManager):
    """FAB's SQLA security manager with the extended user and audited logins."""

    user_model = LmsUser
    authdbview = AuthDBView
    userdbmodelview = LmsUserDBModelView
    userinfoeditview = LmsUserInfoEditView
    registeruserdbview = LmsRegisterUserDBView
    rolemodelview = LmsRoleModelView
    # FAB's user statistics chart crashes on unexpected URLs; analytics belong to a later module.
    userstatschartview = None
    user_api = LmsUserApi
    role_api = LmsRoleApi
    permission_api = LmsPermissionApi
    view_menu_api = LmsViewMenuApi
    permission_view_menu_api = LmsPermissionViewMenuApi
    group_api = LmsGroupApi

    def __init__(self, appbuilder: Any) -> None:
        super().__init__(appbuilder)
        # FAB gives the user screen its own (hard-deleting) interface; users are soft deleted.
        self.userdbmodelview.datamodel = SQLAInterface(self.user_model)

    def register_views(self) -> None:
        """FAB's security screens, its developer screens moved from Security to Advanced.

        The menu names stay FAB's, so the permissions on them keep their names.
        """
        super().register_views()
        security = self.appbuilder.menu.find("Security")
        moved = [item for item in security.childs if item.name in ADVANCED_SCREENS] if security else []
        if not moved:
            return
        security.childs = [item for item in security.childs if item not in moved]
        for item in moved:
            self.appbuilder.add_view(
                item.baseview,
                item.name,
                icon=item.icon,
                label=item.label,
                category=ADVANCED,
                category_label=_l("Advanced"),
                category_icon="fa-screwdriver-wrench",
                menu_cond=self.current_user_is_admin,
            )
        # Only the Admin role sees them, whatever permissions another role was given.
        self.appbuilder.menu.find(ADVANCED).cond = self.current_user_is_admin
        show_category_last(ADVANCED)

    def current_user_is_admin(self) -> bool:
        """The user of the request (session or API token) holds the Admin role."""
        user = self.current_user
        return user is not None and any(role.name == self.auth_role_admin for role in user.roles)

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """FAB's JWT manager whose refusals use the API error shape `{"message", "errors"}`."""
        jwt_manager = super().create_jwt_manager(app)

        def refuse(status: int, reason: str | None = None) -> Response:
            response = json_error(status, errors={"authorization": [reason]} if reason else None)
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response

        jwt_manager.unauthorized_loader(lambda reason: refuse(401, reason))
        jwt_manager.invalid_token_loader(lambda reason: refuse(401, reason))
        jwt_manager.expired_token_loader(lambda _header, _payload: refuse(401, "Token has expired"))
        jwt_manager.revoked_token_loader(lambda _header, _payload: refuse(401, "Token has been revoked"))
        jwt_manager.needs_fresh_token_loader(lambda _header, _payload: refuse(401, "Fresh token required"))
        # A token whose user was suspended, banned or deleted since it was issued.
        jwt_manager.user_lookup_error_loader(lambda _header, _payload: refuse(401, "Account not active"))
        jwt_manager.token_verification_failed_loader(
            lambda _header, _payload: refuse(400, "Claims verification failed")
        )
        return jwt_manager

    def _has_view_access(self, user: Any, permission_name: str, view_name: str) -> bool:
        """FAB asks the database once per check (a page makes ~20); load a user's set once per request."""
        if not has_request_context():
            return super()._has_view_access(user, permission_name, view_name)
        return (permission_name, view_name) in self.request_permissions(user)

    def request_permissions(self, user: Any) -> set[tuple[str, str]]:
        """The user's (permission, view) pairs, loaded once per request."""
        cache = g.setdefault("_permissions_by_user", {})
        key = getattr(user, "id", None)
        if key not in cache:
            cache[key] = self.get_user_permissions(user)
        return cache[key]

    def _permission_pairs(self, role_ids: Select[Any]) -> set[tuple[str, str]]:
        """(permission, view) pairs granted to the roles `role_ids` selects, in one query."""
        pvr = assoc_permissionview_role.c
        stmt = (
            select(Permission.name, ViewMenu.name)
            .select_from(assoc_permissionview_role)
            .join(PermissionView, PermissionView.id == pvr.permission_view_id)
            .join(Permission, Permission.id == PermissionView.permission_id)
            .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
            .where(pvr.role_id.in_(role_ids))
            .distinct()
        )
        return {(permission, view) for permission, view in self.session.execute(stmt)}

    def get_user_permissions(self, user: Any) -> set[tuple[str, str]]:
        """The user's permissions through roles and groups in one query (FAB: one per role, plus
        the lazy loads of roles and groups)."""
        if self.builtin_roles or not user.is_authenticated:
            return super().get_user_permissions(user)
        ug = assoc_user_group.c
        role_ids = union(
            select(assoc_user_role.c.role_id).where(assoc_user_role.c.user_id == user.id),
            select(assoc_group_role.c.role_id)
            .join(assoc_user_group, ug.group_id == assoc_group_role.c.group_id)
            .where(ug.user_id == user.id),
        )
        return self._permission_pairs(select(role_ids.subquery().c.role_id))

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB loads the public role and its permissions on every API call; once per request here."""
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        if "_public_permissions" not in g:
            public = select(Role.id).where(Role.name == self.auth_role_public)
            g._public_permissions = self._permission_pairs(public)
        return (permission_name, view_name) in g._public_permissions

    def auth_user_db(self, username: str, password: str) -> Any:
        """Authenticate, then audit the success or the failure (never the password)."""
        from app.audit.services import record

        user = super().auth_user_db(username, password)
        if user is not None:
            record("logged_in", "user", user.id, user=user)
            if has_request_context():
                remember_device(user.id)
                if not request.path.startswith("/api/"):
                    session["locale"] = user.locale or "en"
        elif username:
            known = self.find_user(username=username) or self.find_user(email=username)
            record(
                "login_failed",
                "user",
                known.id if known is not None else None,
                description=f"username={username[:150]}",
                commit=True,  # kept although the sign-in then answers an error
            )
        return user

    def reset_password(self, userid: int, password: str) -> None:
        """Set a password; the user's own change ends the one-time password requirement. The owner
        is told by e-mail (FAB's own and admin password forms come through here)."""
        from app.security.accounts import notify_password_changed

        super().reset_password(userid, password)
        acting = getattr(g, "user", None)
        user = self.get_user_by_id(userid)
        if user is not None and user.must_change_password and getattr(acting, "id", None) == user.id:
            user.must_change_password = False
            self.session.flush()
        if user is not None:
            notify_password_changed(user)

    def on_user_logout(self, user: Any) -> None:
        """Audit the logout."""
        from app.audit.services import record

        record("logged_out", "user", user.id, user=user)
