"""Admins suspend a subscription with a reason and resume it: the rules, access while suspended, the
scheduled tasks, the API and back-office actions with their role denials, and the learner's page in
English and Arabic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.billing.models import Payment, Subscription
from app.billing.services import subscriptions, suspension
from app.billing.services.entitlements import live_subscription
from app.billing.services.lifecycle import expire_due, remind_due, renew_due
from app.billing.services.periods import advance
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import as_utc, utcnow
from app.courses.services import can_access
from app.extensions import db
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user

REASON = "Chargeback under review"
REASON_AR = "مراجعة استرداد المبلغ"


def _status(subscription: Subscription) -> str:
    db.session.refresh(subscription)
    return subscription.status.code


# ---- rules ------------------------------------------------------------------------------------
def test_suspended_subscription_gives_no_access_until_resumed(ctx):
    admin, student = make_user("Admin"), make_user("Student")
    subscription = make_subscription(student, make_plan(price="10"))
    course = make_course(price="30")
    make_enrollment(student, course, type="subscription")
    assert can_access(student, course)

    suspension.suspend(admin, subscription, f"  {REASON}  ")
    db.session.commit()
    assert _status(subscription) == "suspended"
    assert subscription.is_current and subscription.suspension_reason == REASON
    assert subscription.suspended_at is not None
    db.session.expire_all()
    assert live_subscription(student.id) is None
    assert not can_access(student, course)

    end = as_utc(subscription.current_period_end)
    suspension.resume(admin, subscription)
    db.session.commit()
    assert _status(subscription) == "active"
    assert subscription.suspension_reason is None and subscription.suspended_at is None
    assert as_utc(subscription.current_period_end) == end, "a period still running is kept as it was"
    db.session.expire_all()
    assert can_access(student, course)


def test_a_trial_resumes_as_a_trial(ctx):
    admin = make_user("Admin")
    subscription = make_subscription(make_user("Student"), make_plan(price="10", trial_days=14), "trial")
    suspension.suspend(admin, subscription, REASON)
    suspension.resume(admin, subscription)
    assert _status(subscription) == "trial"


@pytest.mark.parametrize("reason", [None, "", "   ", 42, "x" * 501])
def test_suspending_needs_a_reason(ctx, reason):
    subscription = make_subscription(make_user("Student"), make_plan(price="10"))
    with pytest.raises(Invalid) as caught:
        suspension.suspend(make_user("Admin"), subscription, reason)
    assert "reason" in caught.value.errors
    assert _status(subscription) == "active"


def test_states_that_do_not_allow_it_conflict(ctx):
    admin, student = make_user("Admin"), make_user("Student")
    subscription = make_subscription(student, make_plan(price="10"))
    with pytest.raises(Conflict):
        suspension.resume(admin, subscription)  # not suspended
    suspension.suspend(admin, subscription, REASON)
    with pytest.raises(Conflict):
        suspension.suspend(admin, subscription, REASON)  # already suspended
    subscriptions.cancel(admin, subscription, at_period_end=False)
    with pytest.raises(Conflict):
        suspension.resume(admin, subscription)  # ended


@pytest.mark.parametrize("role", ["Student", "Instructor"])
def test_only_admins_suspend_or_resume_even_their_own(ctx, role):
    user = make_user(role)
    subscription = make_subscription(user, make_plan(price="10"))
    with pytest.raises(Forbidden):
        suspension.suspend(user, subscription, REASON)
    suspension.suspend(make_user("Admin"), subscription, REASON)
    with pytest.raises(Forbidden):
        suspension.resume(user, subscription)
    assert _status(subscription) == "suspended"


def test_the_learner_cannot_change_plan_or_cancel_now_while_suspended(ctx):
    student = make_user("Student")
    subscription = make_subscription(student, make_plan(price="10"))
    suspension.suspend(make_user("Admin"), subscription, REASON)
    db.session.commit()
    with pytest.raises(Conflict, match="suspended"):
        subscriptions.change_plan(student, subscription, make_plan(price="30"))
    with pytest.raises(Conflict, match="suspended"):
        subscriptions.cancel(student, subscription, at_period_end=False)
    with pytest.raises(Conflict, match="already have a subscription"):
        subscriptions.subscribe(student, make_plan(price="5"))
    assert _status(subscription) == "suspended"


# ---- scheduled tasks and payments -------------------------------------------------------------
def test_tasks_leave_a_suspended_subscription_alone(ctx):
    admin = make_user("Admin")
    now = utcnow()
    past = make_subscription(make_user("Student"), make_plan(price="10"), start=now - timedelta(days=60))
    past.current_period_end = now - timedelta(days=20)  # grace over: would expire (or renew)
    soon = make_subscription(make_user("Student"), make_plan(price="10"), auto_renew=False)
    soon.current_period_end = now + timedelta(days=2)  # would be reminded
    db.session.commit()
    for subscription in (past, soon):
        suspension.suspend(admin, subscription, REASON)
    db.session.commit()
    assert renew_due(now) == 0 and expire_due(now) == 0 and remind_due(now) == 0
    assert _status(past) == "suspended" and past.is_current
    assert db.session.scalar(select(Payment.id).where(Payment.subscription_id == past.id)) is None


def test_a_period_that_ran_out_while_suspended_is_due_from_the_resume(ctx):
    admin = make_user("Admin")
    now = utcnow()
    subscription = make_subscription(
        make_user("Student"), make_plan(price="10"), start=now - timedelta(days=40)
    )
    suspension.suspend(admin, subscription, REASON)
    db.session.commit()
    suspension.resume(admin, subscription, now=now)
    db.session.commit()
    assert _status(subscription) == "active"
    assert as_utc(subscription.current_period_end) == now
    # The next renewal charges one period from the resume, not the suspended time.
    assert renew_due(now) == 1
    db.session.refresh(subscription)
    assert as_utc(subscription.current_period_start) == now
    assert as_utc(subscription.current_period_end) > now + timedelta(days=27)


def test_a_period_paid_while_suspended_keeps_the_suspension(ctx):
    subscription = make_subscription(make_user("Student"), make_plan(price="10"))
    suspension.suspend(make_user("Admin"), subscription, REASON)
    end = as_utc(subscription.current_period_end)
    advance(subscription)  # what a completed renewal payment does
    db.session.flush()
    assert _status(subscription) == "suspended"
    assert as_utc(subscription.current_period_start) == end


# ---- API --------------------------------------------------------------------------------------
@pytest.fixture
def api(app):
    """An admin, the subscriber and an instructor with JWTs; the subscriber's active subscription."""
    with app.app_context():
        admin, student, instructor = make_user("Admin"), make_user("Student"), make_user("Instructor")
        subscription = make_subscription(student, make_plan(price="10"))
        names = {"admin": admin.username, "student": student.username, "instructor": instructor.username}
        ids = {"admin": admin.id, "student": student.id, "subscription": subscription.id}
        db.session.remove()
    client = app.test_client()
    headers = {key: jwt_headers(client, name) for key, name in names.items()}
    return client, headers, ids


