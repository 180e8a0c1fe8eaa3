"""Comment counters and thread bookkeeping: the per-target `comment_count` and `reply_count`, moved
in the changing transaction, their recount, and a thread read under its top-level row's lock."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, update

from app.core.models import bump_target_counter
from app.engagement.models import Comment, CommentCount
from app.extensions import db


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


def bump_comment_count(target_type: str, target_id: int, delta: int) -> None:
    """Move a target's counter by `delta` (one atomic upsert, safe under concurrent writers)."""
    bump_target_counter(CommentCount, target_type, target_id, delta)


def bump_replies(comment_id: int, delta: int) -> None:
    """Move a comment's direct-reply counter by `delta`."""
    db.session.execute(
        update(Comment).where(Comment.id == comment_id).values(reply_count=Comment.reply_count + delta)
    )


class ThreadTree:
    """The live (not deleted) comments of one thread, read fresh under the thread's lock."""

    def __init__(self, root_id: int) -> None:
        rows = db.session.scalars(
            select(Comment)
            .where(or_(Comment.id == root_id, Comment.root_id == root_id))
            .order_by(Comment.created_at, Comment.id)
            .execution_options(populate_existing=True)
        ).all()
        self.by_id = {c.id: c for c in rows}
        self.children: dict[int, list[Comment]] = {}
        for c in rows:
            if c.parent_id is not None:
                self.children.setdefault(c.parent_id, []).append(c)

    def chain(self, comment: Comment) -> list[Comment] | None:
        """The comment and its ancestors up to the top-level one; None when one of them is gone."""
        chain, node = [comment], comment
        while node.parent_id is not None:
            parent = self.by_id.get(node.parent_id)
            if parent is None:
                return None
            chain.append(parent)
            node = parent
        return chain

    def shown(self, comment: Comment) -> bool:
        """True when the comment and every comment above it are live and not hidden."""
        chain = self.chain(comment)
        return chain is not None and not any(c.is_hidden for c in chain)

    def visible_size(self, comment: Comment) -> int:
        """The comment and its replies, at any depth, that are not hidden nor under a hidden one."""
        if comment.is_hidden:
            return 0
        return 1 + sum(self.visible_size(child) for child in self.children.get(comment.id, []))

    def subtree(self, comment: Comment) -> list[Comment]:
        """The comment's replies at any depth."""
        found: list[Comment] = []
        for child in self.children.get(comment.id, []):
            found += [child, *self.subtree(child)]
        return found


def lock_thread(comment: Comment) -> ThreadTree:
    """Lock a thread's top-level comment row (changes of one thread queue up) and read the thread."""
    root_id = comment.root_id or comment.id
    db.session.execute(
        select(Comment.id)
        .where(Comment.id == root_id)
        .with_for_update()
        .execution_options(include_deleted=True)
    )
    return ThreadTree(root_id)


def recount_comments(target_type: str, target_id: int) -> int:
    """Recompute a target's counters from the rows (after a restore from the Trash, for example)."""
    rows = db.session.scalars(
        select(Comment)
        .where(Comment.target_type == target_type, Comment.target_id == target_id)
        .order_by(Comment.depth, Comment.id)
        .execution_options(populate_existing=True)
    ).all()
    by_id = {c.id: c for c in rows}
    replies = dict.fromkeys(by_id, 0)
    shown: set[int] = set()  # live, not hidden, and every comment above too (depth order: parents first)
    for c in rows:
        if c.parent_id in by_id and not c.is_hidden:
            replies[c.parent_id] += 1
        if not c.is_hidden and (c.parent_id is None or c.parent_id in shown):
            shown.add(c.id)
    for c in rows:
        if c.reply_count != replies[c.id]:
            c.reply_count = replies[c.id]
    total = len(shown)
    current = comment_count(target_type, target_id)
    bump_comment_count(target_type, target_id, total - current)
    db.session.flush()
    return total
