"""Subscriptions and billing: plans and features, the subscription lifecycle, payments through
gateways, course purchases, invoices, feature gating and revenue metrics."""

from typing import Any

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _register_targets() -> None:
    from flask import url_for

    from app.billing.models import Invoice, Subscription
    from app.billing.services import invoices
    from app.core.targets import register_target, signed_in_user_id

    # Invoices are made by the system: their PDFs are read by the buyer (and admins), never edited.
    register_target(
        "invoice",
        Invoice,
        can_view=invoices.can_view_invoice,
        can_edit=lambda _user, _obj: False,
        url=lambda _user, _obj: url_for("portal.my_payments"),
    )
    # A subscription is its subscriber's (notifications about it link to My subscription).
    register_target(
        "subscription",
        Subscription,
        can_view=lambda user, obj: signed_in_user_id(user) == obj.user_id,
        can_edit=lambda _user, _obj: False,
        url=lambda _user, _obj: url_for("portal.my_subscription"),
    )


def _feed_courses() -> None:
    """Subscriptions open courses, and plan limits apply to enrolments, downloads and certificates."""
    from app.billing.services import features
    from app.billing.services.course_gates import charge_download, check_course_slot
    from app.billing.services.entitlements import course_subscriber_ids, opens_courses
    from app.courses.services.access import SubscriptionSource, use_subscriptions
    from app.media.services import DOWNLOAD_CHECKS

    use_subscriptions(
        SubscriptionSource(
            is_active=opens_courses,
            active_user_ids=course_subscriber_ids,
            allows=features.allows,
            check_new_enrolment=check_course_slot,
        )
    )
    if charge_download not in DOWNLOAD_CHECKS:
        DOWNLOAD_CHECKS.append(charge_download)


def _referral_purchase(payment: Any, **_extra: Any) -> None:
    """Receiver of `payment_completed`: a course bought after following share links is credited to them."""
    if payment.purpose != "course" or not payment.course_id:
        return
    from app.engagement.services import record_conversion

    record_conversion(
        payment.user_id,
        "purchase",
        "course",
        payment.course_id,
        source_key=f"payment:{payment.id}",
        amount=payment.amount,
        currency=payment.currency,
        at=payment.paid_at,
    )


def _listen() -> None:
    """A completed payment of a subscription, renewal or upgrade moves its subscription on; a course
    purchase may be a referral conversion."""
    from app.billing.services import subscriptions
    from app.billing.signals import payment_completed

    payment_completed.connect(subscriptions.apply_payment)
    payment_completed.connect(_referral_purchase)


def _register_labels() -> None:
    """Gateways, payment methods and billing tasks in words on every screen."""
    from app.billing.services.invoice_pdf import METHOD_LABELS
    from app.core.display import register_labels

    gateways = {"manual": _l("Manual payment"), "sandbox": _l("Sandbox (test payments)")}
    register_labels("gateway", gateways)
    register_labels("payment_method", {**METHOD_LABELS, "free": _l("Free")})
    register_labels(
        "task",
        {
            "renew_subscriptions": _l("renew subscriptions"),
            "expire_subscriptions": _l("expire subscriptions"),
            "remind_subscriptions": _l("remind subscribers"),
            "issue_invoice": _l("issue invoice"),
            "render_invoice": _l("make the invoice PDF"),
            "email_invoice": _l("email invoice"),
            **{
                f"{code}_webhook": _l("%(gateway)s notification", gateway=label)
                for code, label in gateways.items()
            },
        },
    )


def register(appbuilder: AppBuilder) -> None:
    """Add the billing screens and APIs, and feed the courses entitlement service."""
    from app.billing import notices

    _register_labels()
    _feed_courses()
    _register_targets()
    notices.register_messages()
    _listen()
    from app.billing.dashboard import failed_payments, revenue_today, subscriptions_in_grace
    from app.core.dashboard import register_panel

    register_panel(revenue_today, 60)
    register_panel(failed_payments, 70)
    register_panel(subscriptions_in_grace, 80)

    from app.billing.views import MENU_GROUPS, VIEWS
    from app.core.menus import add_views, register_menu_groups

    category = {"category": "Billing", "category_label": _l("Billing"), "category_icon": "fa-credit-card"}
    register_menu_groups("Billing", *MENU_GROUPS)
    add_views(appbuilder, VIEWS, **category)

    from app.billing.api import APIS

    for api in APIS:
        appbuilder.add_api(api)

    from flask import current_app

    from app.billing.webhooks import register_routes

    register_routes(current_app)  # payment webhooks and the sandbox checkout page