def _post(client: Any, headers: dict, path: str, body: Any = None) -> Any:
    return client.post(f"/api/v1/subscription/{path}", json=body if body is not None else {}, headers=headers)


def test_api_admin_suspends_and_resumes(app, api):
    client, headers, ids = api
    pk = ids["subscription"]
    response = _post(client, headers["admin"], f"{pk}/suspend", {"reason": REASON})
    assert response.status_code == 200, response.json
    assert response.json["result"]["status"]["code"] == "suspended"
    assert response.json["result"]["suspension_reason"] == REASON
    assert _post(client, headers["admin"], f"{pk}/suspend", {"reason": REASON}).status_code == 409
    # The learner reads the suspension on their own row.
    shown = client.get(f"/api/v1/subscription/{pk}", headers=headers["student"])
    assert shown.json["result"]["suspension_reason"] == REASON

    response = _post(client, headers["admin"], f"{pk}/resume")
    assert response.status_code == 200, response.json
    assert response.json["result"]["status"]["code"] == "active"
    assert response.json["result"]["suspension_reason"] is None
    conflict = _post(client, headers["admin"], f"{pk}/resume")
    assert conflict.status_code == 409 and conflict.json["message"]

    with app.app_context():
        rows = db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "subscription", AuditLog.entity_id == pk)
            .order_by(AuditLog.id)
        ).all()
        changes = [(row.actor_id, (row.new_values or {}).get("suspension_reason", "-")) for row in rows]
        db.session.remove()
    assert (ids["admin"], REASON) in changes, "the suspension is audited with its actor and reason"
    assert (ids["admin"], None) in changes, "so is the resume"


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": ["x"]}, {"reason": "x" * 501}]
)
def test_api_suspend_without_a_reason_is_422(api, body):
    client, headers, ids = api
    response = _post(client, headers["admin"], f"{ids['subscription']}/suspend", body)
    assert response.status_code == 422, response.json
    assert "reason" in response.json["errors"]


