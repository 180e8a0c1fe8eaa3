"""The base every billing REST API shares: row-scoped reads, JSON-object bodies, AppError mapped.

Reads go through a base filter (`FilterOwnRows`: a user's own subscriptions, payments and invoices;
admins all), so another user's row is a 404 like a missing one. Actions load their object through the
same filter (`scoped`), then call the billing services, whose AppError becomes its status with the
one error shape `{"message", "errors"}`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Response, g, request
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _

from app.core.api import BaseModelRestApi
from app.core.errors import AppError, Invalid, NotFound
from app.core.targets import is_admin, signed_in_user_id
from app.courses.api import json_object
from app.extensions import db

T = TypeVar("T")
MAX_BIGINT = 2**63 - 1
READ_ONLY_ROUTES = {"get", "get_list", "info"}
CRUD_ROUTES = READ_ONLY_ROUTES | {"post", "put", "delete"}

__all__ = [
    "CRUD_ROUTES",
    "OWN_ROWS",
    "READ_ONLY_ROUTES",
    "BillingApiBase",
    "FilterOwnRows",
    "flag",
    "iso",
    "json_object",
    "registered",
    "text_field",
]


class FilterOwnRows(BaseFilter):
    """Admins: every row; others: the rows whose `user_id` is theirs."""

    name = "Own rows"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to the user's own rows unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        return query.filter(self.model.user_id == (signed_in_user_id(user) or 0))


OWN_ROWS = [["id", FilterOwnRows, None]]


def registered(cls: type[T]) -> T:
    """The instance of an API class that the app builder serves (to dump rows as its routes do)."""
    from app.extensions import appbuilder

    return next(view for view in appbuilder.baseviews if isinstance(view, cls))


def iso(moment: datetime | None) -> str | None:
    """A datetime as ISO 8601 (None stays None)."""
    return moment.isoformat() if moment is not None else None


def flag(body: dict[str, Any], field: str, default: bool | None = None) -> bool:
    """A boolean field of a body (the default when absent; 422 when missing without one or not a boolean)."""
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise Invalid(_("'%(field)s' must be true or false.", field=field), {field: [_("Not a boolean.")]})
    return value


def text_field(body: dict[str, Any], field: str, *, default: str | None = None, limit: int = 128) -> str:
    """A non-blank text field of a body, at most `limit` characters (422 otherwise)."""
    value = body.get(field, default)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(_("'%(field)s' must be text.", field=field), {field: [_("This field is required.")]})
    if len(value) > limit:
        raise Invalid(_("'%(field)s' is too long.", field=field), {field: [str(limit)]})
    return value.strip()


class BillingApiBase(BaseModelRestApi):
    """Row-scoped reads, bodies that must be JSON objects, AppError as its status."""

    base_filters = OWN_ROWS
    # True when `decorate` adds computed fields to shown rows (then the rows are loaded for it).
    decorated = False

    def _may_write(self) -> bool:
        """True when this API has a create or update route and the user holds its write permission."""
        routes = self.include_route_methods
        if routes is not None and not {"post", "put"} & set(routes):
            return False
        permission = self.method_permission_name.get("post", "write")
        return bool(self.appbuilder.sm.has_access(PERMISSION_PREFIX + permission, self.class_permission_name))

    def _get_fields_info(self, cols: Any, model_schema: Any, filter_rel_fields: Any, **kwargs: Any) -> Any:
        """`_info`'s form fields (with relation choices) only for users who may write through this API."""
        if not self._may_write():
            return []
        return super()._get_fields_info(cols, model_schema, filter_rel_fields, **kwargs)

    # ---- errors and objects ----------------------------------------------------------------------
    def error(self, exc: AppError) -> Response:
        """The one error shape; the half-applied change is dropped."""
        db.session.rollback()
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def run(self, func: Callable[[], Response]) -> Response:
        """Call an action body, mapping AppError to its response."""
        try:
            return func()
        except AppError as exc:
            return self.error(exc)

    @staticmethod
    def _pk(pk: Any) -> int | None:
        """The id of a URL as a number in range, or None."""
        text = str(pk)
        return int(text) if text.isdigit() and 0 < int(text) <= MAX_BIGINT else None

    def scoped(self, pk: Any) -> Any:
        """The row if the user may see it, else NotFound (ids out of range too)."""
        number = self._pk(pk)
        item = None if number is None else self.datamodel.get(number, self._base_filters)
        if item is None:
            raise NotFound()
        return item

    def dump(self, item: Any) -> dict[str, Any]:
        """The object's fields as its show route gives them."""
        data = self.show_model_schema.dump(item)
        self.decorate([(item, data)])
        return data

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Add computed fields to shown rows (none by default)."""

    # ---- FAB's routes, guarded -------------------------------------------------------------------
    def _refuse_non_object(self) -> Response | None:
        """400 for a JSON body that is not an object."""
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            return self.response(
                400, message=_("Send a JSON object."), errors={"body": [_("Not an object.")]}
            )
        return None

    def get_headless(self, pk: Any, **kwargs: Any) -> Response:
        """FAB's show; an id that is not a number in range is simply not found."""
        if self._pk(pk) is None:
            return self.response_404()
        return super().get_headless(pk, **kwargs)

    def post_headless(self) -> Response:
        """FAB's create for a JSON object body, with AppError from the checks mapped."""
        return self._refuse_non_object() or self.run(super().post_headless)

    def put_headless(self, pk: Any) -> Response:
        """FAB's update for a JSON object body, with AppError from the checks mapped."""
        if self._pk(pk) is None:
            return self.response_404()
        refused = self._refuse_non_object()
        return refused or self.run(lambda: super(BillingApiBase, self).put_headless(pk))

    def delete_headless(self, pk: Any) -> Response:
        """FAB's (soft) delete, with AppError from the checks mapped."""
        if self._pk(pk) is None:
            return self.response_404()
        return self.run(lambda: super(BillingApiBase, self).delete_headless(pk))

    def pre_get(self, data: dict[str, Any]) -> None:
        """Computed fields of the shown row."""
        if not self.decorated:
            return
        item = self.datamodel.get(int(data["id"]), self._base_filters)
        if item is not None:
            self.decorate([(item, data["result"])])

    def pre_get_list(self, data: dict[str, Any]) -> None:
        """Computed fields of each listed row."""
        ids = [int(pk) for pk in data.get("ids", [])]
        if not ids or not self.decorated:
            return
        model = self.datamodel.obj
        items = {row.id: row for row in db.session.query(model).filter(model.id.in_(ids))}
        pairs = zip(ids, data.get("result", []), strict=False)
        self.decorate([(items[pk], row) for pk, row in pairs if pk in items])
