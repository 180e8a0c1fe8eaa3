"""Comment rules: who may read, write, moderate and flag, and the per-target counters.

Every rule about the target itself (may this user see it, who moderates it) comes from the target
registry (`app.core.targets`), so comments work on any registered code. Counters: `comment_count`
holds, per target, the number of comments other users can see (neither deleted nor hidden, and not
under a hidden comment); `Comment.reply_count` holds a comment's direct replies that are neither
deleted nor hidden. Both move in the same transaction as the change.

Threads: replies to replies nest down to `COMMENT_MAX_DEPTH` levels (3 by default: a top-level
comment is at depth 1, a reply at depth 2, a reply to that reply at depth 3). Answering a comment at
the deepest level adds a sibling (the reply joins the answered comment's parent chain, cut at the
deepest level that can still take replies), and the answered comment's author is still the one told.
Every change to a thread locks its top-level comment's row, so changes of one thread queue up and
the counters stay exact; a thread is read in one statement (`root_id`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from app.core import targets
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.html import plain_text, sanitize_html
from app.core.models import utcnow
from app.core.softdelete import soft_delete
from app.engagement import notices
from app.engagement.models import Comment, CommentFlag
from app.engagement.services import mentions
from app.engagement.services.comment_counts import (
    bump_comment_count,
    bump_replies,
    lock_thread,
)
from app.extensions import db
from app.security.services import require_verified_email

MAX_COMMENT_LENGTH = 10_000
MAX_REASON_LENGTH = 1_000
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
# Comments are themselves a target (reactions, reports, attached images), but not of comments.
COMMENT_TARGET = "comment"

# code -> function(user_id) returning a SELECT of the target ids that user moderates, for SQL row
# filters (the back-office list). Targets without one are moderated by admins only in lists.
ModerationScope = Callable[[int], Select[Any]]
_MODERATION_SCOPES: dict[str, ModerationScope] = {}


DEFAULT_MAX_DEPTH = 3


def max_depth() -> int:
    """How deep replies nest (the `COMMENT_MAX_DEPTH` setting; at least 2: a comment and replies)."""
    value = current_app.config.get("COMMENT_MAX_DEPTH", DEFAULT_MAX_DEPTH) if has_app_context() else None
    try:
        return max(int(value if value is not None else DEFAULT_MAX_DEPTH), 2)
    except (TypeError, ValueError):
        return DEFAULT_MAX_DEPTH


@dataclass
class Thread:
    """A top-level comment and the replies the reader may see: `replies` in reading order (each
    reply right after the one it answers, siblings oldest first), `children` by parent id."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)
    children: dict[int, list[Comment]] = field(default_factory=dict)

    def replies_to(self, comment: Comment) -> list[Comment]:
        """The direct replies to one comment of the thread, oldest first."""
        return self.children.get(comment.id, [])


# ---- helpers --------------------------------------------------------------------------------
def _viewable_target(user: Any, target_type: str, target_id: int) -> Any:
    """The target, NotFound when it does not exist, Forbidden when the user may not see it."""
    if not isinstance(target_type, str) or not isinstance(target_id, int) or isinstance(target_id, bool):
        raise NotFound(_("Not found."))
    target = targets.load_target(target_type, target_id)
    if not targets.can_view(user, target_type, target):
        raise Forbidden(_("You do not have access to this content."))
    return target


def _clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise Invalid(_("A comment cannot be empty."), {"body": [_("Required.")]})
    too_long = Invalid(
        _("A comment is limited to %(n)d characters.", n=MAX_COMMENT_LENGTH),
        {"body": [_("Too long.")]},
    )
    if len(body) > 4 * MAX_COMMENT_LENGTH:  # not worth sanitizing
        raise too_long
    clean = sanitize_html(body)
    if not plain_text(clean) and "<img" not in clean:
        raise Invalid(_("A comment cannot be empty."), {"body": [_("Required.")]})
    if len(clean) > MAX_COMMENT_LENGTH:
        raise too_long
    return clean


def _clean_reason(reason: Any) -> str:
    text = plain_text(reason if isinstance(reason, str) else "")
    if len(text) > MAX_REASON_LENGTH:
        raise Invalid(
            _("A reason is limited to %(n)d characters.", n=MAX_REASON_LENGTH), {"reason": [_("Too long.")]}
        )
    return text


