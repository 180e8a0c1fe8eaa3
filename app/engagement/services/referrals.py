"""Referral attribution: each user's code, the visits through share links (touches) and the sign-ups,
enrolments and purchases that follow them (conversions), with their first and last touch.

A code is 192 random bits (url-safe), made on first need; an unknown or malformed code is ignored
without a word, so codes cannot be probed. A touch is written when a person (not a bot, not the
sharer) opens a page with `?ref=<code>`; the same visitor through the same sharer's links within
TOUCH_DEDUPE_MINUTES is one touch, and so is the same IP address for visitors not signed in (with
Redis: a client that drops or invents cookies gets no new touch per request). A browser known to be
the sharer's (one of its touches is bound to them) makes no touch of their links. A conversion looks
at the user's touches and at the still anonymous touches of their browser's visitor id within
REFERRAL_WINDOW_DAYS before it, never the user's own; none means no row. At sign-in, the browser's
anonymous touches of the user's own links are deleted, not bound: a second account signing up in the
same browser later is not credited to them.
Conversions are unique per kind and source object: a retried signal records nothing twice.
Engagement knows no course and no payment: courses and billing connect their signals to small
receivers that call `record_conversion`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, has_request_context, request
from sqlalchemy import and_, delete, or_, select, update

from app.core import targets
from app.core.models import conflict_insert, utcnow
from app.engagement.models import CONVERSION_KINDS, ReferralCode, ReferralConversion, ReferralTouch
from app.engagement.services.shares import bump_share_count
from app.extensions import db

log = logging.getLogger(__name__)

REF_PARAM = "ref"
CODE_BYTES = 24  # 192 bits: 32 url-safe characters
_CODE = re.compile(r"^[A-Za-z0-9_-]{32}$")
TOUCH_DEDUPE_MINUTES = 30
DEFAULT_WINDOW_DAYS = 30
DEFAULT_KEY_PREFIX = "lms:referrals"

# endpoint -> function(view args) returning the (target type, id) its page shows, or None. Modules
# owning pages register them (courses: the course page), engagement knows none.
Landing = Callable[[dict[str, Any]], "tuple[str, int] | None"]
_LANDINGS: dict[str, Landing] = {}


def register_landing(endpoint: str, resolve: Landing) -> None:
    """Say which target a page (by endpoint) shows, so that visits through links to it name it."""
    _LANDINGS[endpoint] = resolve


def window_days() -> int:
    """The attribution window (setting REFERRAL_WINDOW_DAYS)."""
    try:
        return max(int(current_app.config.get("REFERRAL_WINDOW_DAYS", DEFAULT_WINDOW_DAYS)), 0)
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_DAYS


# ---- codes ------------------------------------------------------------------------------------


def referral_code(user: Any) -> str | None:
    """The signed-in user's referral code, made now if they have none (None for visitors)."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        return None
    code = db.session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))
    if code is not None:
        return code
    # Two first needs at once: one insert wins, the other reads the winner's code.
    db.session.execute(
        conflict_insert(ReferralCode)
        .values(user_id=user_id, code=secrets.token_urlsafe(CODE_BYTES))
        .on_conflict_do_nothing(index_elements=[ReferralCode.user_id])
    )
    return db.session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))


def sharer_of(code: Any) -> int | None:
    """The user whose code this is, or None (malformed or unknown codes alike)."""
    if not isinstance(code, str) or not _CODE.match(code):
        return None
    return db.session.scalar(select(ReferralCode.user_id).where(ReferralCode.code == code))


