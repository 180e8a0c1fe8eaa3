"""Who reads which audit rows: admins every row; others the rows of entities a module lets them manage.

A module registers, per entity type it owns, the ids a user may read the trail of (courses: the
rows of the courses they teach, PRD 5). Rows of unregistered types (users, logins, settings) stay
admin-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, or_, true

from app.audit.models import AuditLog
from app.core.targets import is_admin

VisibleIds = Callable[[int], Select[Any]]
_SCOPES: dict[str, VisibleIds] = {}


def register_audit_scope(entity_type: str, visible_ids: VisibleIds) -> None:
    """Let users read the audit rows of the `entity_type` ids `visible_ids(user_id)` selects."""
    _SCOPES[entity_type] = visible_ids


def audit_scope(user: Any) -> ColumnElement[bool]:
    """The audit rows a user may read, as a WHERE clause."""
    if is_admin(user):
        return true()
    user_id = getattr(user, "id", None)
    if user_id is None or not _SCOPES:
        return false()
    return or_(
        *(
            and_(AuditLog.entity_type == entity_type, AuditLog.entity_id.in_(visible_ids(user_id)))
            for entity_type, visible_ids in _SCOPES.items()
        )
    )


class FilterAuditScope(BaseFilter):
    """Base filter of the audit screens and API: the rows the signed-in user may read."""

    name = _l("Rows I may see")
    arg_name = "audit_scope"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict to the caller's scope (every row for admins)."""
        return query.filter(audit_scope(g.get("user")))


def viewed_clause() -> ColumnElement[bool]:
    """The "viewed" rows (recorded page views): many, so kept off the main lists by default."""
    from app.lookups.services import lookup_id_subquery

    return AuditLog.action_id == lookup_id_subquery("audit_actions", "viewed")


class FilterViewed(BaseFilter):
    """Base filter: only the "viewed" rows (value True), or every row but them (value False)."""

    name = _l("Views")
    arg_name = "audit_viewed"

    def apply(self, query: Any, value: Any) -> Any:
        """Keep or leave out the view records."""
        viewed = viewed_clause()
        return query.filter(viewed if value else ~viewed)
