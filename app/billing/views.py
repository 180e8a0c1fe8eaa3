"""The billing back office (admins): every screen, in menu order, for `register()`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.billing.views_invoices import InvoiceModelView
from app.billing.views_payments import PaymentModelView, SubscriptionModelView, WebhookEventModelView
from app.billing.views_plans import PlanFeatureModelView, PlanModelView
from app.billing.views_revenue import RevenueDashboardView

# Headed groups of the Billing menu, in the order shown (app/core/menus.py).
MENU_GROUPS: list[tuple[str, Any]] = [("sales", _l("Sales")), ("plans", _l("Plans and features"))]

# (view class, menu name, label, icon[, menu group]); without a group: after the groups
VIEWS: list[tuple[Any, ...]] = [
    (RevenueDashboardView, "Revenue", _l("Revenue"), "fa-chart-line", "sales"),
    (PlanModelView, "Plans", _l("Plans"), "fa-layer-group", "plans"),
    (PlanFeatureModelView, "Plan Features", _l("Plan features"), "fa-check-square", "plans"),
    (SubscriptionModelView, "Subscriptions", _l("Subscriptions"), "fa-sync-alt", "sales"),
    (PaymentModelView, "Payments", _l("Payments"), "fa-money-bill", "sales"),
    (InvoiceModelView, "Invoices", _l("Invoices"), "fa-file-invoice-dollar", "sales"),
    (WebhookEventModelView, "Webhook Deliveries", _l("Webhook deliveries"), "fa-plug"),
]
