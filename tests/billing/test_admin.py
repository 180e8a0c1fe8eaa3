"""Billing back office: admin-only screens, plan forms, subscription and payment actions, invoices,
the revenue dashboard with its CSV and charts, and the Arabic (RTL) pages."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.billing.models import Invoice, Payment, Plan, PlanFeature, Subscription, WebhookEvent
from app.billing.services import invoices, payments
from app.core.models import utcnow
from app.core.targets import register_target, registered_codes
from app.core.transactions import transaction
from app.extensions import db
from app.lookups.services import lookup_id, require_lookup_id
from app.security.models import LmsUser
from tests.billing_factories import make_plan, make_subscription
from tests.factories import make_user

LIST_PAGES = [
    "/planmodelview/list/",
    "/planfeaturemodelview/list/",
    "/subscriptionmodelview/list/",
    "/paymentmodelview/list/",
    "/invoicemodelview/list/",
    "/webhookeventmodelview/list/",
]
ADD_PAGES = ["/planmodelview/add", "/planfeaturemodelview/add"]
EXPORTS = [page.replace("/list/", "/export/csv") for page in LIST_PAGES]
DASHBOARD = ["/billing/revenue/", "/billing/revenue/?days=7", "/billing/revenue/csv?days=30"]


def _denied(response: Any) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 302 and "/login/" in response.headers.get("Location", "")
    )


def _value(app: Flask, model: type, pk: int, column: str) -> Any:
    with app.app_context():
        row = db.session.scalar(select(model).where(model.id == pk).execution_options(include_deleted=True))
        value = getattr(row, column)
        db.session.remove()
    return value


def _manual_payment(user_id: int, plan_id: int, provider: str = "manual") -> int:
    """A pending payment for a subscription at the plan's price, started through the payments service."""
    plan = db.session.get(Plan, plan_id)
    with transaction():
        payment = payments.start_payment(
            db.session.get(LmsUser, user_id),
            purpose="subscription",
            amount=str(plan.price),
            currency="USD",
            idempotency_key=f"test-{uuid.uuid4().hex}",
            details={},
            plan=plan,
            provider=provider,
        )
    return payment.id


@pytest.fixture
def world(app: Flask, login_as: Any) -> SimpleNamespace:
    """An admin, an instructor and a student signed in; a monthly plan of 10 and an annual plan of 120,
    each with one active subscriber; a payer without a subscription."""
    admin, instructor, student = login_as("Admin"), login_as("Instructor"), login_as("Student")
    with app.app_context():
        monthly = make_plan("admin-monthly", price="10", cycle="monthly", name="Monthly")
        annual = make_plan("admin-annual", price="120", cycle="annual", name="Annual")
        buyer = db.session.get(LmsUser, student.user_id)
        other = db.session.get(LmsUser, instructor.user_id)
        first = make_subscription(buyer, monthly, "active")
        second = make_subscription(other, annual, "active")
        payer = make_user("Student")
        ids = SimpleNamespace(
            monthly=monthly.id,
            annual=annual.id,
            first=first.id,
            second=second.id,
            student=student.user_id,
            payer=payer.id,
        )
        db.session.remove()
    return SimpleNamespace(admin=admin, instructor=instructor, student=student, ids=ids)


# ---- access -----------------------------------------------------------------------------------
def test_admins_open_every_billing_page(app, world):
    with app.app_context():
        event = WebhookEvent(
            provider="sandbox", event_id=f"evt_{uuid.uuid4().hex}", event_type="payment.succeeded", payload={}
        )
        db.session.add(event)
        db.session.commit()
        feature_id = db.session.scalar(select(PlanFeature.id).where(PlanFeature.plan_id == world.ids.monthly))
        event_id = event.id
        db.session.remove()
    shows = [
        f"/planmodelview/show/{world.ids.monthly}",
        f"/planmodelview/edit/{world.ids.monthly}",
        f"/planfeaturemodelview/show/{feature_id}",
        f"/planfeaturemodelview/edit/{feature_id}",
        f"/subscriptionmodelview/show/{world.ids.first}",
        f"/webhookeventmodelview/show/{event_id}",
    ]
    for url in [*LIST_PAGES, *ADD_PAGES, *EXPORTS, *DASHBOARD, *shows]:
        assert world.admin.get(url).status_code == 200, url


