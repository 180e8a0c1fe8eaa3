"""Comment rules: who may read, write, moderate and flag, and the per-target counters.

Every rule about the target itself (may this user see it, who moderates it) comes from the target
registry (`app.core.targets`), so comments work on any registered code. Counters: `comment_count`
holds, per target, the number of comments other users can see (neither deleted nor hidden, and not
under a hidden comment); `Comment.reply_count` holds a comment's replies that are neither deleted
nor hidden. Both move in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from app.core import targets
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.html import plain_text, sanitize_html
from app.core.models import utcnow
from app.core.softdelete import soft_delete
from app.engagement import notices
from app.engagement.models import Comment, CommentCount, CommentFlag
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


@dataclass
class Thread:
    """A top-level comment and the replies the reader may see, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


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


def _bump(target_type: str, target_id: int, delta: int) -> None:
    """Move a target's counter by `delta` (one atomic upsert, safe under concurrent writers)."""
    if not delta:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(CommentCount).values(target_type=target_type, target_id=target_id, count=max(delta, 0))
    stmt = stmt.on_conflict_do_update(
        index_elements=[CommentCount.target_type, CommentCount.target_id],
        set_={"count": CommentCount.count + delta, "updated_at": utcnow()},
    )
    db.session.execute(stmt)


def _bump_replies(comment_id: int, delta: int) -> None:
    db.session.execute(
        update(Comment).where(Comment.id == comment_id).values(reply_count=Comment.reply_count + delta)
    )


def _lock(comment: Comment) -> Comment:
    """Reload a thread's top-level comment under a row lock: changes of one thread queue up."""
    root = comment if comment.parent_id is None else db.session.get(Comment, comment.parent_id)
    if root is not None and not root.is_deleted:
        db.session.execute(select(Comment.id).where(Comment.id == root.id).with_for_update())
        db.session.refresh(root)
    if comment is not root:
        db.session.refresh(comment)
    return root if root is not None else comment


def _gone(comment: Comment) -> bool:
    """True when the comment was deleted, by this request or one that held the lock before it."""
    return bool(
        db.session.scalar(
            select(Comment.is_deleted).where(Comment.id == comment.id).execution_options(include_deleted=True)
        )
    )


def _weight(comment: Comment, root: Comment | None) -> int:
    """How many counted comments this one stands for while it is visible (itself + its replies)."""
    if comment.parent_id is None:
        return 1 + comment.reply_count
    return 0 if root is None or root.is_hidden else 1


# ---- reading ----------------------------------------------------------------------------------
def comment_count(target_type: str, target_id: int) -> int:
    """The number of comments others can see on one target (a stored counter)."""
    value = db.session.scalar(
        select(CommentCount.count).where(
            CommentCount.target_type == target_type, CommentCount.target_id == target_id
        )
    )
    return int(value or 0)


def counts_for(target_type: str, ids: Iterable[int]) -> dict[int, int]:
    """Counters of many targets of one type at once (0 for targets without comments)."""
    wanted = list(dict.fromkeys(ids))
    counts = dict.fromkeys(wanted, 0)
    if wanted:
        rows = db.session.execute(
            select(CommentCount.target_id, CommentCount.count).where(
                CommentCount.target_type == target_type, CommentCount.target_id.in_(wanted)
            )
        )
        counts.update({target_id: count for target_id, count in rows})
    return counts


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
    readable = _readable(user, targets.can_moderate(user, target_type, target))
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
    if threads:
        replies = db.session.scalars(
            select(Comment)
            .where(on_target, Comment.parent_id.in_(list(threads)))
            .order_by(Comment.created_at, Comment.id)
        )
        for reply in replies:
            threads[reply.parent_id].replies.append(reply)  # type: ignore[index]
    return list(threads.values())


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
    parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
    hidden = comment.is_hidden or (
        parent is not None and parent.is_hidden
    )  # a hidden thread hides its replies
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
    an instructor response. Replies to a reply join the top-level thread (one level deep)."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to comment."))
    require_verified_email(user)
    if target_type == COMMENT_TARGET:
        raise Invalid(_("Reply to a comment with parent_id."), {"target_type": [_("Not allowed.")]})
    target = _viewable_target(user, target_type, target_id)
    clean = _clean_body(body)
    root: Comment | None = None
    parent: Comment | None = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if isinstance(parent_id, int) else None
        if (
            parent is None
            or parent.is_deleted
            or (parent.target_type, parent.target_id) != (target_type, target_id)
        ):
            raise Invalid(
                _("You can only reply to a comment on the same page."), {"parent_id": [_("Not found.")]}
            )
        root = _lock(parent)
        if parent.is_hidden or root.is_hidden or root.is_deleted:
            raise Invalid(_("This comment cannot be replied to."), {"parent_id": [_("Hidden.")]})
    comment = Comment(
        target_type=target_type,
        target_id=target_id,
        parent_id=root.id if root is not None else None,
        author_id=user_id,
        body=clean,
        is_instructor_response=targets.can_moderate(user, target_type, target),
    )
    db.session.add(comment)
    if root is not None:
        _bump_replies(root.id, 1)
    _bump(target_type, target_id, 1)
    db.session.flush()
    notices.commented(comment, target, user, parent)
    return comment


