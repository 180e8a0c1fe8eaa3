"""Feature gating by plan: whether the user's live subscription includes a feature, how much of a
limited one is left in the current period, consuming it atomically, and a route decorator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.billing.models import FeatureUsage, PlanFeature, Subscription
from app.billing.services.entitlements import live_subscription, plan_feature
from app.billing.services.periods import clock, plan_of
from app.core.errors import AppError, Forbidden, error_response
from app.core.models import as_utc, utcnow
from app.core.targets import signed_in_user_id
from app.extensions import db
from app.lookups.models import Lookup
from app.lookups.services import lookup_id

F = TypeVar("F", bound=Callable[..., Any])


class FeatureNotInPlan(Forbidden):
    """The user's plan (or lack of one) does not include the feature (403)."""


class FeatureLimitReached(Forbidden):
    """The plan's allowance of a limited feature is used up for this period (403)."""


def feature_name(code: str) -> str:
    """The feature's name in the current language, in lower case for use inside a sentence."""
    feature_id = lookup_id("plan_features", code)
    lookup = db.session.get(Lookup, feature_id) if feature_id else None
    name = lookup.name if lookup is not None else code.replace("_", " ")
    return name.lower()


def feature_value(
    user_id: int, code: str, now: datetime | None = None
) -> tuple[Subscription | None, PlanFeature | None]:
    """The live subscription and its plan's switched-on value of the feature (None when absent)."""
    subscription = live_subscription(user_id, clock(now))
    if subscription is None:
        return None, None
    value = plan_feature(plan_of(subscription), code)
    return subscription, value if value is not None and value.enabled else None


def allows(user_id: int, code: str, now: datetime | None = None) -> bool:
    """True when the user's live subscription's plan has the feature switched on."""
    return feature_value(user_id, code, now)[1] is not None


def _used(user_id: int, code: str, subscription: Subscription) -> int:
    used = db.session.scalar(
        select(FeatureUsage.used).where(
            FeatureUsage.user_id == user_id,
            FeatureUsage.feature_code == code,
            FeatureUsage.period_start == subscription.current_period_start,
        )
    )
    return used or 0


def limit_left(user_id: int, code: str, now: datetime | None = None) -> int | None:
    """How many uses are left in the current period: None for unlimited, 0 when not in the plan."""
    subscription, value = feature_value(user_id, code, now)
    if value is None:
        return 0
    if value.limit_value is None:
        return None
    return max(value.limit_value - _used(user_id, code, subscription), 0)


def not_in_plan(code: str, subscription: Subscription | None) -> FeatureNotInPlan:
    """The refusal for a feature the user's plan (or lack of one) does not include."""
    if subscription is None:
        return FeatureNotInPlan(
            _("This needs a subscription that includes %(feature)s.", feature=feature_name(code))
        )
    return FeatureNotInPlan(_("Your plan does not include %(feature)s.", feature=feature_name(code)))


def _used_up(code: str, subscription: Subscription, limit: int) -> FeatureLimitReached:
    day = format_date(as_utc(subscription.current_period_end), "d MMMM y")
    used_up = _(
        "Your plan's %(feature)s for this period are used up (%(used)d of %(limit)d).",
        feature=feature_name(code),
        used=limit,
        limit=limit,
    )
    if subscription.auto_renew and not subscription.cancel_at_period_end:
        more = _("They renew on %(date)s.", date=day)
    else:
        more = _("Your subscription ends on %(date)s.", date=day)
    return FeatureLimitReached(f"{used_up} {more}", {"feature": [code]})


def check(user_id: int, code: str, now: datetime | None = None) -> None:
    """Raise FeatureNotInPlan, or FeatureLimitReached when nothing is left of a limited feature."""
    subscription, value = feature_value(user_id, code, now)
    if value is None:
        raise not_in_plan(code, subscription)
    if value.limit_value is not None and _used(user_id, code, subscription) >= value.limit_value:
        raise _used_up(code, subscription, value.limit_value)


def _upsert(user_id: int, code: str, period_start: datetime, amount: int, limit: int | None) -> int | None:
    """Add `amount` to the period's usage in one statement; None when that would pass the limit.

    INSERT ... ON CONFLICT DO UPDATE ... WHERE: a concurrent consumer waits for the row, and the
    condition is checked against its committed value, so two requests can never both take the last use.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = FeatureUsage.__table__
    statement = insert(table).values(
        user_id=user_id, feature_code=code, period_start=period_start, used=amount, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.feature_code, table.c.period_start],
        set_={"used": table.c.used + amount, "updated_at": utcnow()},
        where=None if limit is None else table.c.used + amount <= limit,
    ).returning(table.c.used)
    return db.session.execute(statement).scalar()


def consume(user_id: int, code: str, amount: int = 1, now: datetime | None = None) -> int:
    """Use `amount` of a feature in the current period, atomically; returns the period's usage after.
    Raises FeatureNotInPlan or FeatureLimitReached (nothing is used then)."""
    if amount < 1:
        raise ValueError("amount must be positive")
    subscription, value = feature_value(user_id, code, now)
    if value is None:
        raise not_in_plan(code, subscription)
    limit = value.limit_value
    used = (
        None
        if limit is not None and amount > limit
        else _upsert(user_id, code, subscription.current_period_start, amount, limit)
    )
    if used is None:
        raise _used_up(code, subscription, limit)
    return used  # the caller's transaction commits it (a failed request uses nothing)


def _request_user_id() -> int | None:
    """The signed-in user of the request: the session's, or the API token's."""
    user_id = signed_in_user_id(g.get("user"))
    if user_id is None and request.headers.get("Authorization"):
        from flask_jwt_extended import verify_jwt_in_request

        try:
            verify_jwt_in_request(optional=True)  # FAB's loader sets g.user
        except Exception:  # an invalid token is the same as none here
            return None
        user_id = signed_in_user_id(g.get("user"))
    return user_id


def require_feature(code: str) -> Callable[[F], F]:
    """Route decorator: 403 (JSON `{message, errors}` for /api/, a page otherwise) unless the user's
    plan includes the feature and, for a limited one, some is left. Put it below FAB's `@protect()`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user_id = _request_user_id()
            if user_id is None:
                return error_response(401, _("Please sign in."))
            try:
                check(user_id, code)
            except AppError as error:
                return error_response(error.status_code, error.message, error.errors)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
