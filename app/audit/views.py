"""Audit screens: the full log for admins, an entity's history, each user's own activity."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, g, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.audit import readable, services
from app.audit.models import AuditLog
from app.audit.scopes import FilterAuditScope, FilterViewed, audit_scope
from app.core.display import entity_label
from app.core.formatters import format_json, format_user_datetime
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView

LABELS = {
    "created_at": _l("When"),
    "actor": _l("User"),
    "actor_label": _l("Actor"),
    "action": _l("Action"),
    "entity_type": _l("Entity type"),
    "entity_id": _l("Entity id"),
    "old_values": _l("Before"),
    "new_values": _l("After"),
    "description": _l("Description"),
    "ip": _l("IP address"),
    "user_agent": _l("User agent"),
    "request_id": _l("Request id"),
}


def current_user_id() -> int | None:
    """The signed-in user's id, for base filters."""
    user = g.get("user")
    return getattr(user, "id", None)


class AuditLogModelView(BaseModelView):
    """The append-only audit log: search, filter, history; no add, edit or delete.

    Admins read every row; instructors the rows of their courses and what is inside them (PRD 5).
    Recorded page views ("viewed") have their own screen (`AuditViewsView`) and stay off this one,
    so that it stays readable; an entity's history counts them and links to that screen.
    """

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    include_route_methods = {"list", "show", "export_csv", "history"}
    list_title = _l("Audit Log")
    show_title = _l("Audit entry")
    label_columns = LABELS
    list_columns = ["created_at", "actor_label", "action", "entity_type", "entity_id", "ip"]
    # Not the `actor` relation: its filter would load every user into a dropdown.
    search_columns = [
        "actor_label",
        "action",
        "entity_type",
        "entity_id",
        "created_at",
        "ip",
        "request_id",
    ]
    show_columns = [
        "created_at",
        "actor_label",
        "action",
        "entity_type",
        "entity_id",
        "description",
        "old_values",
        "new_values",
        "ip",
        "user_agent",
        "request_id",
    ]
    formatters_columns = {
        "created_at": format_user_datetime,
        "actor_label": readable.format_actor_label,
        "entity_type": entity_label,
        "old_values": format_json,
        "new_values": format_json,
    }
    base_order = ("created_at", "desc")
    order_columns = ["created_at", "actor_label", "entity_type", "entity_id"]
    base_filters = [["id", FilterAuditScope, None], ["action_id", FilterViewed, False]]

    def show_summary(self, item: AuditLog) -> Markup:
        """The entry as a sentence: who did what to which row, and what changed."""
        return readable.sentence(item)

    @expose("/history/<entity_type>/<int:entity_id>")
    @has_access
    def history(self, entity_type: str, entity_id: int) -> Any:
        """Every change of one entity with a field-by-field before/after diff.

        The recorded page views are not listed here (one per member and window: a popular course has
        thousands); their number links to the "Page views" screen filtered to this entity.
        """
        scope = audit_scope(g.get("user"))
        entries = services.history(entity_type, entity_id, scope)
        views = services.view_total(entity_type, entity_id, scope)
        if not entries and not views:
            abort(404)
        views_url = None
        if views and self.appbuilder.sm.has_access("can_read", AuditViewsView.class_permission_name):
            query = urlencode({"_flt_0_entity_type": entity_type, "_flt_0_entity_id": entity_id})
            views_url = f"{url_for('AuditViewsView.list')}?{query}"
        return self.render_template(
            "lms/audit/history.html",
            entity=readable.entity_title(entity_type, entity_id),
            page_views=views,
            views_url=views_url,
            entries=[
                (entry, readable.sentence(entry, with_changes=False), readable.readable_changes(entry))
                for entry in entries
            ],
            format_datetime=format_user_datetime,
        )


class MyActivityView(AuditLogModelView):
    """Each user's own audit trail."""

    class_permission_name = "MyActivity"
    route_base = "/admin/my-activity"
    list_title = _l("My Activity")
    base_filters = [["actor_id", FilterEqualFunction, current_user_id], ["action_id", FilterViewed, False]]
    search_columns = ["action", "entity_type", "created_at"]

    # An entity's full history belongs to the admin log, not to "my activity".
    include_route_methods = {"list", "show", "export_csv"}


class AuditViewsView(AuditLogModelView):
    """The recorded page views ("viewed" audit rows: who opened which course, lesson, profile...),
    kept apart from the main audit log and an entity's history (which links here, filtered to the
    entity); the same readers and scope as the log."""

    class_permission_name = "AuditViews"
    route_base = "/admin/audit-views"
    list_title = _l("Page views")
    show_title = _l("Page view")
    list_columns = ["created_at", "actor_label", "entity_type", "entity_id", "ip"]
    search_columns = ["actor_label", "entity_type", "entity_id", "created_at", "ip"]
    base_filters = [["id", FilterAuditScope, None], ["action_id", FilterViewed, True]]
    include_route_methods = {"list", "show", "export_csv"}
