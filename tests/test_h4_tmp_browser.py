from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from app.billing.models import Payment
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser
from tests.billing_factories import make_plan, make_subscription
from tests.course_factories import make_course
from tests.factories import make_user
from tests.test_browser import _sign_in, browser, live_url, page  # noqa: F401


def test_dashboard_in_browser(app, page, live_url):  # noqa: F811
    with app.app_context():
        admin = make_user("Admin")
        username = admin.username
        monthly = make_plan("b-monthly", price="10", name="Monthly")
        annual = make_plan("b-annual", price="120", cycle="annual", name="Annual", trial_days=7)
        course = make_course(title="Python", price=30)
        for i in range(5):
            u = make_user("Student")
            make_subscription(u, monthly if i % 2 else annual, "active" if i < 4 else "trial")
            for d in range(3):
                for purpose in ("subscription", "course"):
                    db.session.add(Payment(user_id=u.id, purpose=purpose, amount=Decimal("10") + d,
                        currency="USD", status_id=require_lookup_id("payment_status", "completed"),
                        provider="sandbox", transaction_id=uuid.uuid4().hex, idempotency_key=uuid.uuid4().hex,
                        paid_at=utcnow() - timedelta(days=d * 3 + i), details={},
                        course_id=course.id if purpose == "course" else None))
        db.session.commit()
        db.session.remove()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_url, username)
    page.goto(f"{live_url}/billing/revenue/")
    page.wait_for_timeout(1500)
    page.screenshot(path="/tmp/h4_revenue_en.png", full_page=True)
    page.goto(f"{live_url}/lang/ar")
    page.goto(f"{live_url}/billing/revenue/?days=90")
    page.wait_for_timeout(1500)
    page.screenshot(path="/tmp/h4_revenue_ar.png", full_page=True)
    page.goto(f"{live_url}/planmodelview/add")
    page.screenshot(path="/tmp/h4_plan_add_ar.png", full_page=True)
    print("ERRORS", errors)
    assert not errors