def with_code(url: str, code: str | None) -> str:
    """`url` with `?ref=<code>` (replacing any ref it had); unchanged without a code."""
    if not code:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != REF_PARAM]
    query.append((REF_PARAM, code))
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---- touches ----------------------------------------------------------------------------------
def record_touch(
    sharer_id: int,
    *,
    visitor_id: str | None,
    user_id: int | None = None,
    target: tuple[str, int] | None = None,
    at: datetime | None = None,
) -> ReferralTouch | None:
    """A visit through the sharer's link; None when it is the sharer's own (by user, or by a browser
    already tied to them) or a repeat in the window."""
    if user_id is not None and user_id == sharer_id:
        return None
    if visitor_id is None and user_id is None:
        return None
    at = at or utcnow()
    who = []
    if visitor_id is not None:
        who.append(ReferralTouch.visitor_id == visitor_id)
    if user_id is not None:
        who.append(ReferralTouch.user_id == user_id)
    skip = and_(
        ReferralTouch.sharer_id == sharer_id,
        or_(*who),
        ReferralTouch.touched_at > at - timedelta(minutes=TOUCH_DEDUPE_MINUTES),
        ReferralTouch.touched_at <= at,
    )
    if visitor_id is not None:  # the sharer's own browser: a touch made in it (any link's) is theirs
        skip = or_(skip, and_(ReferralTouch.visitor_id == visitor_id, ReferralTouch.user_id == sharer_id))
    repeat = db.session.scalar(select(ReferralTouch.id).where(skip).limit(1))
    if repeat is not None:
        return None
    touch = ReferralTouch(
        sharer_id=sharer_id,
        visitor_id=visitor_id,
        user_id=user_id,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        touched_at=at,
    )
    db.session.add(touch)
    db.session.flush()
    return touch


