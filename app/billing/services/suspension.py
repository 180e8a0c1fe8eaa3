"""Admins suspend a subscription (with a reason the learner sees) and resume it.

A suspended subscription stays the user's current one (no new subscription around it) but gives no
access: `entitlements.live_clause` knows only trial and active ones, and the scheduled renewals,
expiry and reminders skip it. Its period is not extended for the suspended time; a subscription
whose period ran out while suspended is due again from its resume. Both steps only flush: the
caller (API action, back-office action) commits. The audit log records each change with its actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.billing.models import Subscription
from app.billing.services.periods import clock, is_status, require_locked, status_id
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import as_utc
from app.core.targets import is_admin
from app.extensions import db

REASON_LIMIT = 500


def _require_admin(user: Any) -> None:
    if not is_admin(user):
        raise Forbidden(_("Only an administrator can suspend or resume a subscription."))


def clean_reason(reason: Any) -> str:
    """The reason as stored: required text of at most REASON_LIMIT characters (422 otherwise)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid(_("Give the reason for the suspension."), {"reason": [_("This field is required.")]})
    if len(text) > REASON_LIMIT:
        raise Invalid(
            _("The reason is too long."),
            {"reason": [_("At most %(count)d characters.", count=REASON_LIMIT)]},
        )
    return text


def can_suspend(subscription: Subscription) -> bool:
    """A current trial or active subscription can be suspended."""
    return subscription.is_current and (is_status(subscription, "trial") or is_status(subscription, "active"))


def can_resume(subscription: Subscription) -> bool:
    """A current suspended subscription can be resumed."""
    return subscription.is_current and is_status(subscription, "suspended")


def _was_trial(subscription: Subscription) -> bool:
    """A trial keeps its trial period as its current period until it converts or ends."""
    trial_end = as_utc(subscription.trial_ends_at)
    return trial_end is not None and trial_end == as_utc(subscription.current_period_end)


def suspend(
    user: Any, subscription: Subscription, reason: Any, *, now: datetime | None = None
) -> Subscription:
    """Suspend a current trial or active subscription with a reason: access stops until resumed."""
    _require_admin(user)
    text = clean_reason(reason)
    subscription = require_locked(subscription)
    if not can_suspend(subscription):
        raise Conflict(_("Only a current trial or active subscription can be suspended."))
    subscription.status_id = status_id("suspended")
    subscription.suspended_at, subscription.suspension_reason = clock(now), text
    db.session.flush()
    return subscription


def resume(user: Any, subscription: Subscription, *, now: datetime | None = None) -> Subscription:
    """Resume a suspended subscription as the trial or active one it was. A period that ended while
    suspended ends at the resume instead, so the next renewal charges a period from now (or the
    subscription ends if it does not renew), never the suspended time."""
    _require_admin(user)
    now = clock(now)
    subscription = require_locked(subscription)
    if not can_resume(subscription):
        raise Conflict(_("Only a suspended subscription can be resumed."))
    trial = _was_trial(subscription)
    if as_utc(subscription.current_period_end) <= now:
        subscription.current_period_end = now
        if trial:
            subscription.trial_ends_at = now
    subscription.status_id = status_id("trial" if trial else "active")
    subscription.suspended_at = subscription.suspension_reason = None
    db.session.flush()
    return subscription
