"""Share rules: share a target one may see through a channel, the counters and the summaries.

A user's share of a target through a channel counts once per SHARE_DEDUPE_HOURS (24): a repeat (a
second click, a retried beacon) returns the share already made, with no row and no counter move.
Concurrent identical shares take a transaction-scoped advisory lock on (user, target, channel), so
they too make one row. `share_count` holds, per target, the number of shares and of learners who
joined it through a share (`joined_count`, moved by enrolment conversions). Both move with an atomic
upsert in the sharing transaction, so concurrent shares cannot lose a count. A target the user may
not see cannot be shared: it is a 404, like one that does not exist.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from app.core import targets
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import conflict_insert, utcnow
from app.engagement import notices
from app.engagement.models import SHARE_CHANNELS, Share, ShareCount
from app.engagement.services.reactions import visible_target
from app.extensions import db

MAX_SUMMARY_IDS = 500
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
DEFAULT_DEDUPE_HOURS = 24


def channel_of(code: Any) -> str:
    """A known channel code, or Invalid (422)."""
    if not isinstance(code, str) or code not in SHARE_CHANNELS:
        raise Invalid(_("Unknown share channel."), {"channel": [_("Choose one of the ways to share.")]})
    return code


def bump_share_count(target_type: str, target_id: int, count: int = 0, joined: int = 0) -> None:
    """Move a target's share counters (one atomic upsert, safe under concurrent writers)."""
    if not count and not joined:
        return
    stmt = conflict_insert(ShareCount).values(
        target_type=target_type, target_id=target_id, count=max(count, 0), joined_count=max(joined, 0)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ShareCount.target_type, ShareCount.target_id],
        set_={
            "count": ShareCount.count + count,
            "joined_count": ShareCount.joined_count + joined,
            "updated_at": utcnow(),
        },
    )
    db.session.execute(stmt)


def dedupe_hours() -> float:
    """The window in which a user's repeat share of a target through a channel is not counted."""
    try:
        return max(float(current_app.config.get("SHARE_DEDUPE_HOURS", DEFAULT_DEDUPE_HOURS)), 0.0)
    except (TypeError, ValueError):
        return DEFAULT_DEDUPE_HOURS


def _lock(user_id: int, target_type: str, target_id: int, channel: str) -> None:
    """Serialise identical shares until the transaction ends (PostgreSQL advisory lock)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(f"share:{user_id}:{target_type}:{target_id}:{channel}".encode())
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


def record_share(user: Any, target_type: Any, target_id: Any, channel: Any) -> tuple[Share, bool]:
    """Record that the user shared a target they can see through a channel: (the share, whether it
    is new). A repeat in the dedupe window is the earlier share, not counted again; a new share
    moves the counter and tells the target's owners once."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to share."))
    code = channel_of(channel)
    target = visible_target(user, target_type, target_id)
    _lock(user_id, target_type, target_id, code)
    since = utcnow() - timedelta(hours=dedupe_hours())
    earlier = db.session.scalar(
        select(Share)
        .where(
            Share.user_id == user_id,
            Share.target_type == target_type,
            Share.target_id == target_id,
            Share.channel == code,
            Share.created_at > since,
        )
        .order_by(Share.created_at.desc())
        .limit(1)
    )
    if earlier is not None:
        return earlier, False
    row = Share(user_id=user_id, target_type=target_type, target_id=target_id, channel=code)
    db.session.add(row)
    bump_share_count(target_type, target_id, count=1)
    db.session.flush()
    notices.shared(row, target, user)
    return row, True


def share(user: Any, target_type: Any, target_id: Any, channel: Any) -> Share:
    """`record_share` without saying whether the share is new."""
    return record_share(user, target_type, target_id, channel)[0]


def share_summary(target_type: str, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(shares, learners joined through shares) of many targets of one type, in ONE statement.

    The caller lists targets the user may see; targets without a counter are (0, 0)."""
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, int)][:MAX_SUMMARY_IDS]
    summary = dict.fromkeys(wanted, (0, 0))
    if not wanted:
        return summary
    rows = db.session.execute(
        select(ShareCount.target_id, ShareCount.count, ShareCount.joined_count).where(
            ShareCount.target_type == target_type, ShareCount.target_id.in_(wanted)
        )
    )
    for target_id, count, joined in rows:
        summary[target_id] = (int(count), int(joined))
    return summary


def share_count(target_type: str, target_id: int) -> int:
    """How many times a target was shared (its counter)."""
    return share_summary(target_type, [target_id])[target_id][0]


def recount_shares(target_type: str, target_id: int) -> int:
    """Recompute a target's share counter from its rows (repairs; tests compare the two)."""
    live = int(
        db.session.scalar(
            select(func.count(Share.id)).where(Share.target_type == target_type, Share.target_id == target_id)
        )
        or 0
    )
    bump_share_count(target_type, target_id, count=live - share_count(target_type, target_id))
    db.session.flush()
    return live


def _page(page: Any, page_size: Any) -> tuple[int, int]:
    return min(max(int(page), 1), MAX_PAGE), min(max(int(page_size), 1), MAX_PAGE_SIZE)


def _visible_pairs(user: Any, user_id: int) -> dict[str, list[int]]:
    """The targets of the user's shares they may still see, by type: one statement for the pairs and
    one per target type (soft-deleted targets are not returned)."""
    by_type: dict[str, list[int]] = {}
    for target_type, target_id in db.session.execute(
        select(Share.target_type, Share.target_id).where(Share.user_id == user_id).distinct()
    ):
        by_type.setdefault(target_type, []).append(target_id)
    visible: dict[str, list[int]] = {}
    for code, ids in by_type.items():
        try:
            model: Any = targets.get_target(code).model
        except NotFound:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            if targets.can_view(user, code, obj):
                visible.setdefault(code, []).append(obj.id)
    return visible


def my_shares(user: Any, page: int = 1, page_size: int = 20) -> list[Share]:
    """One page of the user's own shares, newest first, of targets they can still see (the page is
    cut after the visibility filter, so pages are full and nothing is skipped)."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to share."))
    page, page_size = _page(page, page_size)
    visible = _visible_pairs(user, user_id)
    if not visible:
        return []
    return list(
        db.session.scalars(
            select(Share)
            .where(
                Share.user_id == user_id,
                or_(
                    *(
                        and_(Share.target_type == code, Share.target_id.in_(ids))
                        for code, ids in visible.items()
                    )
                ),
            )
            .order_by(Share.created_at.desc(), Share.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )


def moderated_shares(user: Any) -> Any:
    """A WHERE clause for shares of targets the user moderates (all for admins)."""
    from app.engagement.services.comments import moderated_targets

    return moderated_targets(user, Share.target_type, Share.target_id)
