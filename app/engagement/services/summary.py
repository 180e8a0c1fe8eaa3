"""Everything a page shows about its targets' engagement (reaction counts and the reader's own,
favorite counts and the reader's own, shares and learners joined through them) for targets of
several types, in ONE statement.

A course page shows its course's bars, a lesson player its lesson's and its comments': each page
asks once, whatever it shows, so the counts cost one statement per page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Integer, String, any_, false, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from app.core import targets
from app.engagement.models import Favorite, FavoriteCount, Reaction, ReactionCount, ShareCount
from app.engagement.services.reactions import Summary, _types_by_id
from app.extensions import db

REACTIONS, OWN_REACTION, FAVORITES, SHARES = "r", "m", "f", "s"


@dataclass
class TargetsSummary:
    """One target type's figures: reactions by target, favorite counts and the reader's favorites,
    (shares, learners joined through shares) by target."""

    reactions: dict[int, Summary] = field(default_factory=dict)
    favorite_counts: dict[int, int] = field(default_factory=dict)
    my_favorites: set[int] = field(default_factory=set)
    shares: dict[int, tuple[int, int]] = field(default_factory=dict)


def _row(kind: str, target_type: Any, target_id: Any, type_id: Any, count: Any, mine: Any) -> list[Any]:
    """One branch's columns, the same in each (numbers given as Python values become literals)."""

    def column(value: Any, sql_type: Any) -> Any:
        return literal(value, sql_type) if isinstance(value, int) else value

    return [
        literal(kind, String).label("kind"),
        target_type.label("target_type"),
        target_id.label("target_id"),
        column(type_id, BigInteger).label("type_id"),
        column(count, Integer).label("count"),
        mine.label("mine"),
    ]


def _among(column: Any, ids: list[int]) -> Any:
    """`column` is one of `ids`: on PostgreSQL `= ANY(array)`, ONE parameter however many ids there are
    (a page's comments with all their replies can be thousands), elsewhere (SQLite in development) IN."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(BigInteger)))
    return column.in_(ids)


def engagement_summary(user: Any, wanted: Mapping[str, Iterable[int]]) -> dict[str, TargetsSummary]:
    """Reactions, favorites and shares of the targets named (type -> ids), in one statement.

    The caller lists targets the user may see (what its page shows, so bounded by the page); the ids
    are not checked again, and every one has its figures (none is dropped, whatever their number).
    """
    asked = {code: [i for i in dict.fromkeys(ids) if isinstance(i, int)] for code, ids in wanted.items()}
    result = {
        code: TargetsSummary(
            reactions={i: Summary() for i in ids},
            favorite_counts=dict.fromkeys(ids, 0),
            shares=dict.fromkeys(ids, (0, 0)),
        )
        for code, ids in asked.items()
    }
    user_id = targets.signed_in_user_id(user)
    parts: list[Any] = []
    for code, ids in asked.items():
        if not ids:
            continue
        parts.append(
            select(
                *_row(
                    REACTIONS,
                    ReactionCount.target_type,
                    ReactionCount.target_id,
                    ReactionCount.type_id,
                    ReactionCount.count,
                    false(),
                )
            ).where(
                ReactionCount.target_type == code,
                _among(ReactionCount.target_id, ids),
                ReactionCount.count > 0,
            )
        )
        own_favorite: Any = false()
        if user_id is not None:
            parts.append(
                select(
                    *_row(
                        OWN_REACTION, Reaction.target_type, Reaction.target_id, Reaction.type_id, 0, false()
                    )
                ).where(
                    Reaction.user_id == user_id,
                    Reaction.target_type == code,
                    _among(Reaction.target_id, ids),
                    Reaction.is_deleted.is_(False),
                )
            )
            # A target the user favorited has a counter row, so the user's favorite is found beside it.
            own_favorite = (
                select(Favorite.id)
                .where(
                    Favorite.user_id == user_id,
                    Favorite.target_type == code,
                    Favorite.target_id == FavoriteCount.target_id,
                )
                .exists()
            )
        parts.append(
            select(
                *_row(
                    FAVORITES,
                    FavoriteCount.target_type,
                    FavoriteCount.target_id,
                    0,
                    FavoriteCount.count,
                    own_favorite,
                )
            ).where(FavoriteCount.target_type == code, _among(FavoriteCount.target_id, ids))
        )
        parts.append(  # the learners joined through shares ride in the type column
            select(
                *_row(
                    SHARES,
                    ShareCount.target_type,
                    ShareCount.target_id,
                    ShareCount.joined_count,
                    ShareCount.count,
                    false(),
                )
            ).where(ShareCount.target_type == code, _among(ShareCount.target_id, ids))
        )
    if not parts:
        return result
    names = _types_by_id()
    statement = union_all(*parts) if len(parts) > 1 else parts[0]
    for kind, code, target_id, type_id, count, mine in db.session.execute(statement):
        figures = result[code]
        if kind == SHARES:
            figures.shares[target_id] = (int(count), int(type_id))
            continue
        if kind == FAVORITES:
            figures.favorite_counts[target_id] = int(count)
            if mine:
                figures.my_favorites.add(target_id)
            continue
        reaction_type = names.get(type_id)
        if reaction_type is None:  # a type since switched off: neither shown nor counted
            continue
        if kind == OWN_REACTION:
            figures.reactions[target_id].mine = reaction_type.code
        else:
            figures.reactions[target_id].counts[reaction_type.code] = int(count)
    return result
