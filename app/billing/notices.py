"""What billing tells people (an invoice ready, a declined renewal, a subscription about to end), and
its wording."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.billing.models import Invoice, Payment, Plan, Subscription
from app.core.money import money_text
from app.core.translations import translated
from app.notifications.services import in_each_language, notify, register_message
from app.security.models import LmsUser


def register_messages() -> None:
    """The sentences of the notifications billing sends (the reminders keep the e-mails' wording)."""
    register_message("invoice", _l("Your invoice %(number)s for %(total)s is ready"))
    register_message(
        "payment_failed", _l("The payment for your %(plan)s subscription was declined"), event="failed"
    )
    register_message(
        "payment_failed",
        _l(
            "The payment for your %(plan)s subscription was declined. You keep your access until "
            "%(date)s: renew before then."
        ),
        event="grace",
    )
    register_message(
        "subscription_reminder",
        _l(
            "Your trial of the %(plan)s plan ends on %(date)s. Your subscription then starts and "
            "%(amount)s is charged for the first period, unless you cancel before."
        ),
        event="trial_ends",
    )
    register_message(
        "subscription_reminder",
        _l(
            "Your %(plan)s subscription ends on %(date)s and will not renew. Renew it before then to "
            "keep your courses and features."
        ),
        event="ends",
    )


def plan_name(plan: Plan) -> dict[str, str]:
    """A plan's name in English and in Arabic (its code when unnamed)."""
    return {lang: translated(plan.translations, "name", lang) or plan.code for lang in ("en", "ar")}


def local_day(value: datetime, user: LmsUser) -> dict[str, str]:
    """The day of a moment in the user's timezone, written in each language."""
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    day = value.astimezone(zone).date()
    return in_each_language(lambda: format_date(day, "d MMMM y"))


def invoice_ready(invoice: Invoice) -> None:
    """Tell the buyer their invoice is there (the e-mail with its PDF is billing's own)."""
    notify(
        invoice.user_id,
        "invoice",
        invoice,
        number=invoice.number,
        total=in_each_language(lambda: money_text(invoice.total, invoice.currency)),
    )


def renewal_declined(payment: Payment, subscription: Subscription, grace_ends: datetime | None) -> None:
    """Tell the subscriber a renewal charge failed: until when they keep access, if they do."""
    params: dict[str, Any] = {"plan": plan_name(payment.plan or subscription.plan)}
    if grace_ends is not None:
        params.update(event="grace", date=local_day(grace_ends, subscription.user))
    else:
        params["event"] = "failed"
    notify(subscription.user_id, "payment_failed", subscription, **params)


def remind(subscription: Subscription, plan: Plan, end: datetime, trial: bool) -> list[int]:
    """Tell the subscriber their trial or subscription ends soon (once per period)."""
    params: dict[str, Any] = {"plan": plan_name(plan), "date": local_day(end, subscription.user)}
    if trial:
        params.update(
            event="trial_ends", amount=in_each_language(lambda: money_text(plan.price, plan.currency))
        )
    else:
        params["event"] = "ends"
    return notify(
        subscription.user_id,
        "subscription_reminder",
        subscription,
        key=f"subscription_reminder:{subscription.id}:{end.isoformat()}",
        **params,
    )
