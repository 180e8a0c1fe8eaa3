"""Subscriptions and billing: plans and features, the subscription lifecycle, payments through
gateways, course purchases, invoices, feature gating and revenue metrics."""

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add the billing screens and APIs, and feed the courses entitlement service."""
    from app.billing.services.entitlements import course_subscriber_ids, opens_courses
    from app.courses.services.access import SubscriptionSource, use_subscriptions

    use_subscriptions(SubscriptionSource(is_active=opens_courses, active_user_ids=course_subscriber_ids))
