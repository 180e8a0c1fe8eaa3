"""The revenue dashboard (PRD 7.2): MRR, subscriptions by plan, conversion, churn, ARPU, LTV, plan
changes and purchases against subscriptions for a chosen window, with charts and a CSV export."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import format_date, format_decimal, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.billing.models import Plan
from app.billing.services.metrics import RevenueMetrics, metrics_csv, revenue_by_day, revenue_metrics
from app.core.formatters import format_user_datetime
from app.core.money import money_html
from app.extensions import db

WINDOWS = {7: _l("7 days"), 30: _l("30 days"), 90: _l("90 days"), 365: _l("365 days")}
DEFAULT_WINDOW = 30
EMPTY = "—"


def chosen_window() -> int:
    """The `days` query parameter when it is one of the offered windows, else 30."""
    days = request.args.get("days", type=int)
    return days if days in WINDOWS else DEFAULT_WINDOW


def _number(value: Decimal | int | None, pattern: str = "#,##0.00") -> str:
    return EMPTY if value is None else format_decimal(value, pattern)


def _money(value: Decimal | None, currency: str) -> str | Markup:
    """An amount in the currency's format when the figures share one currency, else a bare number."""
    if value is None or not currency:
        return _number(value)
    return money_html(value, currency)


def _percent(value: Decimal | None) -> str:
    return EMPTY if value is None else f"{format_decimal(value, '#,##0.##')}%"


def _plans(codes: list[str]) -> dict[str, Plan]:
    """The plans behind the metrics' plan codes (deleted plans too: their subscribers still count)."""
    if not codes:
        return {}
    query = select(Plan).where(Plan.code.in_(codes)).execution_options(include_deleted=True)
    return {plan.code: plan for plan in db.session.scalars(query)}


def _card(key: str, label: Any, value: str | Markup, hint: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, "hint": hint}


def cards(metrics: RevenueMetrics, currency: str) -> list[dict[str, Any]]:
    """The figures shown as cards: key, label, formatted value, and a hint."""
    active = sum(states.get("active", 0) for states in metrics.active_by_plan.values())
    trials = sum(states.get("trial", 0) for states in metrics.active_by_plan.values())
    trial_hint = gettext(
        "%(converted)d of %(started)d trials started in the window paid.",
        converted=metrics.trials_converted,
        started=metrics.trials_started,
    )
    churn_hint = gettext(
        "%(churned)d of %(base)d subscriptions ended in the window.",
        churned=metrics.churned,
        base=metrics.current_at_start,
    )
    share_hint = gettext(
        "Course purchases: %(share)s of the payments.", share=_percent(metrics.purchase_share)
    )
    return [
        _card(
            "mrr",
            _l("Monthly recurring revenue"),
            _money(metrics.mrr, currency),
            _l("Active subscriptions, each at its price per month."),
        ),
        _card(
            "active",
            _l("Active subscriptions"),
            _number(active, "#,##0"),
            gettext("And %(count)d in trial.", count=trials),
        ),
        _card("trial_conversion", _l("Trial conversion"), _percent(metrics.trial_conversion), trial_hint),
        _card("churn", _l("Churn"), _percent(metrics.churn_rate), churn_hint),
        _card(
            "revenue",
            _l("Revenue"),
            _money(metrics.revenue, currency),
            _l("Paid in the window, after refunds."),
        ),
        _card(
            "arpu",
            _l("Average revenue per paying user"),
            _money(metrics.arpu, currency),
            gettext("%(count)d paying users.", count=metrics.paying_users),
        ),
        _card(
            "ltv",
            _l("Customer lifetime value"),
            _money(metrics.ltv, currency),
            _l("Average revenue per user over the churn rate."),
        ),
        _card(
            "upgrades",
            _l("Upgrade rate"),
            _percent(metrics.upgrade_rate),
            gettext("%(count)d upgrades.", count=metrics.upgrades),
        ),
        _card(
            "downgrades",
            _l("Downgrade rate"),
            _percent(metrics.downgrade_rate),
            gettext("%(count)d downgrades.", count=metrics.downgrades),
        ),
        _card(
            "purchases",
            _l("Purchases against subscriptions"),
            f"{metrics.purchases} / {metrics.subscription_payments}",
            share_hint,
        ),
    ]


def chart_data(metrics: RevenueMetrics, plans: dict[str, Plan], days: int) -> dict[str, Any]:
    """What revenue.js draws, every label already translated."""
    codes = list(metrics.active_by_plan)
    daily = revenue_by_day(days)
    return {
        "plans": {
            "labels": [str(plans[code]) if code in plans else code for code in codes],
            "datasets": [
                {
                    "label": gettext("Active"),
                    "data": [metrics.active_by_plan[c].get("active", 0) for c in codes],
                },
                {
                    "label": gettext("Trial"),
                    "data": [metrics.active_by_plan[c].get("trial", 0) for c in codes],
                },
            ],
        },
        "mix": {
            "labels": [gettext("Course purchases"), gettext("Subscription payments")],
            "data": [metrics.purchases, metrics.subscription_payments],
        },
        "daily": {
            "labels": [format_date(entry.day, "short") for entry in daily],
            "datasets": [
                {"label": gettext("Subscriptions"), "data": [float(entry.subscriptions) for entry in daily]},
                {"label": gettext("Course purchases"), "data": [float(entry.purchases) for entry in daily]},
            ],
        },
    }


class RevenueDashboardView(BaseView):
    """Admins follow the subscription business: figures, charts and a CSV of one window."""

    route_base = "/billing/revenue"
    default_view = "index"
    class_permission_name = "RevenueDashboard"
    method_permission_name = {"index": "read", "csv": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The figures of the chosen window as cards, tables and charts."""
        days = chosen_window()
        metrics = revenue_metrics(days)
        plans = _plans(list(metrics.active_by_plan))
        # Money figures add plan prices together: name the currency only when every plan shares one.
        currencies = {plan.currency for plan in plans.values()}
        currency = currencies.pop() if len(currencies) == 1 else ""
        return self.render_template(
            "billing/revenue.html",
            days=days,
            windows=WINDOWS,
            metrics=metrics,
            cards=cards(metrics, currency),
            plans=plans,
            charts=chart_data(metrics, plans, days),
            since=format_user_datetime(metrics.since),
            until=format_user_datetime(metrics.until),
        )

    @expose("/csv")
    @has_access
    def csv(self) -> Response:
        """The figures of the chosen window as CSV (metric, value)."""
        days = chosen_window()
        return Response(
            metrics_csv(revenue_metrics(days)),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="revenue-{days}d.csv"'},
        )
