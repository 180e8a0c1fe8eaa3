"""Billing models: plans and features, subscriptions, payments, webhook deliveries, invoices."""

from app.billing.models.payments import (
    PAYMENT_PURPOSES,
    Invoice,
    InvoiceSequence,
    Payment,
    WebhookEvent,
)
from app.billing.models.plans import FeatureUsage, Plan, PlanFeature
from app.billing.models.subscriptions import Subscription

__all__ = [
    "PAYMENT_PURPOSES",
    "FeatureUsage",
    "Invoice",
    "InvoiceSequence",
    "Payment",
    "Plan",
    "PlanFeature",
    "Subscription",
    "WebhookEvent",
]
