"""REST API of billing: /api/v1/plan (with `subscribe`) and plan_feature here; subscriptions in
`api_subscriptions`; payments, invoices and webhook events in `api_payments`. `APIS` lists every
class for `register()`.

Signed-in users read the active plans (each with its `features` embedded) and their features;
admins read every plan and write plans and features. Visitors read plans on the public `/plans/`
page: FAB's API protection needs a login.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import list_currencies
from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.billing.api_base import CRUD_ROUTES, BillingApiBase, json_object, text_field
from app.billing.api_payments import InvoiceApi, PaymentApi, WebhookEventApi, checkout_result
from app.billing.api_subscriptions import SubscriptionApi
from app.billing.models import Plan, PlanFeature, Subscription
from app.billing.services import subscriptions
from app.core.api import BaseModelRestApi
from app.core.errors import Conflict, Invalid
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.extensions import db
from app.lookups.models import Lookup

SYSTEM = ["id", "uuid", "created_at", "updated_at"]
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_TRIAL_DAYS = 365
LIMIT_KIND = "limit"  # `plan_features` metadata: counted features take a limit, others are on or off


class FilterPlans(BaseFilter):
    """Admins: every plan and feature; others: active plans and their features."""

    name = "Offered plans"
    arg_name = "offered"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to active plans (or their features) unless the user is an admin."""
        if is_admin(g.get("user")):
            return query
        if self.model is Plan:
            return query.filter(Plan.is_active.is_(True))
        return query.filter(self.model.plan_id.in_(select(Plan.id).where(Plan.is_active.is_(True))))


OFFERED = [["id", FilterPlans, None]]


def feature_rows(plan_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The features of each plan as shown with it, in the lookup's order."""
    rows = db.session.execute(
        select(PlanFeature, Lookup)
        .join(Lookup, Lookup.id == PlanFeature.feature_id)
        .where(PlanFeature.plan_id.in_(plan_ids))
        .order_by(Lookup.sort_order, Lookup.id)
    )
    found: dict[int, list[dict[str, Any]]] = {plan_id: [] for plan_id in plan_ids}
    for value, lookup in rows:
        found[value.plan_id].append(
            {
                "id": value.id,
                "code": lookup.code,
                "name": lookup.name,
                "enabled": value.enabled,
                "limit_value": value.limit_value,
            }
        )
    return found


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
    if plan.currency not in list_currencies():
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
        if lookup is None or (lookup.meta or {}).get("kind") != LIMIT_KIND:
            raise Invalid(
                _("This feature is on or off; leave the limit empty."), {"limit_value": [_("Not allowed.")]}
            )
        if item.limit_value < 0:
            raise Invalid(_("The limit cannot be negative."), {"limit_value": [str(item.limit_value)]})
    taken = select(func.count(PlanFeature.id)).where(
        PlanFeature.plan_id == plan_id, PlanFeature.feature_id == getattr(lookup, "id", None)
    )
    if item.id is not None:
        taken = taken.where(PlanFeature.id != item.id)
    if db.session.scalar(taken):
        raise Conflict(_("This plan already has this feature; change that row instead."), {"feature": []})


class PlanApi(BillingApiBase):
    """Plans: signed-in users read the active ones and subscribe; admins write."""

    datamodel = SQLAInterface(Plan)
    class_permission_name = "Plan"
    include_route_methods = CRUD_ROUTES | {"subscribe"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "subscribe": "subscribe"}
    base_filters = OFFERED
    decorated = True
    optional_add_columns = ("currency", "trial_days", "is_active", "sort_order")
    list_columns = show_columns = [
        *SYSTEM,
        "code",
        "name",
        "translations",
        "price",
        "currency",
        "billing_cycle.code",
        "trial_days",
        "is_active",
        "sort_order",
    ]
    add_columns = edit_columns = [
        "code",
        "translations",
        "price",
        "currency",
        "billing_cycle",
        "trial_days",
        "is_active",
        "sort_order",
    ]
    search_columns = ["code", "price", "currency", "billing_cycle", "trial_days", "is_active"]
    order_columns = ["id", "code", "price", "trial_days", "sort_order"]
    base_order = ("sort_order", "asc")

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Each plan with its billing months and its features."""
        features = feature_rows([item.id for item, _data in rows])
        for item, data in rows:
            data["cycle_months"] = item.cycle_months
            data["features"] = features.get(item.id, [])

    def pre_add(self, item: Plan) -> None:
        """The plan's rules hold."""
        with db.session.no_autoflush:
            check_plan(item)

    def pre_update(self, item: Plan) -> None:
        """The plan's rules hold."""
        with db.session.no_autoflush:
            check_plan(item)

    def pre_delete(self, item: Plan) -> None:
        """A plan someone is (or will be) on is deactivated instead: their renewals need it."""
        used = select(func.count(Subscription.id)).where(
            Subscription.is_current.is_(True),
            or_(Subscription.plan_id == item.id, Subscription.pending_plan_id == item.id),
        )
        if db.session.scalar(used):
            raise Conflict(_("Subscribers are on this plan: deactivate it instead of deleting it."))

    @expose("/<int:pk>/subscribe", methods=["POST"])
    @protect()
    @safe
    @permission_name("subscribe")
    def subscribe(self, pk: int) -> Response:
        """Subscribe: {"provider": "sandbox"} optional. 201 with the subscription (a trial or a free
        plan), or 202 with {"payment_id", "checkout_url"} to pay first."""

        def act() -> Response:
            plan = self.scoped(pk)
            provider = text_field(json_object(), "provider", default="sandbox", limit=32)
            subscription, payment = subscriptions.subscribe(g.user, plan, provider=provider)
            if subscription is not None:
                return self.response(201, id=subscription.id, result=SubscriptionApi.view(subscription))
            return self.response(202, **checkout_result(payment))

        return self.run(act)


class PlanFeatureApi(BillingApiBase):
    """What each plan gives: signed-in users read those of active plans; admins write."""

    datamodel = SQLAInterface(PlanFeature)
    class_permission_name = "PlanFeature"
    include_route_methods = CRUD_ROUTES
    base_filters = OFFERED
    optional_add_columns = ("enabled", "limit_value")
    decorated = True
    list_columns = show_columns = [*SYSTEM, "plan_id", "feature.code", "enabled", "limit_value"]
    add_columns = edit_columns = ["plan", "feature", "enabled", "limit_value"]
    search_columns = ["plan", "feature", "enabled"]
    order_columns = ["id", "plan_id"]
    base_order = ("id", "asc")

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Each feature's name in the viewer's language."""
        for item, data in rows:
            data["feature_name"] = item.feature.name

    def pre_add(self, item: PlanFeature) -> None:
        """The feature's rules hold."""
        with db.session.no_autoflush:
            check_plan_feature(item)

    def pre_update(self, item: PlanFeature) -> None:
        """The feature's rules hold."""
        with db.session.no_autoflush:
            check_plan_feature(item)


APIS = (PlanApi, PlanFeatureApi, SubscriptionApi, PaymentApi, InvoiceApi, WebhookEventApi)
