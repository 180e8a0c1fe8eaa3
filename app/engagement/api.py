"""REST API for comments: /api/v1/comment (threads per target, write, flag, moderate)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.core.api import BaseModelRestApi
from app.core.errors import AppError, Invalid, NotFound
from app.core.filters import FilterOwnUnlessAdmin
from app.core.interface import SQLAInterface
from app.core.transactions import transaction
from app.engagement import services
from app.engagement.models import Comment

MAX_SIZE = services.MAX_PAGE_SIZE
COLUMNS = [
    "id",
    "uuid",
    "target_type",
    "target_id",
    "parent_id",
    "root_id",
    "depth",
    "author_id",
    "body",
    "is_instructor_response",
    "is_hidden",
    "reply_count",
    "edited_at",
    "created_at",
]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dump_comment(comment: Comment, user: Any, moderator: bool) -> dict[str, Any]:
    """One comment as JSON for a reader; moderation details only for moderators."""
    author = comment.author
    mine = comment.author_id == getattr(user, "id", None)
    data: dict[str, Any] = {
        "id": comment.id,
        "uuid": str(comment.uuid),
        "target_type": comment.target_type,
        "target_id": comment.target_id,
        "parent_id": comment.parent_id,
        "root_id": comment.root_id,
        "depth": comment.depth,
        "author": {
            "id": comment.author_id,
            "username": author.username if author else None,
            "name": author.get_full_name() if author else None,
        },
        "body": comment.body,
        "is_instructor_response": comment.is_instructor_response,
        "is_hidden": comment.is_hidden,
        "reply_count": comment.reply_count,
        "edited_at": _iso(comment.edited_at),
        "created_at": _iso(comment.created_at),
        "can_edit": mine,
        "can_delete": mine or moderator,
    }
    if moderator:
        data.update(
            flag_count=comment.flag_count,
            hidden_reason=comment.hidden_reason,
            hidden_at=_iso(comment.hidden_at),
        )
    return data


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(_("Send a JSON object."), {"body": [_("Required.")]})
    return data


def _int(value: Any, name: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        raise Invalid(_("%(name)s must be a number.", name=name), {name: [_("Must be a number.")]})
    return int(value)


def _pk(pk: Any) -> int:
    text = str(pk)
    if not (text.isascii() and text.isdigit()):
        raise NotFound(_("No such comment."))
    return int(text)


class CommentApi(BaseModelRestApi):
    """Comments on any registered target. The plain list holds the caller's own comments (admins:
    all); a target's threads come from `GET /for/<target_type>/<target_id>`."""

    datamodel = SQLAInterface(Comment)
    class_permission_name = "Comment"
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "post",
        "put",
        "delete",
        "for_target",
        "flag",
        "hide",
        "unhide",
    }
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "for_target": "read",
        "flag": "flag",
        "hide": "moderate",
        "unhide": "moderate",
    }
    base_filters = [["author_id", FilterOwnUnlessAdmin, None]]
    list_columns = show_columns = COLUMNS
    add_columns = ["target_type", "target_id", "parent_id", "body"]
    edit_columns = ["body"]
    search_columns = ["target_type", "target_id", "is_hidden", "parent_id"]
    order_columns = ["created_at", "reply_count"]
    base_order = ("created_at", "desc")

    def _error(self, exc: AppError) -> Response:
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def _dump(self, comment: Comment) -> dict[str, Any]:
        return dump_comment(comment, g.user, services.can_moderate_comment(g.user, comment))

    # ---- create / edit / delete through the services -------------------------------------
    def post_headless(self) -> Response:
        """Comment (or reply) on a target: {target_type, target_id, body, parent_id?}. A reply to a
        comment at the deepest level is attached to that comment's parent (see `depth`)."""
        try:
            data = _body()
            target_type = data.get("target_type")
            if not isinstance(target_type, str) or not target_type:
                raise Invalid(_("target_type is required."), {"target_type": [_("Required.")]})
            with transaction():  # committed before its notifications are delivered (queued on commit)
                comment = services.add_comment(
                    g.user,
                    target_type,
                    _int(data.get("target_id"), "target_id"),  # type: ignore[arg-type]
                    data.get("body"),  # type: ignore[arg-type]
                    _int(data.get("parent_id"), "parent_id", required=False),
                )
        except AppError as exc:
            return self._error(exc)
        return self.response(201, id=comment.id, result=self._dump(comment))

    def put_headless(self, pk: Any) -> Response:
        """The author edits the text: {body}."""
        try:
            comment = services.get_comment(g.user, _pk(pk))
            data = _body()
            with transaction():  # committed before the new mentions are delivered
                services.edit_comment(g.user, comment, data.get("body"))  # type: ignore[arg-type]
        except AppError as exc:
            return self._error(exc)
        return self.response(200, id=comment.id, result=self._dump(comment))

    def delete_headless(self, pk: Any) -> Response:
        """The author or a moderator deletes a comment with its replies."""
        try:
            services.delete_comment(g.user, services.get_comment(g.user, _pk(pk)))
        except AppError as exc:
            return self._error(exc)
        return self.response(200, message=_("Comment deleted."))

    # ---- threads of a target ------------------------------------------------------------------
    @expose("/for/<string:target_type>/<int:target_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("for_target")
    def for_target(self, target_type: str, target_id: int) -> Response:
        """A target's threads, newest first, each comment with its `replies` nested (oldest first, down
        to `max_depth` levels), and the visible-comment count.
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
            name: page
            schema: {type: integer}
          - in: query
            name: page_size
            schema: {type: integer}
          responses:
            200:
              description: Threads
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        try:
            page = max(_int(request.args.get("page", "1"), "page") or 1, 1)
            page_size = min(max(_int(request.args.get("page_size", "20"), "page_size") or 1, 1), MAX_SIZE)
            threads = services.list_comments(
                g.user,
                target_type,
                target_id,
                page=page,
                page_size=page_size,
            )
            moderator = services.can_moderate_target(g.user, target_type, target_id)
        except AppError as exc:
            return self._error(exc)

        def nested(thread: services.Thread, comment: Comment) -> dict[str, Any]:
            return {
                **dump_comment(comment, g.user, moderator),
                "replies": [nested(thread, reply) for reply in thread.replies_to(comment)],
            }

        result = [nested(thread, thread.comment) for thread in threads]
        return self.response(
            200,
            target_type=target_type,
            target_id=target_id,
            count=services.comment_count(target_type, target_id),
            page=page,
            page_size=page_size,
            can_moderate=moderator,
            max_depth=services.max_depth(),
            result=result,
        )

    # ---- actions --------------------------------------------------------------------------------
    @expose("/<int:pk>/flag", methods=["POST"])
    @protect()
    @safe
    @permission_name("flag")
    def flag(self, pk: int) -> Response:
        """Report a comment to its moderators: {reason?}; once per user.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: Flagged
            404:
              $ref: '#/components/responses/404'
            409:
              description: Already flagged
        """
        try:
            data = request.get_json(silent=True) or {}
            comment = services.get_comment(g.user, pk)
            services.flag_comment(g.user, comment, data.get("reason") if isinstance(data, dict) else None)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, message=_("Thank you. The moderators will review this comment."))

    @expose("/<int:pk>/hide", methods=["POST"])
    @protect()
    @safe
    @permission_name("hide")
    def hide(self, pk: int) -> Response:
        """Hide a comment from everyone but moderators and its author: {reason?}.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: Hidden
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        try:
            data = request.get_json(silent=True) or {}
            comment = services.get_comment(g.user, pk)
            services.hide_comment(g.user, comment, data.get("reason") if isinstance(data, dict) else None)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, result=self._dump(comment))

    @expose("/<int:pk>/unhide", methods=["POST"])
    @protect()
    @safe
    @permission_name("unhide")
    def unhide(self, pk: int) -> Response:
        """Show a hidden comment again.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: Shown again
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        try:
            comment = services.get_comment(g.user, pk)
            services.unhide_comment(g.user, comment)
        except AppError as exc:
            return self._error(exc)
        return self.response(200, result=self._dump(comment))
