"""REST API of subscriptions: /api/v1/subscription (users read their own, admins all), changed only
through its actions: change_plan, cancel, auto_renew, and for admins suspend and resume; and
`GET /api/v1/subscription/features`, the caller's allowances.

A declined upgrade charge answers 409 (`{"message", "errors": {"payment": [reason]}, "payment_id"}`):
the old plan stays; `errors.payment` tells it apart from a subscription whose state forbids the change.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.billing.api_base import (
    READ_ONLY_ROUTES,
    BillingApiBase,
    flag,
    iso,
    json_object,
    registered,
    text_field,
)
from app.billing.api_payments import PaymentApi, checkout_result
from app.billing.models import Plan, Subscription
from app.billing.services import features, payments, subscriptions, suspension
from app.billing.services.entitlements import live_subscription, plan_feature
from app.billing.services.periods import plan_of
from app.core.api import BaseModelRestApi
from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.extensions import db
from app.lookups.services import values_of

MAX_BIGINT = 2**63 - 1
SUBSCRIPTION_COLUMNS = [
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "user_id",
    "plan_id",
    "plan.code",
    "status.code",
    "is_current",
    "started_at",
    "current_period_start",
    "current_period_end",
    "trial_ends_at",
    "auto_renew",
    "cancel_at_period_end",
    "pending_plan_id",
    "cancelled_at",
    "ended_at",
    "suspended_at",
    "suspension_reason",
]


def allowances(user_id: int) -> dict[str, Any]:
    """What the user's live subscription allows now: each feature with `allowed`, `limit` (None:
    unlimited; 0 when not allowed) and `left` in this period."""
    live = live_subscription(user_id)
    plan = plan_of(live) if live is not None else None
    result: dict[str, dict[str, Any]] = {}
    for lookup in values_of("plan_features"):
        allowed = features.allows(user_id, lookup.code)
        value = plan_feature(plan, lookup.code) if allowed and plan is not None else None
        result[lookup.code] = {
            "name": lookup.name,
            "allowed": allowed,
            "limit": (value.limit_value if value is not None else None) if allowed else 0,
            "left": features.limit_left(user_id, lookup.code),
        }
    return {
        "subscription_id": live.id if live is not None else None,
        "plan": plan.code if plan is not None else None,
        "features": result,
    }


class SubscriptionApi(BillingApiBase):
    """Own subscriptions (admins: all); written only through the actions and the services."""

    datamodel = SQLAInterface(Subscription)
    class_permission_name = "Subscription"
    include_route_methods = READ_ONLY_ROUTES | {
        "change_plan",
        "renew",
        "cancel",
        "auto_renew",
        "features",
        "suspend",
        "resume",
    }
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "change_plan": "change_plan",
        "cancel": "cancel",
        "auto_renew": "auto_renew",
        "features": "read",
        "suspend": "suspend",
        "resume": "resume",
    }
    decorated = True
    list_columns = show_columns = SUBSCRIPTION_COLUMNS
    search_columns = ["user", "plan", "status", "is_current", "current_period_end", "auto_renew"]
    order_columns = ["id", "started_at", "current_period_end"]
    base_order = ("id", "desc")

    def decorate(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Each subscription with its grace period: when access ends unpaid, and whether it is in it."""
        for item, data in rows:
            data["in_grace"] = subscriptions.in_grace(item)
            data["grace_ends_at"] = iso(subscriptions.grace_ends_at(item))

    @classmethod
    def view(cls, subscription: Subscription) -> dict[str, Any]:
        """The subscription as its show route gives it (fresh from the database)."""
        db.session.refresh(subscription)
        return registered(cls).dump(subscription)

    def _answer(self, subscription: Subscription, status: int = 200, **extra: Any) -> Response:
        return self.response(status, id=subscription.id, result=self.view(subscription), **extra)

    @expose("/features", methods=["GET"])
    @protect()
    @safe
    @permission_name("features")
    def features(self) -> Response:
        """The caller's allowances: {"subscription_id", "plan", "features": {code: {allowed, limit,
        left}}}."""
        return self.response(200, result=allowances(g.user.id))

    @expose("/<int:pk>/change_plan", methods=["POST"])
    @protect()
    @safe
    @permission_name("change_plan")
    def change_plan(self, pk: int) -> Response:
        """Change plan: {"plan_id"}. An upgrade is charged now (200 with the subscription and the
        payment; 409 when declined; 202 while a manual payment waits); a downgrade waits for the
        period end (`pending_plan_id`)."""

        def act() -> Response:
            subscription = self.scoped(pk)
            plan = self._plan(json_object().get("plan_id"))
            subscription, payment = subscriptions.change_plan(g.user, subscription, plan)
            if payment is None:
                return self._answer(subscription, payment=None)
            shown = registered(PaymentApi).dump(payment)
            if payments.is_status(payment, "failed"):
                reason = payment.failure_reason or "declined"
                return self.response(
                    409,
                    message=_("The payment was declined; your plan has not changed."),
                    errors={"payment": [reason]},
                    payment_id=payment.id,
                )
            if payments.is_status(payment, "pending"):
                return self._answer(subscription, 202, payment=shown, **checkout_result(payment))
            return self._answer(subscription, payment=shown)

        return self.run(act)

    @staticmethod
    def _plan(value: Any) -> Plan:
        """The plan a body names: active for users (any for admins); 422 otherwise."""
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_BIGINT:
            raise Invalid(_("Give the id of a plan."), {"plan_id": [_("Not an id.")]})
        plan = db.session.get(Plan, value)
        if plan is None or not (plan.is_active or is_admin(g.user)):
            raise Invalid(_("This plan is not available."), {"plan_id": [str(value)]})
        return plan

    @expose("/<int:pk>/renew", methods=["POST"])
    @protect()
    @safe
    @permission_name("renew")
    def renew(self, pk: int) -> Response:
        """In the grace period: a renewal payment to pay by hand, {"provider": "sandbox"} optional
        (202 with the checkout; 409 when the subscription needs no renewal now)."""

        def act() -> Response:
            subscription = self.scoped(pk)
            provider = text_field(json_object(), "provider", default="sandbox", limit=32)
            payment = subscriptions.renew_now(g.user, subscription, provider=provider)
            return self.response(202, **checkout_result(payment))

        return self.run(act)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @permission_name("cancel")
    def cancel(self, pk: int) -> Response:
        """Cancel: {"at_period_end": true} (the default: access continues until then) or false (now,
        with a refund per the refund policy)."""

        def act() -> Response:
            subscription = self.scoped(pk)
            at_end = flag(json_object(), "at_period_end", default=True)
            return self._answer(subscriptions.cancel(g.user, subscription, at_period_end=at_end))

        return self.run(act)

    @expose("/<int:pk>/auto_renew", methods=["POST"])
    @protect()
    @safe
    @permission_name("auto_renew")
    def auto_renew(self, pk: int) -> Response:
        """Switch automatic renewal: {"on": true|false} (on also withdraws a cancellation)."""

        def act() -> Response:
            subscription = self.scoped(pk)
            on = flag(json_object(), "on")
            return self._answer(subscriptions.set_auto_renew(g.user, subscription, on))

        return self.run(act)

    @expose("/<int:pk>/suspend", methods=["POST"])
    @protect()
    @safe
    @permission_name("suspend")
    def suspend(self, pk: int) -> Response:
        """Suspend (admins): {"reason"} (required, shown to the learner). Access stops until resumed;
        409 unless the subscription is a current trial or active one."""

        def act() -> Response:
            subscription = self.scoped(pk)
            reason = json_object().get("reason")
            suspended = suspension.suspend(g.user, subscription, reason)
            return self._answer(suspended)

        return self.run(act)

    @expose("/<int:pk>/resume", methods=["POST"])
    @protect()
    @safe
    @permission_name("resume")
    def resume(self, pk: int) -> Response:
        """Resume a suspended subscription (admins) as the trial or active one it was; 409 otherwise."""

        def act() -> Response:
            subscription = self.scoped(pk)
            resumed = suspension.resume(g.user, subscription)
            return self._answer(resumed)

        return self.run(act)
