"""Plan rules, shared by the back office and the API: a plan's code, names, price, currency and
trial; a plan feature's limit (counted features only, never negative) and uniqueness per plan."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import list_currencies
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.billing.models import Plan, PlanFeature
from app.core.errors import Conflict, Invalid
from app.extensions import db
from app.lookups.models import Lookup

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_TRIAL_DAYS = 365
LIMIT_KIND = "limit"  # `plan_features` metadata: counted features take a limit, others are on or off


def valid_currency(code: Any) -> bool:
    """An ISO 4217 currency code (USD, SAR, EUR...)."""
    return isinstance(code, str) and code in list_currencies()


def takes_limit(feature: Lookup | None) -> bool:
    """Counted features (courses, downloads, job postings, event registrations) take a limit."""
    return feature is not None and (feature.meta or {}).get("kind") == LIMIT_KIND


def feature_taken(plan_id: Any, feature_id: Any, except_id: Any = None) -> bool:
    """The plan already lists this feature (in another live row)."""
    query = select(func.count(PlanFeature.id)).where(
        PlanFeature.plan_id == plan_id, PlanFeature.feature_id == feature_id
    )
    if except_id is not None:
        query = query.where(PlanFeature.id != except_id)
    with db.session.no_autoflush:  # the row being checked is not ready to be written yet
        return bool(db.session.scalar(query))


def check_plan(plan: Plan) -> None:
    """A plan's own rules: code, English name, price, currency, trial (422), unique code (409)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(plan.code, str) or not CODE_PATTERN.match(plan.code):
        errors["code"] = [_("Use lower-case letters, digits, '-' and '_' (for example: premium-monthly).")]
    if not str(((plan.translations or {}).get("en") or {}).get("name") or "").strip():
        errors["translations"] = [_("Give the plan a name in English.")]
    if plan.price is None or not Decimal(0) <= Decimal(plan.price) <= MAX_PRICE:
        errors["price"] = [_("From 0 to %(max)s.", max=MAX_PRICE)]
    plan.currency = (plan.currency or "USD").strip().upper()
    if not valid_currency(plan.currency):
        errors["currency"] = [_("Use a three-letter ISO currency code such as USD or SAR.")]
    if plan.trial_days is not None and not 0 <= plan.trial_days <= MAX_TRIAL_DAYS:
        errors["trial_days"] = [_("From 0 to 365 days.")]
    if errors:
        raise Invalid(_("The data is not valid."), errors)
    taken = select(func.count(Plan.id)).where(Plan.code == plan.code).execution_options(include_deleted=True)
    if plan.id is not None:
        taken = taken.where(Plan.id != plan.id)
    if db.session.scalar(taken):
        raise Conflict(_("Another plan has this code."), {"code": [plan.code]})


def check_plan_feature(item: PlanFeature) -> None:
    """A limit only for counted features and never negative (422); each feature once per plan (409)."""
    lookup = item.feature or (db.session.get(Lookup, item.feature_id) if item.feature_id else None)
    plan_id = item.plan.id if item.plan is not None else item.plan_id
    if item.limit_value is not None:
        if not takes_limit(lookup):
            raise Invalid(
                _("This feature is on or off; leave the limit empty."), {"limit_value": [_("Not allowed.")]}
            )
        if item.limit_value < 0:
            raise Invalid(_("The limit cannot be negative."), {"limit_value": [str(item.limit_value)]})
    if feature_taken(plan_id, getattr(lookup, "id", None), item.id):
        raise Conflict(_("This plan already has this feature; edit that row instead."), {"feature": []})
