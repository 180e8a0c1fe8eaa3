"""Share rules: share a target one may see through a channel, the counters and the summaries.

Every share is a row; `share_count` holds, per target, the number of shares and of learners who
joined it through a share (`joined_count`, moved by enrolment conversions). Both move with an atomic
upsert in the sharing transaction, so concurrent shares cannot lose a count. A target the user may
not see cannot be shared: it is a 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import targets
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import utcnow
from app.engagement import notices
from app.engagement.models import SHARE_CHANNELS, Share, ShareCount
from app.engagement.services.reactions import visible_target
from app.extensions import db

MAX_SUMMARY_IDS = 500
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


def channel_of(code: Any) -> str:
    """A known channel code, or Invalid (422)."""
    if not isinstance(code, str) or code not in SHARE_CHANNELS:
        raise Invalid(_("Unknown share channel."), {"channel": [_("Choose one of the ways to share.")]})
    return code


def bump_share_count(target_type: str, target_id: int, count: int = 0, joined: int = 0) -> None:
    """Move a target's share counters (one atomic upsert, safe under concurrent writers)."""
    if not count and not joined:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ShareCount).values(
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


def share(user: Any, target_type: Any, target_id: Any, channel: Any) -> Share:
    """Record that the user shared a target they can see through a channel; tells its owners once."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to share."))
    code = channel_of(channel)
    target = visible_target(user, target_type, target_id)
    row = Share(user_id=user_id, target_type=target_type, target_id=target_id, channel=code)
    db.session.add(row)
    bump_share_count(target_type, target_id, count=1)
    db.session.flush()
    notices.shared(row, target, user)
    return row


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


def my_shares(user: Any, page: int = 1, page_size: int = 20) -> list[Share]:
    """One page of the user's own shares, newest first, of targets they can still see."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to share."))
    page, page_size = _page(page, page_size)
    rows = db.session.scalars(
        select(Share)
        .where(Share.user_id == user_id)
        .order_by(Share.created_at.desc(), Share.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    visible = []
    for row in rows:
        try:
            visible_target(user, row.target_type, row.target_id)
        except NotFound:
            continue
        visible.append(row)
    return visible


def moderated_shares(user: Any) -> Any:
    """A WHERE clause for shares of targets the user moderates (all for admins)."""
    from app.engagement.services.comments import moderated_targets

    return moderated_targets(user, Share.target_type, Share.target_id)
