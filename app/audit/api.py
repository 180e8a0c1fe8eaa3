"""Read-only audit API: /api/v1/audit_log (admins; instructors their courses' rows), /api/v1/my_activity."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterEqualFunction

from app.audit.models import AuditLog
from app.audit.scopes import FilterAuditScope
from app.audit.views import current_user_id
from app.core.api import BaseModelRestApi
from app.core.interface import SQLAInterface

COLUMNS = [
    "id",
    "uuid",
    "created_at",
    "actor_id",
    "actor_label",
    "action.code",
    "entity_type",
    "entity_id",
    "old_values",
    "new_values",
    "description",
    "ip",
    "user_agent",
    "request_id",
]


class AuditLogApi(BaseModelRestApi):
    """Search the audit log (admins all of it, instructors their courses' rows); no write method."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = COLUMNS
    search_columns = [
        "actor",
        "actor_label",
        "action",
        "entity_type",
        "entity_id",
        "created_at",
        "ip",
    ]
    order_columns = ["created_at", "entity_type", "entity_id", "actor_label"]
    base_order = ("created_at", "desc")
    base_filters = [["id", FilterAuditScope, None]]


class MyActivityApi(AuditLogApi):
    """The caller's own audit rows."""

    resource_name = "my_activity"
    class_permission_name = "MyActivity"
    base_filters = [["actor_id", FilterEqualFunction, current_user_id]]
