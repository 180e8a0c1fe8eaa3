"""The base every billing REST API shares: row-scoped reads, JSON-object bodies, AppError mapped.

The kit (`run`, `scoped`, JSON helpers) is `app.core.api`. Reads go through a base filter
(`FilterOwnRows`: a user's own subscriptions, payments and invoices; admins all), so another user's row
is a 404 like a missing one. Actions load their object through the same filter (`scoped`), then call the
billing services, whose AppError becomes its status with the one error shape `{"message", "errors"}`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, g
from flask_appbuilder.models.filters import BaseFilter

from app.core.api import (
    CRUD_ROUTES,
    MAX_BIGINT,
    READ_ONLY_ROUTES,
    ServiceApi,
    flag,
    iso,
    json_object,
    text_field,
)
from app.core.targets import is_admin, signed_in_user_id
from app.extensions import db

T = TypeVar("T")

__all__ = [
    "CRUD_ROUTES",
    "MAX_BIGINT",
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


class BillingApiBase(ServiceApi):
    """Row-scoped reads, bodies that must be JSON objects, AppError as its status."""

    base_filters = OWN_ROWS
    # True when `decorate` adds computed fields to shown rows (then the rows are loaded for it).
    decorated = False

    def dump(self, item: Any) -> dict[str, Any]:
        """The object's fields as its show route gives them."""
        data = self.show_model_schema.dump(item)
        self.decorate([(item, data)])
        return data

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Add computed fields to shown rows (none by default)."""

    # ---- FAB's routes, guarded -------------------------------------------------------------------
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
