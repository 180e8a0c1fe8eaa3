"""What comments, reactions, favorites and shares tell people (a new comment to those who look after
its target, a reply to the author of the comment it answers, a mention to the user mentioned, a
reaction, a favorite or a share to the target's owner), and its wording."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.engagement.models import Comment
from app.notifications.services import bilingual, in_each_language, notify, register_message

# target code -> function(target row) returning who hears of a new comment on it (a course's
# instructors); the module owning the target registers it (engagement knows no course).
Audience = Callable[[Any], Iterable[Any]]
_AUDIENCES: dict[str, Audience] = {}
# target code -> function(target row) returning its owners, told when someone reacts to it or
# favorites it (a course's instructors, a comment's author); reactions to a target without owners
# go to its comment audience.
_OWNERS: dict[str, Audience] = {}


def register_comment_audience(code: str, audience: Audience) -> None:
    """Say who is told of a new top-level comment on targets of one type."""
    _AUDIENCES[code] = audience


def register_owners(code: str, owners: Audience) -> None:
    """Say who owns targets of one type (told of reactions, favorites and shares)."""
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
    register_message("mention", _l("%(actor)s mentioned you in a comment on %(subject)s"))
    register_message("favorite", _l("%(actor)s added %(subject)s to their favorites"))
    register_message("like", _reaction_message, event="reaction")
    register_message("share", _l("%(actor)s shared %(subject)s"))


def _reaction_message(params: dict[str, Any], values: dict[str, str]) -> str:
    """One reactor, or the latest and how many others ("Sara and 4 others reacted to ...")."""
    others = int(params.get("others") or 0)
    if not others:
        return gettext("%(actor)s reacted %(reaction)s to %(subject)s", **values)
    return ngettext(
        "%(actor)s and %(num)d other person reacted to %(subject)s",
        "%(actor)s and %(num)d other people reacted to %(subject)s",
        others,
        **values,
    )


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


def mentioned(comment: Comment, target: Any, author: Any, recipients: list[int]) -> list[int]:
    """Tell the users mentioned in a comment (notify drops those who cannot see it)."""
    return notify(recipients, "mention", comment, author, subject=_subject(target))


def favorited(code: str, target: Any, actor: Any) -> None:
    """Tell the target's owners (never the actor; only those who can see it) of a new favorite."""
    owners = _OWNERS.get(code)
    if owners is not None:
        notify(owners(target), "favorite", target, actor, subject=_subject(target))


def reacted(reaction: Any, target: Any, reactor: Any, type_code: str) -> None:
    """Tell the target's owner of a new reaction, once per reactor and target (a change of type or
    a removal and a new reaction do not tell again: the notification key ignores the type). An
    unread notification of reactions to the same target takes the new reactor ("and 4 others")."""
    owners = _OWNERS.get(reaction.target_type) or _AUDIENCES.get(reaction.target_type)
    if owners is None:
        return
    emoji = next((t.emoji for t in _reaction_types() if t.code == type_code), "")
    if isinstance(target, Comment):
        subject: dict[str, str] | str = in_each_language(lambda: _l("your comment"))
    else:
        subject = _subject(target)
    notify(
        owners(target),
        "like",
        target,
        reactor,
        key=_reaction_key(reaction),
        group=_digest(f"reactions:{reaction.target_type}:{reaction.target_id}"),
        event="reaction",
        reaction=emoji or type_code,
        subject=subject,
    )


def shared(share: Any, target: Any, sharer: Any) -> None:
    """Tell the target's owners of a share, once per sharer and target (sharing it again, through
    any channel, does not tell again: the notification key ignores the channel)."""
    owners = _OWNERS.get(share.target_type)
    if owners is None:
        return
    if isinstance(target, Comment):
        subject: dict[str, str] | str = in_each_language(lambda: _l("your comment"))
    else:
        subject = _subject(target)
    key = _digest(f"share:{share.target_type}:{share.target_id}:{share.user_id}")
    notify(owners(target), "share", target, sharer, key=key, subject=subject)


def _reaction_key(reaction: Any) -> str:
    return _digest(f"reaction:{reaction.target_type}:{reaction.target_id}:{reaction.user_id}")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()  # the key columns hold 64 characters


def _reaction_types() -> list[Any]:
    from app.engagement.services.reactions import reaction_types

    return reaction_types()
