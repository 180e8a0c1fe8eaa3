"""The learner portal's course pages: catalog, course page (SEO, enrolment), My learning."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.transactions import transaction
from app.courses.models import Course, Enrollment
from app.engagement.services.views import flush_view_counts
from app.extensions import db
from tests.conftest import login
from tests.course_factories import (
    buy,
    grant_subscription,
    make_course,
)
from tests.factories import make_user
from tests.portal_helpers import course_with_lessons, jsonld, page_text


def test_catalog_searches_titles_in_english_and_arabic(app, client):
    with app.app_context():
        make_course(title="Quantum Gardening", title_ar="البستنة الكمية")
        make_course(title="Pottery Basics", title_ar="أساسيات الفخار")
        db.session.remove()
    english = page_text(client.get("/courses/?q=gardening"))
    assert "Quantum Gardening" in english and "Pottery Basics" not in english
    arabic = page_text(client.get("/courses/?q=الفخار&_l_=ar"))
    assert "أساسيات الفخار" in arabic and "البستنة الكمية" not in arabic
    empty = page_text(client.get("/courses/?q=nothing-like-this"))
    assert "No course matches your search" in empty


def test_catalog_filters_by_category_level_price_and_plan(app, login_as):
    with app.app_context():
        make_course(title="Filter Alpha", category="programming", level="beginner", price=0)
        make_course(title="Filter Beta", category="data_science", level="intermediate", price=20)
        make_course(title="Filter Gamma", price=30, included_in_subscription=False)
        db.session.remove()
    student = login_as("Student")
    page = page_text(student.get("/courses/?q=filter&category=programming"))
    assert "Filter Alpha" in page and "Filter Beta" not in page
    page = page_text(student.get("/courses/?q=filter&level=intermediate"))
    assert "Filter Beta" in page and "Filter Alpha" not in page
    page = page_text(student.get("/courses/?q=filter&price=paid"))
    assert "Filter Beta" in page and "Filter Gamma" in page and "Filter Alpha" not in page
    page = page_text(student.get("/courses/?q=filter&price=free"))
    assert "Filter Alpha" in page and "Filter Beta" not in page
    assert "Included in my plan" in page
    page = page_text(student.get("/courses/?q=filter&mine=1"))
    assert "Filter Alpha" not in page, "no subscription, nothing in the plan"
    with app.app_context():
        grant_subscription(student.user_id)
        db.session.remove()
    page = page_text(student.get("/courses/?q=filter&mine=1"))
    assert "Filter Alpha" in page and "Filter Beta" in page and "Filter Gamma" not in page


def test_catalog_hides_the_plan_filter_from_visitors_and_ignores_bad_values(app, client):
    page = client.get("/courses/?category=nope&level=nope&price=cheap&page=abc&mine=1")
    assert page.status_code == 200
    assert "Included in my plan" not in page_text(page)


def test_catalog_paginates_and_keeps_filters_in_page_links(app, client):
    with app.app_context():
        for n in range(14):
            make_course(title=f"Paged Course {n:02d}", level="beginner")
        db.session.remove()
    first = page_text(client.get("/courses/?q=paged&level=beginner"))
    assert first.count('class="course-card"') == 12
    links = re.findall(r'href="(/courses/\?[^"]*page=2[^"]*)"', first)
    assert links, "a link to page 2"
    link = links[0].replace("&amp;", "&")
    assert "q=paged" in link and "level=beginner" in link
    second = page_text(client.get(link))
    assert second.count('class="course-card"') == 2


def test_arabic_catalog_is_right_to_left_with_arabic_titles(app, client):
    with app.app_context():
        make_course(title="Calligraphy", title_ar="فن الخط العربي")
        db.session.remove()
    page = page_text(client.get("/courses/?_l_=ar"))
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert "فن الخط العربي" in page
    assert "Calligraphy" not in page


# ---- course page -----------------------------------------------------------------------------
def test_unknown_draft_and_private_courses_are_not_found(app, client, login_as):
    with app.app_context():
        instructor = make_user("Instructor")
        draft = make_course(
            title="Secret Draft", status="draft", visibility="draft", instructors=[instructor]
        )
        private = make_course(title="Private One", visibility="private")
        slugs = draft.slug, private.slug
        instructor_name = instructor.username
        db.session.remove()
    assert client.get("/courses/no-such-course").status_code == 404
    for slug in slugs:
        assert client.get(f"/courses/{slug}").status_code == 404
        assert login_as("Student").get(f"/courses/{slug}").status_code == 404
    teacher = app.test_client()
    login(teacher, instructor_name)
    response = teacher.get(f"/courses/{slugs[0]}")
    assert response.status_code == 200 and "Secret Draft" in page_text(response)


def test_an_old_slug_redirects_permanently(app, client):
    with app.app_context():
        course = make_course(title="Renamed", slug="old-name-course")
        course.slug = "new-name-course"
        db.session.commit()
        db.session.remove()
    response = client.get("/courses/old-name-course?_l_=ar")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/courses/new-name-course?_l_=ar")
    assert client.get("/courses/new-name-course").status_code == 200


def test_course_page_counts_views(app, client):
    data = course_with_lessons(app, title="Counted")
    client.get(f"/courses/{data['slug']}")
    client.get(f"/courses/{data['slug']}")  # the same visitor within the window: one view
    app.test_client().get(f"/courses/{data['slug']}")  # another visitor
    with app.app_context():
        assert db.session.get(Course, data["id"]).view_count == 0  # counted in Redis until the flush
        with transaction():
            assert flush_view_counts() == 2
        assert db.session.get(Course, data["id"]).view_count == 2
        db.session.remove()


def test_course_page_has_seo_tags_and_safe_json_ld(app, client):
    title = 'Evil </script><script>alert("x")</script> & more'
    with app.app_context():
        course = make_course(
            title=title,
            price="49.50",
            currency="EUR",
            translations={
                "en": {"title": title, "subtitle": "Learn to escape"},
                "ar": {"title": "دورة الهروب", "subtitle": "تعلم الهروب"},
            },
        )
        slug = course.slug
        db.session.remove()
    response = client.get(f"/courses/{slug}?_l_=en")
    page = page_text(response)
    assert "<script>alert(" not in page
    assert f'<link rel="canonical" href="http://localhost/courses/{slug}?_l_=en">' in page
    for lang in ("en", "ar"):
        assert f'hreflang="{lang}" href="http://localhost/courses/{slug}?_l_={lang}"' in page
    assert f'hreflang="x-default" href="http://localhost/courses/{slug}"' in page
    assert '<meta property="og:title"' in page and '<meta name="twitter:card"' in page
    assert '<meta name="description" content="Learn to escape">' in page
    data = jsonld(page)
    assert data["@type"] == "Course" and data["name"] == title
    assert data["offers"]["price"] == "49.50" and data["offers"]["priceCurrency"] == "EUR"
    assert data["inLanguage"] == "en" and data["provider"]["@type"] == "Organization"
    arabic = page_text(client.get(f"/courses/{slug}?_l_=ar"))
    assert jsonld(arabic)["name"] == "دورة الهروب"
    assert f'<link rel="canonical" href="http://localhost/courses/{slug}?_l_=ar">' in arabic


def test_seo_json_overrides_title_description_and_canonical(app, client):
    with app.app_context():
        course = make_course(
            title="Plain title",
            seo={
                "en": {
                    "meta_title": "Custom SEO Title",
                    "meta_description": "Custom description",
                    "keywords": ["python", "basics"],
                    "og_image": "https://cdn.example.com/cover.png",
                    "canonical_url": "https://example.com/python",
                    "schema_markup": {"educationalLevel": "Beginner"},
                }
            },
        )
        slug = course.slug
        db.session.remove()
    page = page_text(client.get(f"/courses/{slug}?_l_=en"))
    assert "<title>Custom SEO Title" in page
    assert '<meta name="description" content="Custom description">' in page
    assert '<meta name="keywords" content="python, basics">' in page
    assert '<link rel="canonical" href="https://example.com/python">' in page
    assert '<meta property="og:image" content="https://cdn.example.com/cover.png">' in page
    assert jsonld(page)["educationalLevel"] == "Beginner"


def test_course_page_lists_syllabus_previews_and_instructors(app, client):
    data = course_with_lessons(app, title="Syllabus Course")
    page = page_text(client.get(f"/courses/{data['slug']}"))
    assert "Basics" in page and "Welcome" in page and "Variables" in page
    assert f"/courses/{data['slug']}/lessons/{data['preview']}" in page, "free preview linked"
    assert f"/courses/{data['slug']}/lessons/{data['second']}" not in page, "others not linked"
    assert "Free preview" in page and "Instructors" in page
    assert "Sign in to enrol" in page


# ---- enrolment -------------------------------------------------------------------------------
def test_enrol_in_a_free_course_then_continue_and_leave(app, login_as):
    data = course_with_lessons(app, title="Free To Join")
    student = login_as("Student")
    page = page_text(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' in page
    response = student.post(f"/courses/{data['slug']}/enroll")
    assert response.status_code == 302
    page = page_text(student.get(response.headers["Location"]))
    assert "You are enrolled" in page and "Continue learning" in page
    go = student.get(f"/courses/{data['slug']}/continue")
    assert go.headers["Location"].endswith(f"/lessons/{data['preview']}")
    assert student.post(f"/courses/{data['slug']}/drop").status_code == 302
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == student.user_id))
        assert enrollment.status.code == "dropped"
        db.session.remove()


def test_enrolling_twice_flashes_the_service_error(app, login_as):
    data = course_with_lessons(app, title="Twice")
    student = login_as("Student")
    student.post(f"/courses/{data['slug']}/enroll")
    response = student.post(f"/courses/{data['slug']}/enroll", follow_redirects=True)
    assert "already enrolled" in page_text(response)


def test_paid_course_without_access_offers_buy_and_refuses_enrolment(app, login_as):
    data = course_with_lessons(app, title="Costly", price=99, included_in_subscription=False)
    student = login_as("Student")
    page = page_text(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' not in page and 'id="buy-button"' in page
    response = student.post(f"/courses/{data['slug']}/enroll", follow_redirects=True)
    assert "Buy this course or subscribe" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == student.user_id)) is None
        buy(student.user_id, db.session.get(Course, data["id"]))
        db.session.remove()
    page = page_text(student.get(f"/courses/{data['slug']}"))
    assert 'id="enroll-button"' in page, "bought: may enrol"


def test_subscriber_enrols_in_a_paid_course_included_in_the_plan(app, login_as):
    data = course_with_lessons(app, title="In Plan", price=50)
    student = login_as("Student")
    with app.app_context():
        grant_subscription(student.user_id)
        db.session.remove()
    assert "Enrol with my plan" in page_text(student.get(f"/courses/{data['slug']}"))
    student.post(f"/courses/{data['slug']}/enroll")
    assert "Continue learning" in page_text(student.get(f"/courses/{data['slug']}"))


def test_missing_prerequisites_are_listed_and_block_enrolment(app, login_as):
    with app.app_context():
        basic = make_course(title="Prereq Basic")
        advanced = make_course(title="Prereq Advanced")
        advanced.prerequisites = [basic]
        db.session.commit()
        slug = advanced.slug
        db.session.remove()
    student = login_as("Student")
    page = page_text(student.get(f"/courses/{slug}"))
    assert "Prerequisites" in page and "Prereq Basic" in page and 'id="enroll-button"' not in page
    response = student.post(f"/courses/{slug}/enroll", follow_redirects=True)
    assert "Complete these courses first" in page_text(response)


# ---- player ----------------------------------------------------------------------------------
def test_my_learning_needs_a_sign_in(client):
    response = client.get("/my/learning")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/courses/", "/my/learning"])
def test_navigation_links_to_courses_and_my_learning(login_as, path):
    page = page_text(login_as("Student").get(path))
    assert 'href="/courses/"' in page and 'href="/my/learning"' in page


# ---- comments --------------------------------------------------------------------------------
def test_an_absurd_page_number_is_an_empty_page_not_an_error(client):
    response = client.get("/courses/?page=99999999999999999999999")
    assert response.status_code == 200
