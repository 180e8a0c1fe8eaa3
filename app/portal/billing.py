"""Portal billing pages: plans and pricing, subscribing (trial or checkout), buying a course.

Routes only: every rule lives in `app.billing.services`. Forms post back and redirect with a flashed
message; service errors are flashed, never shown as error pages. My subscription and My payments are
in `app.portal.billing_account`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from app.billing.models import Payment, Plan, PlanFeature, Subscription
from app.billing.services import checkout, payments, subscriptions
from app.billing.services.periods import current_subscription
from app.core.errors import AppError
from app.core.money import money_text
from app.core.translations import LANGUAGES, current_language, translated
from app.courses.models import Course
from app.courses.services import access
from app.extensions import db
from app.lookups.services import values_of
from app.portal.courses import OG_LOCALES, _course_for, _user
from app.portal.views import portal
from app.security.permissions import has_permission, requires_permission

LIMIT_KIND = "limit"


# ---- shared helpers (also used by billing_account) ----------------------------------------------
def login_redirect(back: str) -> Response:
    """To the login page, coming back to `back` (a GET page: a form post cannot be replayed)."""
    return redirect(url_for("AuthDBView.login", next=back))


def gateway_code() -> str:
    """The provider portal checkouts use: the sandbox where it is on, else bank transfer (manual)."""
    return "sandbox" if current_app.config.get("BILLING_SANDBOX_ENABLED", True) else "manual"


def active_plans() -> list[Plan]:
    """The plans on sale, in their display order."""
    return list(
        db.session.scalars(select(Plan).where(Plan.is_active.is_(True)).order_by(Plan.sort_order, Plan.id))
    )


def plan_by_code(code: str) -> Plan | None:
    """An active plan by its code, or None."""
    return db.session.scalar(select(Plan).where(Plan.code == code, Plan.is_active.is_(True)))


def price_per_cycle(plan: Plan) -> str:
    """The plan's price with its billing period ("$9.99 / month")."""
    price = money_text(plan.price, plan.currency)
    months = plan.cycle_months
    if months == 1:
        return _("%(price)s / month", price=price)
    if months == 12:
        return _("%(price)s / year", price=price)
    return ngettext("%(price)s every %(num)d month", "%(price)s every %(num)d months", months, price=price)


def feature_cell(value: PlanFeature | None, kind: str) -> dict[str, Any]:
    """How a plan's value of a feature reads in a table: ✓, —, a limit or "Unlimited"."""
    if value is None or not value.enabled:
        return {"included": False, "text": "—", "label": _("Not included")}
    if kind != LIMIT_KIND:
        return {"included": True, "text": "✓", "label": _("Included")}
    if value.limit_value is None:
        return {"included": True, "text": _("Unlimited"), "label": _("Unlimited")}
    return {
        "included": True,
        "text": format_number(value.limit_value),
        "label": format_number(value.limit_value),
    }


def feature_rows(plans: list[Plan]) -> list[dict[str, Any]]:
    """The features table: each feature some plan has, with one cell per plan (lookup names in the
    viewer's language)."""
    if not plans:
        return []
    values = db.session.scalars(select(PlanFeature).where(PlanFeature.plan_id.in_([p.id for p in plans])))
    by_key = {(v.plan_id, v.feature_id): v for v in values}
    rows = []
    for feature in values_of("plan_features"):
        cells = [
            feature_cell(by_key.get((plan.id, feature.id)), (feature.meta or {}).get("kind", ""))
            for plan in plans
        ]
        if any(cell["included"] for cell in cells):
            rows.append({"code": feature.code, "name": feature.name, "cells": cells})
    return rows


def describe_date(value: Any) -> str:
    """A day in the viewer's language and time zone."""
    return format_date(value, "long") if value else ""


# ---- plans ----------------------------------------------------------------------------------------
def _seo() -> dict[str, Any]:
    """Title, description, canonical and language alternates of the plans page."""
    language = current_language()
    base = url_for("portal.plans", _external=True)
    return {
        "title": _("Plans and pricing"),
        "description": _("Subscribe to learn without limits: compare our plans, their prices and features."),
        "canonical": f"{base}?_l_={language}",
        "alternates": [(lang, f"{base}?_l_={lang}") for lang in LANGUAGES] + [("x-default", base)],
        "og_locale": OG_LOCALES.get(language, "en_US"),
    }


