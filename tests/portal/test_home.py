"""The signed-in portal home: where to continue, deadlines this week, new certificates."""

from __future__ import annotations

from datetime import date, timedelta

from app.assessments.models import Certificate, Submission
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.assessment_factories import make_assignment, make_quiz
from tests.conftest import login
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user


def _certificate(user, course, number: str, **fields) -> Certificate:
    certificate = Certificate(
        number=number,
        user_id=user.id,
        course_id=course.id,
        student_name="Learner",
        course_title=course.title,
        completed_on=date.today(),
        issued_at=fields.pop("issued_at", utcnow()),
        **fields,
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def test_a_learner_home_shows_what_to_continue_what_is_due_and_new_certificates(app, client):
    now = utcnow()
    with app.app_context():
        learner = make_user("Student")
        studying = make_course(title="Studying Course")
        make_enrollment(learner, studying, last_accessed_at=now - timedelta(hours=3))
        older = make_course(title="Older Course")
        make_enrollment(learner, older, last_accessed_at=now - timedelta(days=3))
        not_mine = make_course(title="Not Mine")
        make_assignment(studying, title="Essay due soon", due_at=now + timedelta(days=2))
        make_assignment(studying, title="Essay due later", due_at=now + timedelta(days=12))
        make_assignment(not_mine, title="Someone else's essay", due_at=now + timedelta(days=1))
        handed_in = make_assignment(studying, title="Essay handed in", due_at=now + timedelta(days=3))
        db.session.add(
            Submission(
                assignment_id=handed_in.id,
                user_id=learner.id,
                course_id=studying.id,
                status_id=require_lookup_id("assignment_status", "submitted"),
                submitted_at=now,
            )
        )
        db.session.commit()
        make_quiz(older, title="Quiz closing soon", closes_at=now + timedelta(days=1))
        _certificate(learner, older, "CERT-NEW-1")
        _certificate(learner, studying, "CERT-OLD-1", issued_at=now - timedelta(days=90))
        _certificate(learner, not_mine, "CERT-REV-1", revoked_at=now)
        username = learner.username
    login(client, username)
    html = client.get("/").get_data(as_text=True)
    resume = html.split("Continue where you left off")[1].split("Deadlines this week")[0]
    assert "Studying Course" in resume and "Older Course" not in resume
    assert "Essay due soon" in html and "Quiz closing soon" in html
    assert html.index("Quiz closing soon") < html.index("Essay due soon")  # soonest first
    for absent in ("Essay due later", "Someone else's essay", "Essay handed in"):
        assert absent not in html
    certificates = html.split("New certificates")[1]
    assert "Older Course" in certificates and "Studying Course" not in certificates  # 90 days ago
    assert "Not Mine" not in certificates  # revoked


def test_the_learner_home_in_arabic_and_when_nothing_is_due(app, client):
    with app.app_context():
        username = make_user("Student").username
    login(client, username)
    client.get("/lang/ar")
    html = client.get("/").get_data(as_text=True)
    assert "تابع من حيث توقفت" in html and "مواعيد هذا الأسبوع" in html
    assert "لا شيء مستحق هذا الأسبوع." in html
    assert "Learn, connect and grow" not in html


def test_visitors_get_the_landing_page(client):
    html = client.get("/").get_data(as_text=True)
    assert "Learn, connect and grow" in html and "Deadlines this week" not in html


def test_a_missing_page_keeps_the_portal_navigation_in_both_languages(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'class="portal-nav"' in html and 'href="/courses/"' in html and "Not found." in html
    client.get("/lang/ar")
    html = client.get("/no-such-page").get_data(as_text=True)
    assert 'dir="rtl"' in html and 'class="portal-nav"' in html and "Not found." not in html


def test_only_staff_see_the_back_office_link(app, client):
    with app.app_context():
        learner, teacher = make_user("Student").username, make_user("Instructor").username
    login(client, learner)
    assert 'href="/admin/"' not in client.get("/courses/").get_data(as_text=True)
    client.get("/logout/")
    login(client, teacher)
    assert 'href="/admin/"' in client.get("/courses/").get_data(as_text=True)
