"""Mentions in comments: `@username` tells that user (once per comment, only people who exist, are
active and can see what the comment is on; never the author; at most `MAX_MENTIONS` a comment)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from app.core import targets
from app.core.errors import NotFound
from app.engagement import notices
from app.engagement.models import Comment
from app.extensions import db
from app.security.models import LmsUser

MAX_MENTIONS = 10
# A username (letters, digits, `_ . -`) after an `@` that does not end a word or an address.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,63})")
TAG = re.compile(r"<[^>]*>")


def mentioned_names(body: str | None) -> list[str]:
    """The distinct usernames a comment's text mentions (lower case, in order of appearance)."""
    text = html.unescape(TAG.sub(" ", body or ""))  # the text of sanitized HTML, blocks kept apart
    names = (m.group(1).rstrip(".-").lower() for m in MENTION.finditer(text))
    return list(dict.fromkeys(name for name in names if name))


def mentioned_users(names: Iterable[str]) -> dict[str, LmsUser]:
    """Active users by lower-case username, for the names given (one statement)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(LmsUser).where(func.lower(LmsUser.username).in_(wanted), LmsUser.active.is_(True))
    )
    return {user.username.lower(): user for user in rows}


def tell_mentioned(comment: Comment, author: Any, names: list[str], *, skip: set[int]) -> list[int]:
    """Notify the users named (the first `MAX_MENTIONS` names), except the author and `skip` (the
    author of the comment answered, told of the reply already). Returns the notified user ids."""
    users = mentioned_users(names[:MAX_MENTIONS])
    author_id = targets.signed_in_user_id(author)
    recipients = [u.id for u in users.values() if u.id != author_id and u.id not in skip]
    if not recipients:
        return []
    try:
        target = targets.load_target(comment.target_type, comment.target_id)
    except NotFound:
        return []
    return notices.mentioned(comment, target, author, recipients)
