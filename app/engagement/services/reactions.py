"""Reaction rules: react, change, remove, summaries for lists, who reacted, and the counters.

A user has at most one reaction per target (a unique key on the row, deleted rows included):
changing it updates the row, removing it soft-deletes it and reacting again revives it.
`reaction_count` holds, per target and type, the number of live reactions; every change moves it
with an atomic upsert in the same transaction, under the reaction row's lock, so concurrent
requests cannot count one reaction twice. Nothing about a target the user may not see is
reachable: it is a 404, like a target that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from app.core import targets
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import conflict_insert, utcnow
from app.core.softdelete import restore, soft_delete
from app.engagement import notices
from app.engagement.models import Reaction, ReactionCount
from app.extensions import db
from app.lookups.services import lookup_choices, values_of
from app.security.models import LmsUser

REACTION_TYPES = "reaction_types"
MAX_SUMMARY_IDS = 500
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class ReactionType:
    """A value of the `reaction_types` lookup, as pages show it."""

    id: int
    code: str
    name_en: str
    name_ar: str
    emoji: str

    @property
    def name(self) -> str:
        """The name in the current language."""
        locale = get_locale()
        return (
            self.name_ar if locale is not None and locale.language == "ar" and self.name_ar else self.name_en
        )


@dataclass
class Summary:
    """One target's reactions: counts per type code (only those above 0), the total, the reader's own."""

    counts: dict[str, int] = field(default_factory=dict)
    mine: str | None = None

    @property
    def total(self) -> int:
        """Every reaction on the target."""
        return sum(self.counts.values())


# (the cached lookup choices object, the types built from it): lookups' cache decides freshness, so a
# changed or added reaction type shows once the lookup cache forgets it, at no statement per page.
_TYPES: list[Any] = [None, []]


def reaction_types() -> list[ReactionType]:
    """The active reaction types in display order (cached as long as the lookup cache)."""
    choices = lookup_choices(REACTION_TYPES)
    if _TYPES[0] is not choices:
        built = [
            ReactionType(v.id, v.code, v.name_en, v.name_ar, str((v.meta or {}).get("emoji") or ""))
            for v in values_of(REACTION_TYPES)
        ]
        _TYPES[:] = [choices, built]
    return list(_TYPES[1])


def _types_by_id() -> dict[int, ReactionType]:
    return {t.id: t for t in reaction_types()}


def type_of(code: Any) -> ReactionType:
    """The active reaction type with this code, or Invalid (422)."""
    for kind in reaction_types():
        if kind.code == code:
            return kind
    raise Invalid(_("Unknown reaction type."), {"type": [_("Choose one of the reaction types.")]})


def visible_target(user: Any, target_type: Any, target_id: Any) -> Any:
    """The target, or NotFound when it does not exist or the user may not see it."""
    if not isinstance(target_type, str) or not isinstance(target_id, int) or isinstance(target_id, bool):
        raise NotFound(_("Not found."))
    target = targets.load_target(target_type, target_id)
    if not targets.can_view(user, target_type, target):
        raise NotFound(_("Not found."))
    return target


def _bump(target_type: str, target_id: int, type_id: int, delta: int) -> None:
    """Move one counter by `delta` (one atomic upsert, safe under concurrent writers)."""
    if not delta:
        return
    stmt = conflict_insert(ReactionCount).values(
        target_type=target_type, target_id=target_id, type_id=type_id, count=max(delta, 0)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReactionCount.target_type, ReactionCount.target_id, ReactionCount.type_id],
        set_={"count": ReactionCount.count + delta, "updated_at": utcnow()},
    )
    db.session.execute(stmt)


def _locked(user_id: int, target_type: str, target_id: int) -> Reaction | None:
    """The user's reaction row on the target (deleted or not) under a row lock, freshly read."""
    return db.session.scalar(
        select(Reaction)
        .where(
            Reaction.user_id == user_id, Reaction.target_type == target_type, Reaction.target_id == target_id
        )
        .with_for_update()
        .execution_options(include_deleted=True, populate_existing=True)
    )


def _user_id(user: Any) -> int:
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to react."))
    return user_id


# ---- writing ----------------------------------------------------------------------------------
def react(user: Any, target_type: str, target_id: int, type_code: str) -> tuple[Reaction, bool]:
    """React to a target the user can see, or change the reaction; (the row, True when it is new)."""
    user_id = _user_id(user)
    kind = type_of(type_code)
    target = visible_target(user, target_type, target_id)
    reaction = _locked(user_id, target_type, target_id)
    created = False
    if reaction is None:
        try:
            # A concurrent first reaction of the same user waits on the unique key, then clashes.
            with db.session.begin_nested():
                reaction = Reaction(
                    user_id=user_id, target_type=target_type, target_id=target_id, type_id=kind.id
                )
                db.session.add(reaction)
            created = True
        except IntegrityError:
            reaction = _locked(user_id, target_type, target_id)
            if reaction is None:  # pragma: no cover - the clashing row was committed, so it is there
                raise
    if created:
        _bump(target_type, target_id, kind.id, 1)
    elif reaction.is_deleted:
        restore(reaction)
        reaction.type_id = kind.id
        created = True
        _bump(target_type, target_id, kind.id, 1)
    elif reaction.type_id != kind.id:
        moves = {reaction.type_id: -1, kind.id: 1}
        for type_id in sorted(moves):  # counters locked in one order: two changes cannot deadlock
            _bump(target_type, target_id, type_id, moves[type_id])
        reaction.type_id = kind.id
    db.session.flush()
    if created:
        notices.reacted(reaction, target, user, kind.code)
    return reaction, created