def test_api_unknown_subscription_is_404(api):
    client, headers, _ids = api
    for verb, body in (("suspend", {"reason": REASON}), ("resume", {})):
        assert _post(client, headers["admin"], f"987654321/{verb}", body).status_code == 404


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_api_others_are_refused_even_on_their_own(app, api, who):
    client, headers, ids = api
    pk = ids["subscription"]
    assert _post(client, headers[who], f"{pk}/suspend", {"reason": REASON}).status_code == 403
    _post(client, headers["admin"], f"{pk}/suspend", {"reason": REASON})
    assert _post(client, headers[who], f"{pk}/resume").status_code == 403
    with app.app_context():
        assert db.session.get(Subscription, pk).status.code == "suspended"
        db.session.remove()


# ---- back office ------------------------------------------------------------------------------
def _action_links(html: str) -> set[str]:
    return {
        name for name in ("suspend", "resume", "cancel_now", "cancel_at_period_end") if f'-{name}"' in html
    }


def test_back_office_offers_the_action_of_the_state(app, api):
    _client, _headers, ids = api
    pk = ids["subscription"]
    with app.app_context():
        admin = make_user("Admin")
        username = admin.username
        db.session.remove()
    browser = app.test_client()
    login(browser, username)
    show = browser.get(f"/subscriptionmodelview/show/{pk}").get_data(as_text=True)
    assert {"suspend", "cancel_now"} <= _action_links(show) and "resume" not in _action_links(show)

    assert browser.post(f"/subscriptionmodelview/action/suspend/{pk}").status_code == 302
    assert browser.post(f"/subscriptionmodelview/suspend/{pk}", data={"reason": " "}).status_code == 422
    response = browser.post(f"/subscriptionmodelview/suspend/{pk}", data={"reason": REASON})
    assert response.status_code == 302
    show = browser.get(f"/subscriptionmodelview/show/{pk}").get_data(as_text=True)
    assert "resume" in _action_links(show) and "suspend" not in _action_links(show)
    assert REASON in show

    assert browser.post(f"/subscriptionmodelview/action/resume/{pk}").status_code == 302
    with app.app_context():
        assert db.session.get(Subscription, pk).status.code == "active"
        db.session.remove()


def test_back_office_refuses_students(app, api, login_as):
    pk = api[2]["subscription"]
    student = login_as("Student")
    for response in (
        student.post(f"/subscriptionmodelview/action/suspend/{pk}"),
        student.post(f"/subscriptionmodelview/suspend/{pk}", data={"reason": REASON}),
        student.get(f"/subscriptionmodelview/suspend/{pk}"),
    ):
        assert response.status_code in (
            302,
            403,
        ) and "/subscriptionmodelview/show" not in response.headers.get("Location", "")
    with app.app_context():
        assert db.session.get(Subscription, pk).status.code == "active"
        db.session.remove()


# ---- the learner's page -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "words"),
    [
        (
            "",
            [
                "Suspended",
                "Your subscription is suspended",
                "No renewal while your subscription is suspended.",
            ],
        ),
        ("?_l_=ar", ["موقوف", "اشتراكك موقوف", "لا يتجدد اشتراكك أثناء إيقافه."]),
    ],
)
def test_my_subscription_shows_the_suspension_and_its_reason(app, query, words):
    with app.app_context():
        student = make_user("Student")
        subscription = make_subscription(student, make_plan(price="10"))
        suspension.suspend(make_user("Admin"), subscription, REASON_AR if query else REASON)
        db.session.commit()
        username = student.username
        db.session.remove()
    browser = app.test_client()
    login(browser, username)
    page = browser.get(f"/my/subscription{query}").get_data(as_text=True)
    assert 'data-status="suspended"' in page and 'id="suspended-notice"' in page
    assert (REASON_AR if query else REASON) in page
    for word in words:
        assert word in page
    assert 'id="cancel-now"' not in page and 'class="change-plan"' not in page