# ---- reading ----------------------------------------------------------------------------------
def _readable(user: Any, moderator: bool) -> ColumnElement[bool]:
    """Hidden comments are read by moderators and by their authors only."""
    if moderator:
        return true()
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        return Comment.is_hidden.is_(False)
    return or_(Comment.is_hidden.is_(False), Comment.author_id == user_id)


def list_comments(
    user: Any, target_type: str, target_id: int, *, page: int = 1, page_size: int = 20
) -> list[Thread]:
    """One page of a target's threads, newest first, each with its replies (oldest first)."""
    target = _viewable_target(user, target_type, target_id)
    moderator = targets.can_moderate(user, target_type, target)
    readable = _readable(user, moderator)
    # Deeper pages are empty anyway; an absurd page number must not overflow OFFSET.
    page, page_size = min(max(int(page), 1), MAX_PAGE), min(max(int(page_size), 1), MAX_PAGE_SIZE)
    on_target = and_(Comment.target_type == target_type, Comment.target_id == target_id, readable)
    tops = db.session.scalars(
        select(Comment)
        .where(on_target, Comment.parent_id.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    threads = {c.id: Thread(c) for c in tops}
    if threads:  # every reply of the page's threads, whatever their depth, in one statement
        replies = db.session.scalars(
            select(Comment)
            .where(on_target, Comment.root_id.in_(list(threads)))
            .order_by(Comment.created_at, Comment.id)
        ).all()
        _nest(threads, replies, targets.signed_in_user_id(user), moderator)
    return list(threads.values())


def _nest(
    threads: dict[int, Thread], replies: Iterable[Comment], reader_id: int | None, moderator: bool
) -> None:
    """Place each reply under the comment it answers. Readers other than moderators do not see the
    replies under a hidden comment (but their own), nor those whose parent they do not see."""
    children: dict[int, list[Comment]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)  # type: ignore[arg-type]
    for thread in threads.values():

        def walk(comment: Comment, hidden: bool, thread: Thread = thread) -> None:
            for child in children.get(comment.id, []):
                under_hidden = hidden or child.is_hidden
                if under_hidden and not moderator and child.author_id != reader_id:
                    continue
                thread.children.setdefault(comment.id, []).append(child)
                thread.replies.append(child)
                walk(child, under_hidden)

        walk(thread.comment, thread.comment.is_hidden)


def can_read_comment(user: Any, comment: Comment) -> bool:
    """Readers of the target read its comments; hidden ones, only moderators and the author."""
    if comment.is_deleted:
        return False
    try:
        target = targets.load_target(comment.target_type, comment.target_id)
    except NotFound:
        return False
    if not targets.can_view(user, comment.target_type, target):
        return False
    hidden = comment.is_hidden  # a hidden comment hides its replies, at any depth
    node = comment
    while node.parent_id is not None and not hidden:
        parent = db.session.get(Comment, node.parent_id)
        if parent is None or parent.is_deleted:
            return False
        hidden, node = parent.is_hidden, parent
    return (
        not hidden
        or comment.author_id == targets.signed_in_user_id(user)
        or targets.can_moderate(user, comment.target_type, target)
    )


def get_comment(user: Any, comment_id: int) -> Comment:
    """A comment the user may read, or NotFound (also when its target is out of their reach)."""
    comment = db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None
    if comment is None or not can_read_comment(user, comment):
        raise NotFound(_("No such comment."))
    return comment


def can_moderate_target(user: Any, target_type: str, target_id: int) -> bool:
    """True when the user moderates what others write on the target (False if it is gone)."""
    try:
        target = targets.load_target(target_type, target_id)
    except NotFound:
        return targets.is_admin(user)
    return targets.can_moderate(user, target_type, target)


def can_moderate_comment(user: Any, comment: Comment) -> bool:
    """Admins, and whoever the target's own rule names (a course's instructors)."""
    if targets.is_admin(user):
        return True
    if targets.signed_in_user_id(user) is None:
        return False
    try:
        target = targets.load_target(comment.target_type, comment.target_id)
    except NotFound:
        return False
    return targets.can_moderate(user, comment.target_type, target)


def can_edit_comment(user: Any, comment: Comment) -> bool:
    """Only the author edits a comment."""
    return comment.author_id is not None and comment.author_id == targets.signed_in_user_id(user)


def can_delete_comment(user: Any, comment: Comment) -> bool:
    """The author, or a moderator of the target."""
    return can_edit_comment(user, comment) or can_moderate_comment(user, comment)


# ---- writing ----------------------------------------------------------------------------------
def add_comment(
    user: Any, target_type: str, target_id: int, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on (or reply on) something the user can see; a moderator's comment is marked as
    an instructor response. A reply to a comment at the deepest level (`max_depth`) joins that
    comment's parent chain at the deepest level that takes replies; the author of the comment
    answered is told either way, and the users mentioned (`@username`) are told too."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to comment."))
    require_verified_email(user)
    if target_type == COMMENT_TARGET:
        raise Invalid(_("Reply to a comment with parent_id."), {"target_type": [_("Not allowed.")]})
    target = _viewable_target(user, target_type, target_id)
    clean = _clean_body(body)
    answered: Comment | None = None  # the comment the user replied to
    attach_to: Comment | None = None  # where the reply goes (the answered one, or its parent chain)
    if parent_id is not None:
        answered = (
            db.session.get(Comment, parent_id)
            if isinstance(parent_id, int) and not isinstance(parent_id, bool)
            else None
        )
        if (
            answered is None
            or answered.is_deleted
            or (answered.target_type, answered.target_id) != (target_type, target_id)
        ):
            raise Invalid(
                _("You can only reply to a comment on the same page."), {"parent_id": [_("Not found.")]}
            )
        tree = lock_thread(answered)
        live = tree.by_id.get(answered.id)
        chain = tree.chain(live) if live is not None else None
        if chain is None or any(c.is_hidden for c in chain):
            raise Invalid(_("This comment cannot be replied to."), {"parent_id": [_("Hidden.")]})
        deepest = max_depth()
        attach_to = next(c for c in chain if c.depth < deepest)  # the chain ends at depth 1
    comment = Comment(
        target_type=target_type,
        target_id=target_id,
        parent_id=attach_to.id if attach_to is not None else None,
        root_id=(attach_to.root_id or attach_to.id) if attach_to is not None else None,
        depth=attach_to.depth + 1 if attach_to is not None else 1,
        author_id=user_id,
        body=clean,
        is_instructor_response=targets.can_moderate(user, target_type, target),
    )
    db.session.add(comment)
    if attach_to is not None:
        bump_replies(attach_to.id, 1)
    bump_comment_count(target_type, target_id, 1)
    db.session.flush()
    notices.commented(comment, target, user, answered)
    replied_to = {answered.author_id} if answered is not None and answered.author_id else set()
    mentions.tell_mentioned(comment, user, mentions.mentioned_names(clean), skip=replied_to)
    return comment


def edit_comment(user: Any, comment: Comment, body: str) -> Comment:
    """The author changes the text; the comment is marked as edited."""
    if not can_edit_comment(user, comment):
        raise Forbidden(_("Only the author can change a comment."))
    clean = _clean_body(body)
    if clean != comment.body:
        before = mentions.mentioned_names(comment.body)
        comment.body = clean
        comment.edited_at = utcnow()
        db.session.flush()
        new = [name for name in mentions.mentioned_names(clean) if name not in before]
        mentions.tell_mentioned(comment, user, new, skip=set())  # only the newly mentioned
    db.session.flush()
    return comment


def delete_comment(user: Any, comment: Comment) -> None:
    """The author or a moderator deletes a comment (soft delete) with its replies."""
    if not can_delete_comment(user, comment):
        raise Forbidden(_("Only the author or a moderator can delete a comment."))
    if comment.is_deleted:  # already gone, with its thread
        return
    tree = lock_thread(comment)
    live = tree.by_id.get(comment.id)
    if live is None:  # a concurrent delete won the lock: the counters are already right
        return
    weight = tree.visible_size(live) if tree.shown(live) else 0
    parent = tree.by_id.get(live.parent_id) if live.parent_id is not None else None
    if parent is not None and not live.is_hidden:
        bump_replies(parent.id, -1)
    for reply in tree.subtree(live):
        soft_delete(reply)
    soft_delete(live)
    bump_comment_count(live.target_type, live.target_id, -weight)
    db.session.flush()


def hide_comment(user: Any, comment: Comment, reason: str | None = None) -> Comment:
    """A moderator hides a comment (and with it, its thread) from everyone but moderators and
    its author."""
    if not can_moderate_comment(user, comment):
        raise Forbidden(_("Only moderators can hide comments."))
    if comment.is_deleted:
        raise NotFound(_("No such comment."))
    clean_reason = _clean_reason(reason)
    tree = lock_thread(comment)
    if tree.by_id.get(comment.id) is None:
        raise NotFound(_("No such comment."))
    if comment.is_hidden:
        raise Conflict(_("This comment is already hidden."))
    weight = tree.visible_size(comment) if tree.shown(comment) else 0
    comment.is_hidden = True
    comment.hidden_by_id = targets.signed_in_user_id(user)
    comment.hidden_at = utcnow()
    comment.hidden_reason = clean_reason or None
    if comment.parent_id is not None and comment.parent_id in tree.by_id:
        bump_replies(comment.parent_id, -1)
    bump_comment_count(comment.target_type, comment.target_id, -weight)
    db.session.flush()
    return comment


def unhide_comment(user: Any, comment: Comment) -> Comment:
    """A moderator shows a hidden comment again."""
    if not can_moderate_comment(user, comment):
        raise Forbidden(_("Only moderators can show hidden comments."))
    if comment.is_deleted:
        raise NotFound(_("No such comment."))
    tree = lock_thread(comment)
    if tree.by_id.get(comment.id) is None:
        raise NotFound(_("No such comment."))
    if not comment.is_hidden:
        raise Conflict(_("This comment is not hidden."))
    comment.is_hidden = False
    comment.hidden_by_id = comment.hidden_at = comment.hidden_reason = None
    if comment.parent_id is not None and comment.parent_id in tree.by_id:
        bump_replies(comment.parent_id, 1)
    bump_comment_count(
        comment.target_type, comment.target_id, tree.visible_size(comment) if tree.shown(comment) else 0
    )
    db.session.flush()
    return comment


def flag_comment(user: Any, comment: Comment, reason: str | None = None) -> Comment:
    """Report a comment to its moderators: once per user, never one's own."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to flag comments."))
    if comment.author_id == user_id:
        raise Invalid(_("You cannot flag your own comment."))
    clean_reason = _clean_reason(reason)
    already = db.session.scalar(
        select(CommentFlag.id)
        .where(CommentFlag.comment_id == comment.id, CommentFlag.user_id == user_id)
        .execution_options(include_deleted=True)
    )
    if already is not None:
        raise Conflict(_("You have already flagged this comment."))
    try:
        with db.session.begin_nested():
            db.session.add(CommentFlag(comment_id=comment.id, user_id=user_id, reason=clean_reason))
    except IntegrityError:
        raise Conflict(_("You have already flagged this comment.")) from None
    db.session.execute(
        update(Comment).where(Comment.id == comment.id).values(flag_count=Comment.flag_count + 1)
    )
    db.session.flush()
    db.session.refresh(comment)
    return comment


# ---- row filters for screens --------------------------------------------------------------------
def register_moderation_scope(code: str, scope: ModerationScope) -> None:
    """Declare, for SQL lists, which targets of a type a user moderates (ids as a SELECT)."""
    _MODERATION_SCOPES[code] = scope


def moderation_scopes() -> dict[str, ModerationScope]:
    """The registered moderation scopes (other engagement lists filter by them too)."""
    return dict(_MODERATION_SCOPES)


def moderated_targets(user: Any, type_column: Any, id_column: Any) -> ColumnElement[bool]:
    """A WHERE clause for rows about targets the user moderates (comments, reactions): all for
    admins; per-type scopes otherwise."""
    if targets.is_admin(user):
        return true()
    user_id = targets.signed_in_user_id(user)
    if user_id is None or not _MODERATION_SCOPES:
        return false()
    return or_(
        *(
            and_(type_column == code, id_column.in_(scope(user_id)))
            for code, scope in _MODERATION_SCOPES.items()
        )
    )


def comments_moderated_by(user_id: int) -> Select[Any]:
    """The ids of comments on targets the user moderates (the moderation scope of comments as a
    target: reactions to them, reports)."""
    scopes = [(code, scope) for code, scope in _MODERATION_SCOPES.items() if code != COMMENT_TARGET]
    if not scopes:
        return select(Comment.id).where(false())
    return select(Comment.id).where(
        or_(
            *(
                and_(Comment.target_type == code, Comment.target_id.in_(scope(user_id)))
                for code, scope in scopes
            )
        )
    )


def moderated_clause(user: Any) -> ColumnElement[bool]:
    """A WHERE clause for comments the user moderates: all for admins; per-type scopes otherwise."""
    return moderated_targets(user, Comment.target_type, Comment.target_id)
