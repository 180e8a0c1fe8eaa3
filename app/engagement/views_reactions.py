"""Back office for reactions, read-only: admins see all; instructors see those on what they moderate."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app.core.interface import SQLAInterface
from app.core.views import BaseModelView
from app.engagement import services
from app.engagement.models import Reaction


class FilterModeratedReactions(BaseFilter):
    """Only reactions on targets the current user moderates (every reaction for admins)."""

    name = "Reactions I moderate"
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query with the moderation scopes of the target types."""
        return query.filter(services.moderated_reactions(g.get("user")))


class ReactionModelView(BaseModelView):
    """Who reacted how to what: a read-only list for moderators (reactions are changed by their users)."""

    datamodel = SQLAInterface(Reaction)
    class_permission_name = "ReactionAdmin"
    include_route_methods = {"list", "show", "export_csv"}
    base_filters = [["id", FilterModeratedReactions, None]]
    list_title = _l("Reactions")
    show_title = _l("Reaction")
    label_columns = {
        "user": _l("User"),
        "type": _l("Reaction"),
        "target": _l("On"),
        "target_type": _l("Target type"),
        "target_id": _l("Target id"),
        "created_at": _l("Reacted"),
        "updated_at": _l("Changed"),
    }
    list_columns = ["user", "type", "target", "updated_at"]
    show_columns = ["user", "type", "target_type", "target_id", "created_at", "updated_at"]
    search_columns = ["target_type", "target_id", "type", "created_at"]
    order_columns = ["updated_at"]
    base_order = ("updated_at", "desc")
