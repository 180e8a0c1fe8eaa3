"""Row-level filters shared by views and APIs."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.models.filters import BaseFilter

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
