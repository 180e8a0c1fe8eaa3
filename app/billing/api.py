"""REST API of billing: /api/v1/plan (with `subscribe`) and plan_feature here; subscriptions in
`api_subscriptions`; payments, invoices and webhook events in `api_payments`. `APIS` lists every
class for `register()`.

Signed-in users read the active plans (each with its `features` embedded) and their features;
admins read every plan and write plans and features. Visitors read plans on the public `/plans/`
page: FAB's API protection needs a login.
"""

from __future__ import annotations

from typing import Any

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
from app.billing.services.plans import check_plan, check_plan_feature
from app.core.api import BaseModelRestApi
from app.core.errors import Conflict
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.extensions import db
from app.lookups.models import Lookup

SYSTEM = ["id", "uuid", "created_at", "updated_at"]


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