def edit_comment(user: Any, comment: Comment, body: str) -> Comment:
    """The author changes the text; the comment is marked as edited."""
    if not can_edit_comment(user, comment):
        raise Forbidden(_("Only the author can change a comment."))
    clean = _clean_body(body)
    if clean != comment.body:
        comment.body = clean
        comment.edited_at = utcnow()
    db.session.flush()
    return comment


def delete_comment(user: Any, comment: Comment) -> None:
    """The author or a moderator deletes a comment (soft delete) with its replies."""
    if not can_delete_comment(user, comment):
        raise Forbidden(_("Only the author or a moderator can delete a comment."))
    if comment.is_deleted:  # already gone, with its thread
        return
    root = _lock(comment)
    if _gone(comment):  # a concurrent delete won the lock: the counters are already right
        return
    weight = 0 if comment.is_hidden else _weight(comment, root)
    if comment.parent_id is None:
        for reply in db.session.scalars(select(Comment).where(Comment.parent_id == comment.id)):
            soft_delete(reply)
    elif not comment.is_hidden:
        _bump_replies(root.id, -1)
    soft_delete(comment)
    _bump(comment.target_type, comment.target_id, -weight)
    db.session.flush()


def hide_comment(user: Any, comment: Comment, reason: str | None = None) -> Comment:
    """A moderator hides a comment (and with it, its thread) from everyone but moderators and
    its author."""
    if not can_moderate_comment(user, comment):
        raise Forbidden(_("Only moderators can hide comments."))
    if comment.is_deleted:
        raise NotFound(_("No such comment."))
    clean_reason = _clean_reason(reason)
    root = _lock(comment)
    if _gone(comment):
        raise NotFound(_("No such comment."))
    if comment.is_hidden:
        raise Conflict(_("This comment is already hidden."))
    weight = _weight(comment, root)
    comment.is_hidden = True
    comment.hidden_by_id = targets.signed_in_user_id(user)
    comment.hidden_at = utcnow()
    comment.hidden_reason = clean_reason or None
    if comment.parent_id is not None:
        _bump_replies(root.id, -1)
    _bump(comment.target_type, comment.target_id, -weight)
    db.session.flush()
    return comment


def unhide_comment(user: Any, comment: Comment) -> Comment:
    """A moderator shows a hidden comment again."""
    if not can_moderate_comment(user, comment):
        raise Forbidden(_("Only moderators can show hidden comments."))
    if comment.is_deleted:
        raise NotFound(_("No such comment."))
    root = _lock(comment)
    if _gone(comment):
        raise NotFound(_("No such comment."))
    if not comment.is_hidden:
        raise Conflict(_("This comment is not hidden."))
    comment.is_hidden = False
    comment.hidden_by_id = comment.hidden_at = comment.hidden_reason = None
    if comment.parent_id is not None:
        _bump_replies(root.id, 1)
    db.session.flush()
    db.session.refresh(comment)
    _bump(comment.target_type, comment.target_id, _weight(comment, root))
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


def recount_comments(target_type: str, target_id: int) -> int:
    """Recompute a target's counters from the rows (after a restore from the Trash, for example)."""
    on_target = and_(Comment.target_type == target_type, Comment.target_id == target_id)
    tops = db.session.scalars(select(Comment).where(on_target, Comment.parent_id.is_(None))).all()
    total = 0
    for top in tops:
        replies = db.session.scalar(
            select(func.count(Comment.id)).where(
                on_target,
                Comment.parent_id == top.id,
                Comment.is_hidden.is_(False),
                Comment.is_deleted.is_(False),
            )
        )
        top.reply_count = int(replies or 0)
        if not top.is_hidden:
            total += 1 + top.reply_count
    current = comment_count(target_type, target_id)
    _bump(target_type, target_id, total - current)
    db.session.flush()
    return total


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
