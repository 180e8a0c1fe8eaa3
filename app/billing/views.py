"""The billing back office (admins): every screen, in menu order, for `register()`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.billing.views_invoices import InvoiceModelView
from app.billing.views_payments import PaymentModelView, SubscriptionModelView, WebhookEventModelView
from app.billing.views_plans import PlanFeatureModelView, PlanModelView
from app.billing.views_revenue import RevenueDashboardView

# (view class, menu name, label, icon)
VIEWS: list[tuple[type, str, Any, str]] = [
    (RevenueDashboardView, "Revenue", _l("Revenue"), "fa-chart-line"),
    (PlanModelView, "Plans", _l("Plans"), "fa-layer-group"),
    (PlanFeatureModelView, "Plan Features", _l("Plan features"), "fa-check-square"),
    (SubscriptionModelView, "Subscriptions", _l("Subscriptions"), "fa-sync-alt"),
    (PaymentModelView, "Payments", _l("Payments"), "fa-money-bill"),
    (InvoiceModelView, "Invoices", _l("Invoices"), "fa-file-invoice-dollar"),
    (WebhookEventModelView, "Webhook Deliveries", _l("Webhook deliveries"), "fa-plug"),
]