def unreact(user: Any, target_type: str, target_id: int) -> bool:
    """Remove the user's reaction from a target they can see; False when there was none."""
    user_id = _user_id(user)
    visible_target(user, target_type, target_id)
    reaction = _locked(user_id, target_type, target_id)
    if reaction is None or reaction.is_deleted:  # none, or a concurrent removal came first
        return False
    soft_delete(reaction)
    _bump(target_type, target_id, reaction.type_id, -1)
    db.session.flush()
    return True


def recount_reactions(target_type: str, target_id: int) -> dict[str, int]:
    """Recompute a target's counters from its live reactions (after rows come back from the Trash)."""
    live = dict(
        db.session.execute(
            select(Reaction.type_id, func.count(Reaction.id))
            .where(
                Reaction.target_type == target_type,
                Reaction.target_id == target_id,
                Reaction.is_deleted.is_(False),
            )
            .group_by(Reaction.type_id)
        ).all()
    )
    stored = dict(
        db.session.execute(
            select(ReactionCount.type_id, ReactionCount.count).where(
                ReactionCount.target_type == target_type, ReactionCount.target_id == target_id
            )
        ).all()
    )
    for type_id in set(live) | set(stored):
        _bump(target_type, target_id, type_id, int(live.get(type_id, 0)) - int(stored.get(type_id, 0)))
    db.session.flush()
    names = _types_by_id()
    return {names[t].code if t in names else str(t): int(n) for t, n in live.items()}


# ---- reading ----------------------------------------------------------------------------------
def reaction_summary(target_type: str, ids: Iterable[int], user: Any = None) -> dict[int, Summary]:
    """Counts per type and the user's own reaction for many targets of one type, in ONE statement.

    The caller lists targets the user may see (a course page and its comments); ids it passes are
    not checked again.
    """
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, int)][:MAX_SUMMARY_IDS]
    summaries = {i: Summary() for i in wanted}
    if not wanted:
        return summaries
    counts = select(
        ReactionCount.target_id, ReactionCount.type_id, ReactionCount.count, literal(False).label("mine")
    ).where(
        ReactionCount.target_type == target_type,
        ReactionCount.target_id.in_(wanted),
        ReactionCount.count > 0,
    )
    user_id = targets.signed_in_user_id(user)
    if user_id is not None:
        own = select(Reaction.target_id, Reaction.type_id, literal(0), literal(True)).where(
            Reaction.user_id == user_id,
            Reaction.target_type == target_type,
            Reaction.target_id.in_(wanted),
            Reaction.is_deleted.is_(False),
        )
        stmt: Any = union_all(counts, own)
    else:
        stmt = counts
    names = _types_by_id()
    for target_id, type_id, count, mine in db.session.execute(stmt):
        kind = names.get(type_id)
        if kind is None:  # a type since switched off: neither shown nor counted
            continue
        if mine:
            summaries[target_id].mine = kind.code
        else:
            summaries[target_id].counts[kind.code] = int(count)
    return summaries


def summary_for(user: Any, target_type: str, target_id: int) -> Summary:
    """One target's summary, for a user who may see it (NotFound otherwise)."""
    visible_target(user, target_type, target_id)
    return reaction_summary(target_type, [target_id], user)[target_id]


def _page(page: Any, page_size: Any) -> tuple[int, int]:
    return min(max(int(page), 1), MAX_PAGE), min(max(int(page_size), 1), MAX_PAGE_SIZE)


def who_reacted(
    user: Any,
    target_type: str,
    target_id: int,
    type_code: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> list[tuple[LmsUser, str]]:
    """Who reacted to a target the user can see (newest first), optionally of one type."""
    visible_target(user, target_type, target_id)
    page, page_size = _page(page, page_size)
    stmt = (
        select(LmsUser, Reaction.type_id)
        .join(Reaction, Reaction.user_id == LmsUser.id)
        .where(
            Reaction.target_type == target_type,
            Reaction.target_id == target_id,
            Reaction.is_deleted.is_(False),
        )
        .order_by(Reaction.updated_at.desc(), Reaction.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    if type_code is not None:
        stmt = stmt.where(Reaction.type_id == type_of(type_code).id)
    names = _types_by_id()
    return [(person, names[t].code) for person, t in db.session.execute(stmt) if t in names]


def my_reactions(user: Any, page: int = 1, page_size: int = 20) -> list[Reaction]:
    """One page of the user's own live reactions, newest first, on targets they can still see."""
    user_id = _user_id(user)
    page, page_size = _page(page, page_size)
    rows = db.session.scalars(
        select(Reaction)
        .where(Reaction.user_id == user_id, Reaction.is_deleted.is_(False))
        .order_by(Reaction.updated_at.desc(), Reaction.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    visible = []
    for reaction in rows:
        try:
            visible_target(user, reaction.target_type, reaction.target_id)
        except NotFound:
            continue
        visible.append(reaction)
    return visible


def moderated_reactions(user: Any) -> Any:
    """A WHERE clause for reactions on targets the user moderates (all for admins)."""
    from app.engagement.services.comments import moderated_targets

    return moderated_targets(user, Reaction.target_type, Reaction.target_id)
