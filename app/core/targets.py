"""The polymorphic target registry: a code (`user`, `course`, `post`...) -> model and its rules.

Universal features (media, comments, reactions, favorites, reports, notes) store
`<something>_type` + `<something>_id` and ask this registry whether a user may see or change
the target, so each module states its rule once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import NotFound

Rule = Callable[[Any, Any], bool]
# (user, obj) -> the page where that user sees the target, or None.
Link = Callable[[Any, Any], "str | None"]
# (obj, language) -> the target's title in that language (lists, search, exports).
Title = Callable[[Any, str], str]


def _admin(user: Any) -> bool:
    return (
        bool(user)
        and getattr(user, "is_authenticated", False)
        and any(role.name == "Admin" for role in getattr(user, "roles", []))
    )


@dataclass(frozen=True)
class Target:
    """A registered target type."""

    code: str
    model: type
    can_view: Rule
    can_edit: Rule
    can_moderate: Rule | None = None
    url: Link | None = None
    title: Title | None = None


_TARGETS: dict[str, Target] = {}


def register_target(
    code: str,
    model: type,
    *,
    can_view: Rule,
    can_edit: Rule,
    can_moderate: Rule | None = None,
    url: Link | None = None,
    title: Title | None = None,
) -> None:
    """Declare a target type (called from a module's register()).

    `can_moderate` says who looks after what others write on the target (comments, notes): for a
    course, its instructors. Without it only admins moderate. `url(user, obj)` names the page where
    that user sees it (notifications link there). `title(obj, language)` names it in a language
    (favorites list and search it).
    """
    _TARGETS[code] = Target(code, model, can_view, can_edit, can_moderate, url, title)


def code_of(obj: Any) -> str:
    """The registered code of a target row (the most specific model that matches), or NotFound."""
    matches = [t for t in _TARGETS.values() if isinstance(obj, t.model)]
    if not matches:
        raise NotFound(f"{type(obj).__name__} is not a registered target")
    return max(matches, key=lambda t: len(t.model.__mro__)).code


def target_url(user: Any, code: str, obj: Any) -> str | None:
    """Where `user` sees the target, when its module says."""
    link = get_target(code).url
    return link(user, obj) if link is not None else None


def target_title(code: str, obj: Any, language: str) -> str:
    """The target's title in `language`, when its module says; its text form otherwise."""
    title = get_target(code).title
    text = title(obj, language) if title is not None else ""
    return text or str(obj)


def get_target(code: str) -> Target:
    """The registered target, or NotFound."""
    try:
        return _TARGETS[code]
    except KeyError:
        raise NotFound(f"Unknown target type '{code}'") from None


def load_target(code: str, target_id: int) -> Any:
    """The target row (soft-deleted rows are invisible), or NotFound."""
    from app.extensions import db

    target = get_target(code)
    obj = db.session.get(target.model, target_id, populate_existing=True)
    if obj is None:
        raise NotFound(f"No {code} with id {target_id}")
    return obj


def can_view(user: Any, code: str, obj: Any) -> bool:
    """Admins always; otherwise the target's own rule."""
    return _admin(user) or get_target(code).can_view(user, obj)


def can_edit(user: Any, code: str, obj: Any) -> bool:
    """Admins always; otherwise the target's own rule."""
    return _admin(user) or get_target(code).can_edit(user, obj)


def can_moderate(user: Any, code: str, obj: Any) -> bool:
    """Admins always; otherwise the target's moderation rule, if it has one."""
    rule = get_target(code).can_moderate
    return _admin(user) or (rule is not None and bool(rule(user, obj)))


def registered_codes() -> list[str]:
    """Every registered target code."""
    return sorted(_TARGETS)


def signed_in_user_id(user: Any) -> int | None:
    """The id of a signed-in user; None for visitors (None or an anonymous user object)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return getattr(user, "id", None)


def is_admin(user: Any) -> bool:
    """True for a signed-in user holding the Admin role."""
    return _admin(user)
