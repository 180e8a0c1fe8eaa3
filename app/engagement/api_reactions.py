"""REST API for reactions: /api/v1/reaction (own reactions, react, remove, a target's counts and who)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect

from app.core.api import ServiceApi, iso, json_object, query_number
from app.core.interface import SQLAInterface
from app.core.targets import signed_in_user_id
from app.engagement import services
from app.engagement.models import Reaction


class FilterOwnReactions(BaseFilter):
    """Everyone, admins too, lists only their own reactions here (moderators use the back office)."""

    name = "Own reactions"
    arg_name = "own"

    def apply(self, query: Any, value: Any) -> Any:
        """The user's rows."""
        return query.filter(self.model.user_id == (signed_in_user_id(g.get("user")) or 0))


def dump_reaction(reaction: Reaction) -> dict[str, Any]:
    """One reaction as JSON."""
    return {
        "id": reaction.id,
        "uuid": str(reaction.uuid),
        "target_type": reaction.target_type,
        "target_id": reaction.target_id,
        "type": reaction.type.code,
        "created_at": iso(reaction.created_at),
        "updated_at": iso(reaction.updated_at),
    }


def dump_summary(summary: services.Summary) -> dict[str, Any]:
    """A target's counts per type (every active type, 0 included), its total and the reader's own."""
    return {
        "counts": {t.code: summary.counts.get(t.code, 0) for t in services.reaction_types()},
        "total": summary.total,
        "mine": summary.mine,
    }


class ReactionApi(ServiceApi):
    """One reaction per user and target: react (or change) with POST, remove with DELETE on the
    target; a target's counts and who reacted with GET on the target. The plain list holds the
    caller's own reactions on what they can still see."""

    resource_name = "reaction"
    datamodel = SQLAInterface(Reaction)
    class_permission_name = "Reaction"
    include_route_methods = {"get_list", "post", "for_target", "remove"}
    method_permission_name = {"get_list": "read", "for_target": "read", "post": "write", "remove": "write"}
    base_filters = [["id", FilterOwnReactions, None]]
    list_columns = show_columns = ["id", "uuid", "target_type", "target_id", "type.code", "created_at"]
    search_columns: list[str] = []  # the list is the caller's own page, filtered by the services

    def get_list_headless(self, **kwargs: Any) -> Response:
        """The caller's reactions, newest first (`?page=&page_size=`)."""

        def body() -> Response:
            page, size = query_number("page", 1), query_number("page_size", 20)
            rows = services.my_reactions(g.user, page, size)
            return self.response(200, page=page, result=[dump_reaction(r) for r in rows])

        return self.run(body)

    def post_headless(self) -> Response:
        """React to a target, or change the reaction: {target_type, target_id, type}; 201 when new."""

        def body() -> Response:
            data = json_object()
            target_id = data.get("target_id")
            if isinstance(target_id, str) and target_id.isascii() and target_id.isdigit():
                target_id = int(target_id)
            reaction, new = services.react(g.user, data.get("target_type"), target_id, data.get("type"))
            return self.response(201 if new else 200, id=reaction.id, result=dump_reaction(reaction))

        return self.run(body)

    @expose("/for/<string:target_type>/<int:target_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("for_target")
    def for_target(self, target_type: str, target_id: int) -> Response:
        """A target's reaction counts, the caller's own and who reacted (`?type=&page=&page_size=`).
        ---
        get:
          parameters:
          - in: path
            name: target_type
            schema: {type: string}
          - in: path
            name: target_id
            schema: {type: integer}
          - in: query
            name: type
            schema: {type: string}
          - in: query
            name: page
            schema: {type: integer}
          responses:
            200:
              description: Counts and who reacted
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """

        def body() -> Response:
            summary = services.summary_for(g.user, target_type, target_id)
            page, size = query_number("page", 1), query_number("page_size", 20)
            people = services.who_reacted(
                g.user, target_type, target_id, request.args.get("type") or None, page, size
            )
            return self.response(
                200,
                target_type=target_type,
                target_id=target_id,
                **dump_summary(summary),
                page=page,
                result=[
                    {"user": {"id": u.id, "username": u.username, "name": u.get_full_name()}, "type": code}
                    for u, code in people
                ],
            )

        return self.run(body)

    @expose("/for/<string:target_type>/<int:target_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("remove")
    def remove(self, target_type: str, target_id: int) -> Response:
        """Remove the caller's reaction from a target (200 also when there was none).
        ---
        delete:
          parameters:
          - in: path
            name: target_type
            schema: {type: string}
          - in: path
            name: target_id
            schema: {type: integer}
          responses:
            200:
              description: Removed
            404:
              $ref: '#/components/responses/404'
        """

        def body() -> Response:
            removed = services.unreact(g.user, target_type, target_id)
            summary = services.reaction_summary(target_type, [target_id], g.user)[target_id]
            return self.response(200, removed=removed, **dump_summary(summary))

        return self.run(body)
