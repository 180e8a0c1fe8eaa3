"""Plan limits where learners use courses: open courses at a time, downloads per period, certificates."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.assessments.services.certificates import issue_certificate
from app.billing.services.features import FeatureLimitReached, FeatureNotInPlan
from app.core.models import utcnow
from app.courses.models import CourseResource
from app.courses.services import drop_enrollment, enroll_student, enrollment_of, record_purchase
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.media import services as media_services
from tests.assessment_factories import set_completion
from tests.billing_factories import make_plan, make_subscription
from tests.conftest import login
from tests.course_factories import make_course
from tests.factories import make_user
from tests.media_fixtures import png_bytes


def test_a_plan_opens_only_so_many_courses_at_a_time(ctx: None) -> None:
    student = make_user("Student")
    make_subscription(student, make_plan(features={"course_access": 1}))
    first, second = make_course(price=20), make_course(price=20)
    enroll_student(student, first)
    with pytest.raises(FeatureLimitReached):
        enroll_student(student, second)
    drop_enrollment(enrollment_of(student.id, first.id), student)
    assert enroll_student(student, second).course_id == second.id


def test_a_plan_without_course_access_opens_no_course(ctx: None) -> None:
    student = make_user("Student")
    make_subscription(student, make_plan(features={"downloads": 5}))
    with pytest.raises(Exception) as refused:
        enroll_student(student, make_course(price=20))
    assert not isinstance(refused.value, FeatureLimitReached)


@pytest.fixture
def resource_world(app, media_config) -> SimpleNamespace:
    """A paid subscription course with one downloadable file, a subscriber (2 downloads a period)
    and a buyer."""
    with app.test_request_context():
        instructor, subscriber, buyer = make_user("Instructor"), make_user("Student"), make_user("Student")
        course = make_course(instructors=[instructor], price=30)
        make_subscription(subscriber, make_plan(features={"course_access": None, "downloads": 2}))
        enroll_student(subscriber, course)
        record_purchase(buyer, course)
        media = media_services.upload_files([("slides.png", png_bytes())], "course_material", instructor)[0]
        resource = CourseResource(
            course_id=course.id,
            resource_type_id=require_lookup_id("resource_types", "file"),
            translations={"en": {"title": "Slides"}},
            media_id=media.id,
        )
        db.session.add(resource)
        db.session.flush()
        media_services.attach(media, "course_resource", resource.id, instructor)
        db.session.commit()
        return SimpleNamespace(
            subscriber=subscriber.username,
            buyer=buyer.username,
            media_id=media.id,
            subscriber_id=subscriber.id,
        )


def _download(app, username: str, media_id: int) -> int:
    browser = app.test_client()
    login(browser, username)
    with app.test_request_context():
        from app.media.models import Media
        from app.security.models import LmsUser

        user = db.session.query(LmsUser).filter_by(username=username).one()
        link = media_services.issue_link(db.session.get(Media, media_id), user)
    return browser.get(link).status_code


def test_downloads_of_course_files_count_against_the_plan(app, resource_world) -> None:
    w = resource_world
    assert [_download(app, w.subscriber, w.media_id) for _ in range(3)] == [200, 200, 403]
    assert [_download(app, w.buyer, w.media_id) for _ in range(3)] == [200, 200, 200]  # bought: not counted
    with app.app_context():
        from app.media.models import Media

        assert db.session.get(Media, w.media_id).download_count == 5  # the refused one was not served


def test_certificates_follow_the_plan_for_subscribers(ctx: None, media_config) -> None:
    course = make_course(price=30)
    set_completion(course, certificate_enabled=True)
    without, with_certificates = make_user("Student"), make_user("Student")
    make_subscription(without, make_plan(features={"course_access": None}))
    make_subscription(with_certificates, make_plan(features={"course_access": None, "certificates": None}))
    for student in (without, with_certificates):
        enrollment = enroll_student(student, course)
        enrollment.completed_at = utcnow()
    db.session.commit()
    assert issue_certificate(without.id, course.id) is None
    assert issue_certificate(with_certificates.id, course.id) is not None
    with pytest.raises(FeatureNotInPlan):
        from app.billing.services.features import check

        check(without.id, "certificates")
