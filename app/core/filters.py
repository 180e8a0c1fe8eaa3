"""Row-level filters shared by views and APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, true

from app.core.targets import is_admin


class FilterOwnUnlessAdmin(BaseFilter):
    """Admins see every row; anyone else only rows whose column equals their user id."""

    name = "Own rows"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query unless the current user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        column = getattr(self.model, self.column_name)
        return query.filter(column == getattr(user, "id", None))


# ---- rows a user manages ----------------------------------------------------------------------
# (model, user) -> the SQL condition of the rows of `model` that a non-admin user manages. The module
# owning a model registers its rule (courses: rows of taught courses), so that every module's lists
# and dropdowns can be limited to managed rows without importing the owner's views.
ManagedRows = Callable[[type, Any], ColumnElement[bool]]
_MANAGED_ROWS: dict[type, ManagedRows] = {}


def register_managed_rows(models: Iterable[type], rule: ManagedRows) -> None:
    """Declare who manages the rows of `models` (called from the owning module's register())."""
    for model in models:
        _MANAGED_ROWS[model] = rule


def managed_clause(model: type, user: Any) -> ColumnElement[bool]:
    """Admins: every row; others: the registered rule of the model (no row when it has none)."""
    if is_admin(user):
        return true()
    rule = _MANAGED_ROWS.get(model)
    return rule(model, user) if rule is not None else false()


class FilterManagedRows(BaseFilter):
    """Admins: every row; anyone else: the rows they manage (`register_managed_rows`)."""

    name = _l("Mine")
    arg_name = "managed"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to managed rows unless the user is an admin."""
        return query.filter(managed_clause(self.model, g.get("user")))


MANAGED = [["id", FilterManagedRows, None]]