def test_students_and_instructors_are_refused_everywhere(app, world):
    with app.app_context():
        payment_id = _manual_payment(world.ids.payer, world.ids.monthly)
        db.session.remove()
    extra = [
        f"/planmodelview/show/{world.ids.monthly}",
        f"/subscriptionmodelview/show/{world.ids.first}",
        f"/paymentmodelview/show/{payment_id}",
        f"/paymentmodelview/mark_paid/{payment_id}",
        f"/paymentmodelview/refund/{payment_id}",
    ]
    for browser in (world.student, world.instructor):
        for url in [*LIST_PAGES, *ADD_PAGES, *EXPORTS, *DASHBOARD, *extra]:
            assert _denied(browser.get(url)), url
        response = browser.post(f"/paymentmodelview/mark_paid/{payment_id}", data={"transaction_id": "x"})
        assert _denied(response)
        response = browser.post(f"/subscriptionmodelview/action/cancel_now/{world.ids.first}")
        assert _denied(response)
    assert _value(app, Payment, payment_id, "status_id") == _status("payment_status", "pending", app)
    assert _value(app, Subscription, world.ids.first, "is_current") is True


def _status(type_code: str, code: str, app: Flask) -> int:
    with app.app_context():
        return require_lookup_id(type_code, code)


# ---- revenue dashboard ------------------------------------------------------------------------
def test_dashboard_shows_mrr_of_active_subscriptions_and_exports_csv(world):
    html = world.admin.get("/billing/revenue/").get_data(as_text=True)
    card = re.search(r'data-metric="mrr".*?revenue-card-value[^>]*>\s*(?:<bdi[^>]*>)?([^<]+)<', html, re.S)
    assert card is not None
    assert card.group(1).strip() == "$20.00"  # 10 a month + 120 a year / 12
    assert 'data-plan="admin-monthly"' in html and 'data-plan="admin-annual"' in html
    # The charts read their figures from JSON embedded in the page, never from inline code.
    assert 'id="revenue-data"' in html and 'type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/revenue.js" in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "nonce=" in tag, tag
    response = world.admin.get("/billing/revenue/csv?days=30")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["metric", "value"]
    assert dict(rows[1:])["mrr"] == "20.00"


def test_dashboard_window_falls_back_to_thirty_days(world):
    for query in ("?days=12", "?days=abc", "?days=-1"):
        html = world.admin.get(f"/billing/revenue/{query}").get_data(as_text=True)
        assert 'aria-current="page"' in html
        assert re.search(r'active"\s+aria-current="page"\s+href="[^"]*days=30"', html), query
    response = world.admin.get("/billing/revenue/csv?days=5")
    assert 'filename="revenue-30d.csv"' in response.headers["Content-Disposition"]


def test_the_vendored_chart_library_is_served(client):
    response = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200
    assert b"Chart.js v4" in response.data[:200]
    assert client.get("/static/js/revenue.js").status_code == 200
    assert client.get("/static/vendor/chartjs/LICENSE.md").status_code == 200


# ---- plans and features -----------------------------------------------------------------------
def _feature_form(plan_id: int, code: str, limit: Any, enabled: bool = True) -> dict[str, Any]:
    form = {"plan": str(plan_id), "feature": str(lookup_id("plan_features", code)), "limit_value": limit}
    if enabled:
        form["enabled"] = "y"
    return form


def _features(app: Flask, plan_id: int, code: str) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count(PlanFeature.id)).where(
                PlanFeature.plan_id == plan_id,
                PlanFeature.feature_id == lookup_id("plan_features", code),
            )
        )
        db.session.remove()
    return int(count or 0)


def test_plan_feature_with_a_negative_limit_or_twice_is_refused(app, world):
    with app.app_context():
        negative = _feature_form(world.ids.monthly, "job_postings", "-1")
        twice = _feature_form(world.ids.monthly, "downloads", "5")  # make_plan gave it downloads
        boolean = _feature_form(world.ids.monthly, "certificates", "3")
        good = _feature_form(world.ids.monthly, "event_registrations", "4")
    response = world.admin.post("/planfeaturemodelview/add", data=negative)
    assert response.status_code == 422
    assert "The limit cannot be negative." in response.get_data(as_text=True)
    assert _features(app, world.ids.monthly, "job_postings") == 0
    response = world.admin.post("/planfeaturemodelview/add", data=twice)
    assert response.status_code == 422
    assert "This plan already has this feature" in response.get_data(as_text=True)
    assert _features(app, world.ids.monthly, "downloads") == 1
    response = world.admin.post("/planfeaturemodelview/add", data=boolean)
    assert response.status_code == 422
    assert _features(app, world.ids.monthly, "certificates") == 0
    assert world.admin.post("/planfeaturemodelview/add", data=good).status_code == 302
    assert _features(app, world.ids.monthly, "event_registrations") == 1
    # Editing a row keeps its own plan and feature: not a duplicate of itself.
    with app.app_context():
        row_id = db.session.scalar(
            select(PlanFeature.id).where(
                PlanFeature.plan_id == world.ids.monthly,
                PlanFeature.feature_id == lookup_id("plan_features", "downloads"),
            )
        )
    edited = {**twice, "limit_value": "20"}
    assert world.admin.post(f"/planfeaturemodelview/edit/{row_id}", data=edited).status_code == 302
    assert _value(app, PlanFeature, row_id, "limit_value") == 20
    edited["limit_value"] = "-5"
    assert world.admin.post(f"/planfeaturemodelview/edit/{row_id}", data=edited).status_code == 422
    assert _value(app, PlanFeature, row_id, "limit_value") == 20


