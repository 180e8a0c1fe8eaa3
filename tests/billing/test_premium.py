"""The `premium_content` plan feature: premium courses and lessons open through a subscription only
on plans that include it, always to buyers of the course and to its staff (truth tables)."""

from __future__ import annotations

import pytest

from app.core.errors import Forbidden
from app.courses.services import can_access
from app.courses.services.enrollment import enroll_student
from app.courses.services.progress import can_open_lesson, require_open_lesson
from app.extensions import db
from tests.billing_factories import make_plan, make_subscription
from tests.course_factories import buy, make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user

WITH = {"course_access": None, "premium_content": None}
WITHOUT = {"course_access": None}


def _learner(plan_features: dict | None, bought_course=None):
    student = make_user("Student")
    if plan_features is not None:
        make_subscription(student, make_plan(price="10", features=plan_features))
    if bought_course is not None:
        buy(student, bought_course)
    return student


# (plan features, bought?, premium course?) -> opens the course
COURSE_TABLE = [
    (WITH, False, True, True),
    (WITHOUT, False, True, False),
    (WITHOUT, True, True, True),
    (None, True, True, True),
    (None, False, True, False),
    (WITHOUT, False, False, True),
    (WITH, False, False, True),
]


@pytest.mark.parametrize(("features", "bought", "premium", "opens"), COURSE_TABLE)
def test_premium_course_truth_table(ctx, features, bought, premium, opens):
    course = make_course(price="30", is_premium=premium)
    student = _learner(features, course if bought else None)
    kind = "purchase" if bought else "subscription"
    if features is not None or bought:
        make_enrollment(student, course, type=kind)
    db.session.expire_all()
    assert can_access(student, course) is opens


def test_a_plan_without_premium_content_cannot_enrol_in_a_premium_course(ctx):
    course = make_course(price="30", is_premium=True)
    student = _learner(WITHOUT)
    with pytest.raises(Forbidden):
        enroll_student(student, course)
    allowed = _learner(WITH)
    assert enroll_student(allowed, course).enrollment_type.code == "subscription"


# (plan features, bought?, premium lesson?) -> opens the lesson of a regular subscription course
LESSON_TABLE = [
    (WITH, False, True, True),
    (WITHOUT, False, True, False),
    (WITHOUT, True, True, True),
    (None, True, True, True),
    (WITHOUT, False, False, True),
]


@pytest.mark.parametrize(("features", "bought", "premium", "opens"), LESSON_TABLE)
def test_premium_lesson_truth_table(ctx, features, bought, premium, opens):
    course = make_course(price="30")
    lesson = make_lesson(make_section(course), title="Deep dive")
    lesson.is_premium = premium
    db.session.commit()
    student = _learner(features, course if bought else None)
    make_enrollment(student, course, type="purchase" if bought else "subscription")
    db.session.expire_all()
    assert can_access(student, course)
    assert can_open_lesson(student, lesson) is opens
    if not opens:
        with pytest.raises(Forbidden, match="premium"):
            require_open_lesson(student, lesson)


def test_staff_open_premium_lessons(ctx):
    instructor = make_user("Instructor")
    course = make_course(price="30", instructors=[instructor], is_premium=True)
    lesson = make_lesson(make_section(course))
    lesson.is_premium = True
    db.session.commit()
    assert can_access(instructor, course) and can_open_lesson(instructor, lesson)


# ---- the "Premium" label in the portal --------------------------------------------------------
PREMIUM_BADGE = '<span class="badge premium"'


@pytest.mark.parametrize(("query", "label"), [("", "Premium"), ("&_l_=ar", "مميّز")])
def test_portal_labels_premium_courses_and_lessons(app, query, label):
    from app.courses.models import Course, Lesson
    from tests.conftest import login
    from tests.portal_helpers import course_with_lessons

    data = course_with_lessons(app, title="Gold Course", is_premium=True)
    with app.app_context():
        make_course(title="Gold Plain Course")
        db.session.get(Lesson, data["third"]).is_premium = True
        db.session.commit()
        assert db.session.get(Course, data["id"]).is_premium
        db.session.remove()
    browser = app.test_client()
    login(browser, data["instructor"])

    catalog = browser.get(f"/courses/?q=gold{query}").get_data(as_text=True)
    assert catalog.count(PREMIUM_BADGE) == 1, "only the premium course's card"
    assert f"{PREMIUM_BADGE}>{label}</span>" in catalog

    page = browser.get(f"/courses/{data['slug']}?{query.lstrip('&')}").get_data(as_text=True)
    assert 'id="course-premium">' + label in page
    assert page.count(PREMIUM_BADGE) == 2, "the course and its one premium lesson in the syllabus"

    player = browser.get(f"/courses/{data['slug']}/lessons/{data['preview']}?{query.lstrip('&')}")
    assert player.status_code == 200
    outline = player.get_data(as_text=True).split('class="player-outline"')[1].split("</aside>")[0]
    assert outline.count(PREMIUM_BADGE) == 1 and f">{label}</span>" in outline