def _action(plan: Plan, user: Any, current: Subscription | None, trial_used: bool) -> str:
    """What the plan's card offers: current, pending, change, trial, subscribe (or sign in first)."""
    if current is not None:
        if current.plan_id == plan.id:
            return "current"
        return "pending" if current.pending_plan_id == plan.id else "change"
    if plan.trial_days > 0 and not trial_used:
        return "trial"
    return "subscribe"


@portal.route("/plans/")
def plans() -> str:
    """The public plans page: prices, trials, the features table and the right action per plan."""
    user = _user()
    plans = active_plans()
    current = current_subscription(user.id) if user else None
    trial_used = subscriptions.had_trial(user.id) if user else False
    cards = [
        {
            "plan": plan,
            "name": plan.name,
            "description": translated(plan.translations, "description"),
            "price": price_per_cycle(plan),
            "cycle": plan.billing_cycle.name if plan.billing_cycle else "",
            "trial_days": plan.trial_days,
            "action": _action(plan, user, current, trial_used),
        }
        for plan in plans
    ]
    return render_template(
        "portal/plans.html",
        cards=cards,
        features=feature_rows(plans),
        seo=_seo(),
        signed_in=user is not None,
        has_subscription=current is not None,
        may_subscribe=has_permission("can_subscribe", "Plan"),  # as the subscribe route checks
        back=checkout.return_path(request.args.get("next")),  # where subscribing returns to
    )


@portal.route("/plans/<code>/subscribe", methods=["POST"])
@requires_permission("can_subscribe", "Plan")
def subscribe(code: str) -> Response:
    """Start a trial (to the page the plans were opened from, else My subscription) or a paid
    subscription (to the provider's checkout, which comes back to the same place)."""
    user = _user()
    if user is None:
        return login_redirect(url_for("portal.plans"))
    plan = plan_by_code(code)
    if plan is None:
        flash(_("This plan is not available."), "danger")
        return redirect(url_for("portal.plans"))
    back = checkout.return_path(request.form.get("next"))  # the page that sent them here, if ours
    try:
        subscription, payment = subscriptions.subscribe(user, plan, provider=gateway_code(), return_to=back)
    except AppError as error:
        flash(error.message, "danger")
        if error.status_code == 409:  # already subscribed: their subscription is where to change it
            return redirect(url_for("portal.my_subscription"))
        return redirect(url_for("portal.plans"))
    if subscription is not None:
        if subscription.trial_ends_at is not None:
            flash(
                _(
                    "Your free trial of %(plan)s has started. It ends on %(date)s.",
                    plan=plan.name,
                    date=describe_date(subscription.trial_ends_at),
                ),
                "success",
            )
        else:
            flash(_("You are subscribed to %(plan)s.", plan=plan.name), "success")
        return redirect(back or url_for("portal.my_subscription"))
    return to_checkout(payment)


def to_checkout(payment: Payment | None) -> Response:
    """To the provider's page for a pending payment; without one (bank transfer) to My payments."""
    url = payments.checkout_url(payment) if payment is not None else None
    if url:
        return redirect(url)
    flash(
        _(
            "Your order is recorded. Pay by bank transfer or in cash; we confirm it as soon as "
            "the money arrives."
        ),
        "info",
    )
    return redirect(url_for("portal.my_payments"))


# ---- buying a course ------------------------------------------------------------------------------
@portal.route("/courses/<slug>/buy", methods=["POST"])
@requires_permission("can_purchase", "Payment")
def buy_course(slug: str) -> Response:
    """Buy a paid course for life: a pending payment, then the provider's checkout."""
    user = _user()
    if user is None:
        return login_redirect(url_for("portal.course_page", slug=slug))
    found = _course_for(slug, user)
    if not isinstance(found, Course):
        return found
    page = url_for("portal.course_page", slug=found.slug)
    if access.can_manage(user, found):
        flash(_("You teach or manage this course: it is already open to you."), "info")
        return redirect(page)
    try:
        payment = payments.buy_course(user, found, provider=gateway_code())
    except AppError as error:
        flash(error.message, "danger")
        return redirect(page)
    return to_checkout(payment)


from app.portal import billing_account  # noqa: E402, F401  (the account pages: same blueprint)