def test_plan_form_takes_both_languages_and_refuses_bad_values(app, world):
    with app.app_context():
        cycle = str(lookup_id("billing_cycles", "quarterly"))
    form = {
        "code": "admin-quarterly",
        "price": "27.50",
        "currency": "sar",
        "billing_cycle": cycle,
        "trial_days": "7",
        "is_active": "y",
        "sort_order": "3",
        "name_en": "Quarterly",
        "name_ar": "ربع سنوي",
        "description_en": "Three months",
        "description_ar": "ثلاثة أشهر",
    }
    for bad in ({"price": "-1"}, {"currency": "XYZ"}, {"name_en": ""}, {"code": "Bad Code"}):
        assert world.admin.post("/planmodelview/add", data={**form, **bad}).status_code == 422, bad
    assert world.admin.post("/planmodelview/add", data=form).status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.code == "admin-quarterly"))
        assert plan.currency == "SAR" and plan.price == Decimal("27.50") and plan.cycle_months == 3
        assert plan.translations["ar"]["name"] == "ربع سنوي"
        assert plan.translations["en"]["description"] == "Three months"
        db.session.remove()
    # The plan's page lists its features.
    page = world.admin.get(f"/planmodelview/show/{world.ids.monthly}").get_data(as_text=True)
    assert "Downloads" in page


# ---- subscriptions ----------------------------------------------------------------------------
def test_admin_cancels_at_period_end_and_now(app, world):
    response = world.admin.post(f"/subscriptionmodelview/action/cancel_at_period_end/{world.ids.first}")
    assert response.status_code == 302
    assert _value(app, Subscription, world.ids.first, "cancel_at_period_end") is True
    assert _value(app, Subscription, world.ids.first, "is_current") is True
    response = world.admin.post(
        "/subscriptionmodelview/action_post", data={"action": "cancel_now", "rowid": [str(world.ids.second)]}
    )
    assert response.status_code == 302
    assert _value(app, Subscription, world.ids.second, "is_current") is False
    # Cancelling an ended subscription again is flashed, never a 500.
    response = world.admin.post(
        f"/subscriptionmodelview/action/cancel_now/{world.ids.second}", follow_redirects=True
    )
    assert response.status_code == 200
    assert "This subscription has already ended." in response.get_data(as_text=True)


def _listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="rowid" value="(\d+)"', html)}


def test_subscription_list_filters_by_plan_status_and_current(app, world):
    with app.app_context():
        active = lookup_id("subscription_status", "active")
        trial = lookup_id("subscription_status", "trial")
    page = world.admin.get(f"/subscriptionmodelview/list/?_flt_0_plan={world.ids.annual}")
    assert _listed(page.get_data(as_text=True)) == {world.ids.second}
    page = world.admin.get(f"/subscriptionmodelview/list/?_flt_0_status={active}")
    assert {world.ids.first, world.ids.second} <= _listed(page.get_data(as_text=True))
    page = world.admin.get(f"/subscriptionmodelview/list/?_flt_0_status={trial}")
    assert _listed(page.get_data(as_text=True)) & {world.ids.first, world.ids.second} == set()
    assert world.admin.get("/subscriptionmodelview/list/?_flt_0_is_current=y").status_code == 200


# ---- payments ---------------------------------------------------------------------------------
def test_mark_paid_completes_a_pending_manual_payment(app, world):
    with app.app_context():
        payment_id = _manual_payment(world.ids.payer, world.ids.annual)
        online_id = _manual_payment(world.ids.payer, world.ids.annual, provider="sandbox")
        db.session.remove()
    page = world.admin.get(f"/paymentmodelview/mark_paid/{payment_id}")
    assert page.status_code == 200
    response = world.admin.post(f"/paymentmodelview/mark_paid/{payment_id}", data={"transaction_id": "  "})
    assert response.status_code == 422
    assert "Give the bank or receipt reference." in response.get_data(as_text=True)
    response = world.admin.post(f"/paymentmodelview/mark_paid/{online_id}", data={"transaction_id": "BANK-1"})
    assert response.status_code == 422
    assert _value(app, Payment, online_id, "status_id") == _status("payment_status", "pending", app)
    response = world.admin.post(
        f"/paymentmodelview/mark_paid/{payment_id}", data={"transaction_id": "BANK-42"}
    )
    assert response.status_code == 302
    assert _value(app, Payment, payment_id, "status_id") == _status("payment_status", "completed", app)
    assert _value(app, Payment, payment_id, "transaction_id") == "BANK-42"
    assert world.admin.get(f"/paymentmodelview/show/{payment_id}").status_code == 200
    assert world.admin.get("/paymentmodelview/mark_paid/987654321").status_code == 404


