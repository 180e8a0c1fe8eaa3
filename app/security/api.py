"""FAB's security APIs: users with soft delete and suspend / ban / restore / reset actions; every one
answering bad bodies and duplicates with a 4xx in the error shape instead of FAB's 500s."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.apis import (
    GroupApi,
    PermissionApi,
    PermissionViewMenuApi,
    RoleApi,
    ViewMenuApi,
)
from flask_appbuilder.security.sqla.apis.user.api import UserApi
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.extensions import db
from app.security import services
from app.security.models import LmsUser


def _unwrapped(method: Any) -> Any:
    """FAB's undecorated endpoint: under `protect` and `safe`, whose catch-all would turn our
    409 into a 500 (`safe`) or check permissions twice (`protect`)."""
    return method.__wrapped__.__wrapped__


BODY_ENDPOINTS = frozenset({"post", "put", "add_role_permissions", "update_role_users", "update_role_groups"})


class SecurityApiMixin:
    """FAB's security APIs with our error shape: a body that is not a JSON object is a 400 (FAB read it
    with `request.json` inside its catch-all: 500), a duplicate a 409 without database text."""

    def create_blueprint(self, *args: Any, **kwargs: Any) -> Blueprint:
        """FAB's blueprint, checking write bodies first."""
        blueprint = super().create_blueprint(*args, **kwargs)  # type: ignore[misc]
        blueprint.before_request(self._require_json_object)
        return blueprint

    def _require_json_object(self) -> Response | None:
        name = (request.endpoint or "").rpartition(".")[2]
        if request.method not in ("POST", "PUT") or name not in BODY_ENDPOINTS:
            return None
        if not isinstance(request.get_json(silent=True), dict):
            message = gettext("The request body must be a JSON object.")
            return self.response(400, message=message, errors={"body": [message]})
        return None

    def _conflict(self) -> Response:
        db.session.rollback()
        return self.response(409, message=gettext("This conflicts with existing data."))

    def post_headless(self) -> Response:
        """FAB's create, with a duplicate answered 409 (FAB let the database error through: 500)."""
        try:
            return super().post_headless()  # type: ignore[misc]
        except (DatabaseException, IntegrityError):
            return self._conflict()

    def response_422(self, message: Any = None) -> Response:
        """FAB answers a database error with a 422 carrying the database's own text: a 409 in words.
        Validation errors (a dict of fields) stay 422."""
        if isinstance(message, str):
            return self._conflict()
        return self.response(422, message=message)

    def response(self, code: int, **kwargs: Any) -> Response:
        """`{"message", "errors"}` on every error (FAB puts field errors in `message`)."""
        if code >= 400:
            message = kwargs.get("message")
            if isinstance(message, dict):
                kwargs["errors"] = message
                kwargs["message"] = gettext("The data is not valid.")
            kwargs.setdefault("message", gettext("The request could not be processed."))
            kwargs.setdefault("errors", {})
        return super().response(code, **kwargs)  # type: ignore[misc]


class LmsRoleApi(SecurityApiMixin, RoleApi):
    """`/api/v1/security/roles/`."""


class LmsPermissionApi(SecurityApiMixin, PermissionApi):
    """`/api/v1/security/permissions/`."""


class LmsViewMenuApi(SecurityApiMixin, ViewMenuApi):
    """`/api/v1/security/resources/`."""


class LmsPermissionViewMenuApi(SecurityApiMixin, PermissionViewMenuApi):
    """`/api/v1/security/permissions-resources/`."""


class LmsGroupApi(SecurityApiMixin, GroupApi):
    """`/api/v1/security/groups/`."""


class LmsUserApi(SecurityApiMixin, UserApi):
    """`/api/v1/security/users/`: deletes are soft, and admins can moderate accounts."""

    datamodel = SQLAInterface(LmsUser)
    allow_browser_login = False  # JWT only: the API is exempt from CSRF
    list_columns = [
        *UserApi.list_columns,
        *("uuid", "status.code", "locale", "timezone", "name_ar", "gender.code"),
    ]
    show_columns = list_columns

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk: Any) -> Response:
        """FAB's user update, with a 404 for a missing user instead of a crash."""
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        try:
            return _unwrapped(super().put)(self, pk)
        except DatabaseException:
            return self._taken()

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self) -> Response:
        """FAB's user creation, with a 409 when the user name or email is taken."""
        try:
            return _unwrapped(super().post)(self)
        except DatabaseException:
            return self._taken()

    def _taken(self) -> Response:
        # Deleted accounts keep their user name and email (they can be restored).
        self.datamodel.session.rollback()
        return self.response(409, message=gettext("This user name or email is already in use."))

    @expose("/<pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk: Any) -> Response:
        """Soft delete a user; admins cannot delete their own account."""
        if str(pk) == str(g.user.id):
            return self.response(409, message=gettext("You cannot delete your own account."))
        return _unwrapped(super().delete)(self, pk)

    def _act(self, pk: int, func: Any) -> Response:
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            return self.response_404()
        try:
            result = func(user)
        except AppError as exc:
            return self.response(exc.status_code, message=exc.message, errors=exc.errors)
        body: dict[str, Any] = {"id": user.id, "status": user.status_code}
        if isinstance(result, str):
            body["password"] = result
        return self.response(200, **body)

    @expose("/<int:pk>/suspend", methods=["POST"])
    @protect()
    @safe
    @permission_name("suspend")
    def suspend(self, pk: int) -> Response:
        """Suspend a user: sessions and tokens stop working at once."""
        return self._act(pk, lambda u: services.suspend_user(u, g.user.id))

    @expose("/<int:pk>/ban", methods=["POST"])
    @protect()
    @safe
    @permission_name("suspend")
    def ban(self, pk: int) -> Response:
        """Ban a user."""
        return self._act(pk, lambda u: services.ban_user(u, g.user.id))

    @expose("/<int:pk>/restore", methods=["POST"])
    @protect()
    @safe
    @permission_name("suspend")
    def restore(self, pk: int) -> Response:
        """Restore a suspended, banned or deleted user."""
        user = (
            self.datamodel.session.query(LmsUser)
            .execution_options(include_deleted=True)
            .filter(LmsUser.id == pk)
            .one_or_none()
        )
        if user is None:
            return self.response_404()
        services.restore_user(user)
        return self.response(200, id=user.id, status=user.status_code)

    @expose("/<int:pk>/reset_password", methods=["POST"])
    @protect()
    @safe
    @permission_name("resetpasswords")
    def reset_password(self, pk: int) -> Response:
        """Set the given password, or generate a one-time one and return it once."""
        body = request.get_json(silent=True) or {}
        return self._act(pk, lambda u: services.reset_password(u, body.get("password")))
