"""What comments and favorites tell people (a new comment to those who look after its target, a
reply to the author of the comment it answers, a favorite to the target's owner), and its wording."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

from app.engagement.models import Comment
from app.notifications.services import bilingual, notify, register_message

# target code -> function(target row) returning who hears of a new comment on it (a course's
# instructors); the module owning the target registers it (engagement knows no course).
Audience = Callable[[Any], Iterable[Any]]
_AUDIENCES: dict[str, Audience] = {}
# target code -> function(target row) returning its owners, told when someone favorites it (a
# course's instructors, a comment's author).
_OWNERS: dict[str, Audience] = {}


def register_comment_audience(code: str, audience: Audience) -> None:
    """Say who is told of a new top-level comment on targets of one type."""
    _AUDIENCES[code] = audience


def register_owners(code: str, owners: Audience) -> None:
    """Say who owns targets of one type (told of favorites)."""
    _OWNERS[code] = owners


def register_messages() -> None:
    """The sentences of the notifications comments send."""
    register_message("comment", _l("%(actor)s commented on %(subject)s"))
    register_message("reply", _l("%(actor)s replied to your comment on %(subject)s"))
    register_message(
        "reply",
        _l("%(actor)s answered your comment on %(subject)s as its instructor"),
        event="instructor_answer",
    )
    register_message("favorite", _l("%(actor)s added %(subject)s to their favorites"))


def _subject(target: Any) -> dict[str, str] | str:
    """What the comment is on, by its title in each language when it has one."""
    translations = getattr(target, "translations", None)
    if isinstance(translations, dict):
        return bilingual(translations)
    return str(target)


def commented(comment: Comment, target: Any, author: Any, parent: Comment | None) -> None:
    """Tell the author of the comment answered, or those who look after the target of a new one."""
    subject = _subject(target)
    if parent is not None:
        if parent.author_id is not None:
            event = "instructor_answer" if comment.is_instructor_response else ""
            notify(parent.author_id, "reply", comment, author, event=event, subject=subject)
        return
    audience = _AUDIENCES.get(comment.target_type)
    if audience is not None:
        notify(audience(target), "comment", comment, author, subject=subject)


def favorited(code: str, target: Any, actor: Any) -> None:
    """Tell the target's owners (never the actor; only those who can see it) of a new favorite."""
    owners = _OWNERS.get(code)
    if owners is not None:
        notify(owners(target), "favorite", target, actor, subject=_subject(target))