def test_refund_gives_back_part_then_all(app, world):
    with app.app_context():
        payment_id = _manual_payment(world.ids.payer, world.ids.monthly)  # 10.00
        payments.mark_paid(
            db.session.get(LmsUser, world.admin.user_id), db.session.get(Payment, payment_id), "R-1"
        )
        db.session.remove()
    assert (
        world.admin.post(f"/paymentmodelview/refund/{payment_id}", data={"amount": "50"}).status_code == 422
    )
    assert world.admin.post(f"/paymentmodelview/refund/{payment_id}", data={"amount": "4"}).status_code == 302
    assert _value(app, Payment, payment_id, "refunded_amount") == Decimal("4.00")
    assert world.admin.post(f"/paymentmodelview/refund/{payment_id}", data={"amount": ""}).status_code == 302
    assert _value(app, Payment, payment_id, "refunded_amount") == Decimal("10.00")
    assert _value(app, Payment, payment_id, "status_id") == _status("payment_status", "refunded", app)


def test_payment_list_filters(app, world):
    with app.app_context():
        _manual_payment(world.ids.payer, world.ids.annual)
        pending = lookup_id("payment_status", "pending")
        db.session.remove()
    for query in (
        f"_flt_0_status={pending}",
        "_flt_0_purpose=subscription",
        "_flt_0_provider=manual",
        f"_flt_1_created_at={(utcnow() - timedelta(days=1)).strftime('%Y-%m-%d %H:%M:%S')}",
    ):
        response = world.admin.get(f"/paymentmodelview/list/?{query}")
        assert response.status_code == 200, query
        assert "Manual payment" in response.get_data(as_text=True), query


# ---- invoices ---------------------------------------------------------------------------------
@pytest.fixture
def invoice_setup(
    app: Flask, media_config: Path, smtp_server: list[EmailMessage]
) -> Iterator[list[EmailMessage]]:
    """Local media storage, the "invoice" media owner and the loopback SMTP server's inbox."""
    if "invoice" not in registered_codes():
        register_target(
            "invoice", Invoice, can_view=invoices.can_view_invoice, can_edit=lambda user, invoice: False
        )
    yield smtp_server


def test_invoice_list_download_and_send_again(app, world, invoice_setup):
    with app.app_context():
        payment_id = _manual_payment(world.ids.payer, world.ids.annual)
        payments.mark_paid(
            db.session.get(LmsUser, world.admin.user_id), db.session.get(Payment, payment_id), "I-1"
        )
        invoice = db.session.scalar(select(Invoice).where(Invoice.payment_id == payment_id))
        assert invoice is not None  # issued by the payments service's task (inline in tests)
        invoice_id, number = invoice.id, invoice.number
        db.session.remove()
    html = world.admin.get("/invoicemodelview/list/").get_data(as_text=True)
    assert number in html
    show = world.admin.get(f"/invoicemodelview/show/{invoice_id}").get_data(as_text=True)
    assert 'id="download-history"' in show and "Not downloaded yet." in show
    response = world.admin.get(f"/invoicemodelview/pdf/{invoice_id}")
    assert response.status_code == 302 and "/invoicemodelview/" not in response.headers["Location"]
    assert world.admin.get(response.headers["Location"]).status_code == 200  # the download itself
    show = world.admin.get(f"/invoicemodelview/show/{invoice_id}").get_data(as_text=True)
    assert "Not downloaded yet." not in show.split('id="download-history"')[1]
    sent = len(invoice_setup)
    response = world.admin.post(f"/invoicemodelview/action/send_again/{invoice_id}")
    assert response.status_code == 302
    assert len(invoice_setup) == sent + 1
    response = world.admin.post(
        "/invoicemodelview/action_post", data={"action": "soft_delete_selected", "rowid": [str(invoice_id)]}
    )
    assert response.status_code == 302
    assert _value(app, Invoice, invoice_id, "is_deleted") is True
    assert number not in world.admin.get("/invoicemodelview/list/").get_data(as_text=True)


# ---- Arabic -----------------------------------------------------------------------------------
def test_arabic_billing_pages_are_right_to_left(world):
    assert world.admin.get("/lang/ar").status_code == 302
    for url in [*LIST_PAGES, *ADD_PAGES, "/billing/revenue/"]:
        response = world.admin.get(url)
        assert response.status_code == 200, url
        assert re.search(r'<html lang="ar" dir="rtl"', response.get_data(as_text=True)), url
