"""REST API: /api/v1/notification (own rows), the worded inbox, read, delete, preferences."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect

from app.core.api import READ_ONLY_ROUTES, ServiceApi, iso, json_object
from app.core.interface import SQLAInterface
from app.core.targets import signed_in_user_id
from app.notifications import services
from app.notifications.models import Notification


class FilterOwnNotifications(BaseFilter):
    """Everyone, admins too, reads only their own notifications."""

    name = "Own notifications"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """Rows addressed to the user and shown in the app."""
        return query.filter(
            self.model.recipient_id == (signed_in_user_id(g.get("user")) or 0), self.model.in_app.is_(True)
        )


def _item(item: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in item.items() if k != "actor"}, "created_at": iso(item["created_at"])}


class NotificationApi(ServiceApi):
    """A user's notifications; actions mark them read and delete them."""

    resource_name = "notification"
    datamodel = SQLAInterface(Notification)
    class_permission_name = "Notification"
    include_route_methods = READ_ONLY_ROUTES | {
        "delete",
        "inbox",
        "unread_count",
        "read",
        "read_all",
        "preferences",
        "save_preferences",
    }
    method_permission_name = {
        "get": "read",
        "get_list": "read",
        "info": "read",
        "inbox": "read",
        "unread_count": "read",
        "preferences": "read",
        "delete": "write",
        "read": "write",
        "read_all": "write",
        "save_preferences": "write",
    }
    base_filters = [["id", FilterOwnNotifications, None]]
    list_columns = show_columns = [
        "id",
        "uuid",
        "type.code",
        "actor_id",
        "target_type",
        "target_id",
        "params",
        "read_at",
        "created_at",
    ]
    search_columns = ["type", "target_type", "read_at", "created_at"]
    order_columns = ["created_at", "read_at"]
    base_order = ("created_at", "desc")

    @expose("/inbox", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def inbox(self) -> Response:
        """The worded notifications, newest first: `?unread=1&type=<code>&page=<n>`."""
        page = request.args.get("page", "1")
        items, total = services.list_notifications(
            g.user,
            unread_only=request.args.get("unread") == "1",
            type_code=request.args.get("type") or None,
            page=int(page) if page.isdigit() else 1,
        )
        return self.response(
            200, count=total, unread=services.unread_count(g.user.id), result=[_item(i) for i in items]
        )

    @expose("/unread_count", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def unread_count(self) -> Response:
        """The bell's number."""
        return self.response(200, unread=services.unread_count(g.user.id))

    @expose("/<pk>/read", methods=["POST"])
    @protect()
    @safe
    @permission_name("write")
    def read(self, pk: str) -> Response:
        """Mark one read."""

        def act() -> Response:
            services.mark_read(g.user, self.scoped(pk).id)
            return self.response(200, unread=services.unread_count(g.user.id))

        return self.run(act)

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    @permission_name("write")
    def read_all(self) -> Response:
        """Mark every one read."""

        def act() -> Response:
            marked = services.mark_all_read(g.user)
            return self.response(200, marked=marked, unread=0)

        return self.run(act)

    @expose("/preferences", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def preferences(self) -> Response:
        """`{type: {in_app, email, push, digest}}` for the caller."""
        return self.response(200, result=services.user_preferences(g.user.id))

    @expose("/preferences", methods=["PUT"])
    @protect()
    @safe
    @permission_name("write")
    def save_preferences(self) -> Response:
        """Change some types: `{"grade": {"email": false, ...}}` (channels left out are off)."""
        body = json_object()
        return self.run(lambda: self.response(200, result=services.save_preferences(g.user.id, body)))
