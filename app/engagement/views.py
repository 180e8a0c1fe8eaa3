"""Back office for comments: admins see all; instructors see comments on what they moderate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.core.errors import AppError
from app.core.html import sanitize_html
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.core.transactions import transaction
from app.core.views import BaseModelView
from app.engagement import services
from app.engagement.models import Comment


class FilterModeratedComments(BaseFilter):
    """Only comments on targets the current user moderates (every comment for admins)."""

    name = "Comments I moderate"
    arg_name = "moderated"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query with the moderation scopes of the target types."""
        return query.filter(services.moderated_clause(g.get("user")))


class FilterCommentAuthors(BaseFilter):
    """Users in the author filter: admins every one; others the authors of comments they moderate."""

    name = "Authors of comments I moderate"
    arg_name = "comment_authors"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the user query to authors of moderated comments unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        authors = select(Comment.author_id).where(services.moderated_clause(user))
        return query.filter(self.model.id.in_(authors))


def format_body(value: Any) -> Markup:
    """A comment as rich text (sanitized when written, and again here)."""
    html = Markup(sanitize_html(value))  # noqa: S704 - nh3 output: only allowed tags and schemes
    return Markup('<div class="lms-rich-text">{}</div>').format(html)


class CommentModelView(BaseModelView):
    """Moderation of comments: filter flagged or hidden ones, hide, show again or delete in bulk."""

    datamodel = SQLAInterface(Comment)
    class_permission_name = "CommentAdmin"
    include_route_methods = {"list", "show", "export_csv", "action", "action_post"}
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "hide_comments": "write",
        "unhide_comments": "write",
        "delete_comments": "write",
    }
    base_filters = [["id", FilterModeratedComments, None]]
    search_form_query_rel_fields = {"author": [["id", FilterCommentAuthors, None]]}
    list_title = _l("Comments")
    show_title = _l("Comment")
    label_columns = {
        "excerpt": _l("Comment"),
        "body": _l("Comment"),
        "target": _l("On"),
        "target_type": _l("Target type"),
        "target_id": _l("Target id"),
        "parent": _l("Reply to"),
        "author": _l("Author"),
        "is_instructor_response": _l("Instructor response"),
        "is_hidden": _l("Hidden"),
        "hidden_by": _l("Hidden by"),
        "hidden_at": _l("Hidden at"),
        "hidden_reason": _l("Reason for hiding"),
        "flag_count": _l("Flags"),
        "reply_count": _l("Replies"),
        "edited_at": _l("Edited"),
        "created_at": _l("Written"),
    }
    list_columns = [
        "excerpt",
        "author",
        "target",
        "is_instructor_response",
        "is_hidden",
        "flag_count",
        "reply_count",
        "created_at",
    ]
    show_columns = [
        "body",
        "author",
        "target_type",
        "target_id",
        "parent",
        "is_instructor_response",
        "is_hidden",
        "hidden_by",
        "hidden_at",
        "hidden_reason",
        "flag_count",
        "reply_count",
        "edited_at",
        "created_at",
    ]
    search_columns = [
        "target_type",
        "target_id",
        "author",
        "is_hidden",
        "flag_count",
        "is_instructor_response",
        "created_at",
    ]
    order_columns = ["flag_count", "reply_count", "created_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {"body": format_body}

    def _run(self, items: Any, func: Callable[[Comment], Any], done: Callable[[int], str]) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        for comment in items:
            try:
                with transaction():  # each comment on its own: one refused leaves the others done
                    func(comment)
                count += 1
            except AppError as exc:
                flash(f"#{comment.id}: {exc.message}", "warning")
        flash(done(count), "success")
        return redirect(self.get_redirect())

    @fab_action("hide_comments", _l("Hide"), _l("Hide the selected comments?"), "fa-eye-slash")
    def hide_comments(self, items: Any) -> Any:
        """Hide the selected comments from everyone but moderators and their authors."""
        return self._run(
            items,
            lambda c: services.hide_comment(g.user, c),
            lambda n: gettext("%(count)d comment(s) hidden.", count=n),
        )

    @fab_action("unhide_comments", _l("Show again"), _l("Show the selected comments again?"), "fa-eye")
    def unhide_comments(self, items: Any) -> Any:
        """Show hidden comments again."""
        return self._run(
            items,
            lambda c: services.unhide_comment(g.user, c),
            lambda n: gettext("%(count)d comment(s) shown again.", count=n),
        )

    @fab_action(
        "delete_comments",
        _l("Delete"),
        _l("Delete the selected comments and their replies? Admins can restore them from the Trash."),
        "fa-trash",
    )
    def delete_comments(self, items: Any) -> Any:
        """Delete the selected comments (soft delete; counters follow)."""
        return self._run(
            items,
            lambda c: services.delete_comment(g.user, c),
            lambda n: gettext("%(count)d comment(s) deleted.", count=n),
        )
