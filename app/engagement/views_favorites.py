"""Back office for favorites (read-only): admins see all; instructors those on what they moderate."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_

from app.core.interface import SQLAInterface
from app.core.targets import is_admin, signed_in_user_id
from app.core.views import BaseModelView
from app.engagement import services
from app.engagement.models import Favorite


class FilterModeratedFavorites(BaseFilter):
    """Only favorites of targets the current user moderates (every favorite for admins)."""

    name = "Favorites of what I moderate"
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query with the moderation scopes of the target types."""
        user = g.get("user")
        if is_admin(user):
            return query
        user_id = signed_in_user_id(user)
        scopes = services.moderation_scopes()
        if user_id is None or not scopes:
            return query.filter(Favorite.id.is_(None))
        return query.filter(
            or_(
                *(
                    and_(Favorite.target_type == code, Favorite.target_id.in_(scope(user_id)))
                    for code, scope in scopes.items()
                )
            )
        )


class FavoriteModelView(BaseModelView):
    """Who favorited what, for moderators; nothing is changed here."""

    datamodel = SQLAInterface(Favorite)
    class_permission_name = "FavoriteAdmin"
    include_route_methods = {"list", "show", "export_csv"}
    base_filters = [["id", FilterModeratedFavorites, None]]
    list_title = _l("Favorites")
    show_title = _l("Favorite")
    label_columns = {
        "user": _l("User"),
        "target": _l("Favorite of"),
        "target_type": _l("Target type"),
        "target_id": _l("Target id"),
        "created_at": _l("Added"),
    }
    list_columns = ["user", "target", "created_at"]
    show_columns = ["user", "target_type", "target_id", "created_at"]
    search_columns = ["target_type", "target_id", "created_at"]
    order_columns = ["created_at"]
    base_order = ("created_at", "desc")