def bind_visitor(user_id: int, visitor_id: str | None) -> int:
    """Give the visitor's anonymous touches to the user (at sign-up and sign-in); how many.

    Anonymous touches of the user's own links (they opened them signed out) are deleted: bound to
    them they would be self-referrals, left anonymous another account of this browser would inherit
    them."""
    if not visitor_id:
        return 0
    db.session.execute(
        delete(ReferralTouch)
        .where(
            ReferralTouch.visitor_id == visitor_id,
            ReferralTouch.user_id.is_(None),
            ReferralTouch.sharer_id == user_id,
        )
        .execution_options(synchronize_session=False)
    )
    result: Any = db.session.execute(
        update(ReferralTouch)
        .where(ReferralTouch.visitor_id == visitor_id, ReferralTouch.user_id.is_(None))
        .values(user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def current_visitor() -> str | None:
    """This request's visitor id when its browser already has one (never sets a cookie)."""
    if not has_request_context():
        return None
    from app.core.visitors import COOKIE, visitor_id

    return visitor_id() if request.cookies.get(COOKIE) else None


def _landing() -> tuple[str, int] | None:
    resolve = _LANDINGS.get(request.endpoint or "")
    if resolve is None:
        return None
    try:
        return resolve(dict(request.view_args or {}))
    except Exception:  # a page that does not resolve is a visit without a target
        log.debug("No referral target for %s", request.path, exc_info=True)
        return None


def _first_from_address(sharer_id: int) -> bool:
    """Whether this IP address is new to the sharer's links in TOUCH_DEDUPE_MINUTES (Redis `SET NX
    EX`; always True without Redis). Visitors not signed in are counted once per address, since a
    client can drop or invent its visitor cookie on every request."""
    from redis.exceptions import RedisError

    from app.core.tasks import redis_connection

    redis = redis_connection()
    if redis is None:
        return True
    prefix = str(current_app.config.get("REFERRAL_KEY_PREFIX") or DEFAULT_KEY_PREFIX)
    key = f"{prefix}:touch:{sharer_id}:{request.remote_addr or '-'}"
    try:
        return bool(redis.set(key, "1", nx=True, ex=TOUCH_DEDUPE_MINUTES * 60))
    except RedisError:  # without Redis the visitor id still dedupes
        log.warning("Referral touch address check skipped: Redis unavailable", exc_info=True)
        return True


def touch_from_request() -> None:
    """before_request: a person's GET page view with `?ref=` is a touch of the code's sharer.

    Bots, the sharer themself and unknown codes are ignored silently; it never fails the page."""
    code = request.args.get(REF_PARAM) if request.method == "GET" else None
    if not code:
        return
    from flask_login import current_user

    from app.core.transactions import transaction
    from app.core.visitors import is_bot, visitor_id

    if is_bot():
        return
    try:
        with transaction():
            sharer_id = sharer_of(code)
            if sharer_id is None:
                return
            user_id = targets.signed_in_user_id(current_user)
            if user_id == sharer_id:
                return
            if user_id is None and not _first_from_address(sharer_id):
                return
            record_touch(sharer_id, visitor_id=visitor_id(), user_id=user_id, target=_landing())
    except Exception:  # attribution must never break a page
        log.exception("Referral touch not recorded")


def on_user_registered(user: Any, **_extra: Any) -> None:
    """Receiver of `security.signals.user_registered` (in the sign-up transaction): the browser's
    touches become the new user's, and a sign-up they brought is recorded."""
    visitor = current_visitor()
    bind_visitor(user.id, visitor)
    record_conversion(user.id, "signup", None, None, source_key=f"user:{user.id}", visitor_id=visitor)


def on_user_logged_in(_app: Any, user: Any = None, **_extra: Any) -> None:
    """Receiver of Flask-Login's `user_logged_in`: touches made before signing in become the user's."""
    visitor = current_visitor()
    if user is None or not visitor:
        return
    try:
        from app.core.transactions import transaction

        with transaction():
            bind_visitor(user.id, visitor)
    except Exception:  # signing in must not fail for attribution
        log.exception("Referral touches not bound at sign-in")


# ---- conversions ------------------------------------------------------------------------------
def _touches(user_id: int, visitor_id: str | None, at: datetime) -> tuple[Any, Any]:
    """The first and last touch of the user (or their browser's still anonymous ones) in the window
    before `at`: a touch bound to someone else (the sharer who opened their link in this browser)
    is never another account's."""
    who: list[Any] = [ReferralTouch.user_id == user_id]
    if visitor_id:
        who.append(and_(ReferralTouch.visitor_id == visitor_id, ReferralTouch.user_id.is_(None)))
    base = select(ReferralTouch.id, ReferralTouch.sharer_id).where(
        or_(*who),
        ReferralTouch.sharer_id != user_id,  # self-referral never counts
        ReferralTouch.touched_at >= at - timedelta(days=window_days()),
        ReferralTouch.touched_at <= at,
    )
    first = db.session.execute(
        base.order_by(ReferralTouch.touched_at.asc(), ReferralTouch.id.asc()).limit(1)
    ).first()
    if first is None:
        return None, None
    last = db.session.execute(
        base.order_by(ReferralTouch.touched_at.desc(), ReferralTouch.id.desc()).limit(1)
    ).first()
    return first, last


def record_conversion(
    user_id: int,
    kind: str,
    target_type: str | None,
    target_id: int | None,
    *,
    source_key: str,
    amount: Decimal | None = None,
    currency: str | None = None,
    at: datetime | None = None,
    visitor_id: str | None = None,
) -> ReferralConversion | None:
    """Attribute a sign-up, enrolment or purchase to the sharers whose links the user followed.

    None when no touch is in the window or this (kind, source) was recorded before. An attributed
    first enrolment in a target adds one to its `joined_count`. Flushes only."""
    if kind not in CONVERSION_KINDS:
        raise ValueError(f"Unknown conversion kind {kind!r}")
    at = at or utcnow()
    if visitor_id is None:
        visitor_id = current_visitor()
    first, last = _touches(user_id, visitor_id, at)
    if first is None:
        return None
    values = {
        "user_id": user_id,
        "kind": kind,
        "source_key": source_key[:64],
        "target_type": target_type,
        "target_id": target_id,
        "amount": amount,
        "currency": currency,
        "first_sharer_id": first.sharer_id,
        "last_sharer_id": last.sharer_id,
        "first_touch_id": first.id,
        "last_touch_id": last.id,
        "converted_at": at,
    }
    joined_before = kind == "enrollment" and _enrolment_attributed(user_id, target_type, target_id)
    new_id = db.session.scalar(
        conflict_insert(ReferralConversion)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[ReferralConversion.kind, ReferralConversion.source_key])
        .returning(ReferralConversion.id)
    )
    if new_id is None:  # recorded before (a retried signal)
        return None
    if kind == "enrollment" and target_type and target_id is not None and not joined_before:
        bump_share_count(target_type, target_id, joined=1)
    return db.session.get(ReferralConversion, new_id)


def _enrolment_attributed(user_id: int, target_type: str | None, target_id: int | None) -> bool:
    return (
        db.session.scalar(
            select(ReferralConversion.id)
            .where(
                ReferralConversion.user_id == user_id,
                ReferralConversion.kind == "enrollment",
                ReferralConversion.target_type == target_type,
                ReferralConversion.target_id == target_id,
            )
            .limit(1)
        )
        is not None
    )
