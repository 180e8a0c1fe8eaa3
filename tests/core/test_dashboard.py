"""The back-office home shows each role what needs them, scoped to what they may see."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.billing.models import Payment
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import login
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user


def _payment(user, status: str, amount: str, currency: str = "USD", **fields) -> Payment:
    payment = Payment(
        user_id=user.id,
        purpose="course",
        amount=Decimal(amount),
        currency=currency,
        status_id=require_lookup_id("payment_status", status),
        provider="sandbox",
        idempotency_key=f"dash-{status}-{amount}-{user.id}",
        **fields,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def _home(client, username: str, lang: str = "en") -> str:
    login(client, username)
    client.get(f"/lang/{lang}")
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admins_see_reviews_sign_ups_payments_grace_and_activity(app, client):
    with app.app_context():
        admin = make_user("Admin")
        make_course(title="Waiting Course", status="draft", review_status="pending")
        make_course(title="Approved Course", review_status="approved")
        learner = make_user("Student", first_name="Layla", last_name="Haddad")
        _payment(learner, "failed", "19.00")
        _payment(learner, "completed", "49.50", paid_at=utcnow())
        _payment(learner, "completed", "10.00", paid_at=utcnow() - timedelta(days=3))  # not today
        plan = make_plan()
        ended = utcnow() - timedelta(hours=2)
        make_subscription(learner, plan, start=ended - timedelta(days=30), end=ended)  # in grace
        admin_name = admin.username
    html = _home(client, admin_name)
    assert "Courses waiting for review" in html and "Waiting Course" in html
    assert "Approved Course" not in html
    assert "New sign-ups this week" in html and "Layla" in html
    assert "Failed payments this week" in html and "$19.00" in html
    assert "Revenue today" in html and "$49.50" in html and "$59.50" not in html
    assert "Subscriptions in grace" in html
    assert "Recent activity" in html


def test_the_dashboard_speaks_arabic(app, client):
    with app.app_context():
        admin = make_user("Admin")
        make_course(title="Waiting Course", title_ar="دورة تنتظر", status="draft", review_status="pending")
        admin_name = admin.username
    html = _home(client, admin_name, "ar")
    assert "دورات تنتظر المراجعة" in html and "دورة تنتظر" in html
    assert "Courses waiting for review" not in html


def test_instructors_see_their_courses_grading_and_enrolments_only(app, client):
    with app.app_context():
        teacher = make_user("Instructor")
        other = make_user("Instructor")
        mine = make_course(title="My Course", instructors=[teacher])
        make_course(title="Their Course", instructors=[other])
        student = make_user("Student", first_name="Omar", last_name="Saleh")
        make_enrollment(student, mine, enrolled_at=utcnow() - timedelta(days=1))
        outsider = make_user("Student", first_name="Nadia", last_name="Karim")
        make_enrollment(outsider, db.session.get(type(mine), mine.id + 1))  # their course
        teacher_name = teacher.username
    html = _home(client, teacher_name)
    assert "Your courses" in html and "My Course" in html and "Their Course" not in html
    assert "New enrolments this week" in html and "Omar" in html and "Nadia" not in html
    assert "Work waiting for grading" in html and "Nothing is waiting for grading." in html
    for admin_only in (
        "Courses waiting for review",
        "Revenue today",
        "New sign-ups this week",
        "Recent activity",
    ):
        assert admin_only not in html


def test_recruiters_get_an_empty_state_that_says_what_will_come(app, client):
    with app.app_context():
        recruiter = make_user("Recruiter").username
    html = _home(client, recruiter)
    assert "careers board" in html
    assert "Your courses" not in html and "Revenue today" not in html


def test_the_admin_dashboard_runs_a_bounded_number_of_statements(app, client):
    with app.app_context():
        admin = make_user("Admin").username
        teacher = make_user("Instructor")
        for n in range(12):
            course = make_course(title=f"Course {n}", review_status="pending", instructors=[teacher])
            make_enrollment(make_user("Student"), course)
    login(client, admin)
    client.get("/admin/")  # warms the lookup cache
    first = int(client.get("/admin/").headers["X-Query-Count"])
    with app.app_context():
        for n in range(12, 24):
            course = make_course(title=f"Course {n}", review_status="pending", instructors=[teacher])
            make_enrollment(make_user("Student"), course)
    assert int(client.get("/admin/").headers["X-Query-Count"]) == first  # not one query per row
    assert first <= 40  # nine panels; the activity sentences name each row (8 at most)
