"""Slugs (unique, Arabic, old slugs kept), the public catalog (search, filters, pages), the review flow."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import Conflict, Forbidden, Invalid
from app.core.models import utcnow
from app.courses.models import Course, CourseSlug
from app.courses.services import (
    approve_course,
    catalog,
    check_slug,
    prepare_course,
    reject_course,
    resolve_slug,
    submit_for_review,
)
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.course_factories import grant_subscription, make_course, make_lesson, make_section
from tests.factories import make_user


def _new_course(title_en: str | None = "Intro", title_ar: str | None = None, **fields: Any) -> Course:
    translations = {}
    if title_en:
        translations["en"] = {"title": title_en}
    if title_ar:
        translations["ar"] = {"title": title_ar}
    return Course(translations=translations, **fields)


def _save(course: Course, user: Any) -> Course:
    prepare_course(course, user)
    db.session.add(course)
    db.session.commit()
    return course


# ---- slugs -------------------------------------------------------------------------------------
def test_prepare_course_makes_unique_slugs_and_defaults(ctx: None) -> None:
    teacher = make_user("Instructor")
    first = _save(_new_course("Python for Everyone!"), teacher)
    second = _save(_new_course("Python for everyone"), teacher)
    assert first.slug == "python-for-everyone" and second.slug == "python-for-everyone-2"
    assert first.status.code == "draft" and first.visibility.code == "draft"
    assert teacher in first.instructors and first.currency == "USD"
    assert first.published_at is None


def test_arabic_title_keeps_arabic_letters(ctx: None) -> None:
    course = _save(_new_course(None, "مقدمة في البرمجة"), make_user("Instructor"))
    assert course.slug == "مقدمة-في-البرمجة"
    assert resolve_slug("مقدمة-في-البرمجة") == (course, None)


def test_prepare_course_checks(ctx: None) -> None:
    teacher = make_user("Instructor")
    with pytest.raises(Invalid):
        prepare_course(_new_course(None), teacher)
    with pytest.raises(Invalid):
        prepare_course(_new_course("Negative", price=-1), teacher)
    with pytest.raises(Invalid):
        prepare_course(_new_course("Bad slug", slug="Not A Slug"), teacher)
    published = _new_course("Published", status_id=require_lookup_id("course_status", "published"))
    with pytest.raises(Forbidden):
        prepare_course(published, teacher)  # only an admin publishes
    admin_course = _save(
        _new_course("By admin", status_id=require_lookup_id("course_status", "published")), make_user("Admin")
    )
    assert admin_course.published_at is not None and admin_course.instructors == []


def test_check_slug_rejects_current_and_old_slugs_of_other_courses(ctx: None) -> None:
    first = make_course(slug="alpha")
    second = make_course(slug="beta")
    assert check_slug("alpha", first.id) == "alpha"
    with pytest.raises(Conflict):
        check_slug("alpha", second.id)
    with pytest.raises(Conflict):
        check_slug("alpha")
    first.slug = "alpha-2"
    db.session.commit()
    with pytest.raises(Conflict):
        check_slug("alpha", second.id)  # an old address of the first course
    assert check_slug("alpha", first.id) == "alpha"  # a course may take its own old slug back


def test_check_slug_sees_deleted_courses(ctx: None) -> None:
    gone = make_course(slug="gone")
    gone.is_deleted, gone.deleted_at = True, utcnow()
    db.session.commit()
    with pytest.raises(Conflict):
        check_slug("gone")  # the unique index still holds it


def test_slug_change_keeps_the_old_slug(ctx: None) -> None:
    course = make_course(slug="old-address")
    db.session.expire_all()  # as after any commit: the attribute is not loaded when it is set
    course.slug = "new-address"
    db.session.commit()
    assert resolve_slug("old-address") == (None, "new-address")
    assert resolve_slug("new-address") == (course, None)
    assert resolve_slug("never-used") == (None, None)
    course.slug = "newest"
    db.session.commit()
    assert resolve_slug("old-address") == (None, "newest")
    assert resolve_slug("new-address") == (None, "newest")
    course.slug = "old-address"  # back to the first one: current again, not a redirect
    db.session.commit()
    assert resolve_slug("old-address") == (course, None)
    assert resolve_slug("newest") == (None, "old-address")
    slugs = set(db.session.scalars(db.select(CourseSlug.slug).where(CourseSlug.course_id == course.id)))
    assert slugs == {"new-address", "newest"}


def test_search_text_follows_titles_and_tags(ctx: None) -> None:
    course = make_course(title="Data Science", title_ar="علم البيانات", tags=["Pandas"])
    assert "data science" in course.search_text and "علم البيانات" in course.search_text
    assert "pandas" in course.search_text
    course.translations = {"en": {"title": "Machine Learning"}, "ar": {"title": "تعلم الآلة"}}
    db.session.commit()
    assert "machine learning" in course.search_text and "data science" not in course.search_text


# ---- catalog -----------------------------------------------------------------------------------
def _ids(page: Any) -> set[int]:
    return {course.id for course in page.items}


def test_catalog_search_in_both_languages(ctx: None) -> None:
    python = make_course(title="Python Basics", title_ar="أساسيات بايثون")
    design = make_course(title="Graphic Design", title_ar="التصميم الجرافيكي")
    assert _ids(catalog(search="python")) == {python.id}
    assert _ids(catalog(search="PYTHON basics")) == {python.id}
    assert _ids(catalog(search="بايثون")) == {python.id}
    assert _ids(catalog(search="اساسيات")) == {python.id}  # hamza-less spelling
    assert _ids(catalog(search="أَسَاسِيَّات")) == {python.id}  # with harakat
    assert _ids(catalog(search="التصميم")) == {design.id}
    assert _ids(catalog(search="design graphic")) == {design.id}  # every word, any order
    assert _ids(catalog(search="python design")) == set()
    assert _ids(catalog(search="100%_")) == set()  # LIKE wildcards are literal


def test_catalog_filters(ctx: None) -> None:
    free_beginner = make_course(category="programming", level="beginner")
    paid_advanced = make_course(category="programming", level="advanced", price=30)
    paid_design = make_course(category="design", level="beginner", price=15, included_in_subscription=False)
    uncategorized = make_course()
    assert _ids(catalog(category="programming")) == {free_beginner.id, paid_advanced.id}
    assert _ids(catalog(level="beginner")) == {free_beginner.id, paid_design.id}
    assert _ids(catalog(category="programming", level="advanced")) == {paid_advanced.id}
    assert _ids(catalog(price="free")) == {free_beginner.id, uncategorized.id}
    assert _ids(catalog(price="paid")) == {paid_advanced.id, paid_design.id}
    assert _ids(catalog(category="no-such-category")) == set()
    assert _ids(catalog(level="no-such-level")) == set()
    student = make_user("Student")
    assert _ids(catalog(in_my_plan=True, user=student)) == set()
    assert _ids(catalog(in_my_plan=True, user=None)) == set()
    grant_subscription(student)
    assert _ids(catalog(in_my_plan=True, user=student)) == {
        free_beginner.id,
        paid_advanced.id,
        uncategorized.id,
    }


def test_catalog_lists_published_public_courses_only(ctx: None) -> None:
    listed = make_course()
    make_course(status="draft", visibility="draft")
    make_course(visibility="private")
    make_course(status="archived")
    make_course(status="draft", visibility="public")
    deleted = make_course()
    deleted.is_deleted, deleted.deleted_at = True, utcnow()
    db.session.commit()
    page = catalog(page_size=100)
    assert _ids(page) == {listed.id} and page.total == 1


def test_catalog_pages(ctx: None) -> None:
    courses = [make_course(title=f"Paged {n}") for n in range(7)]
    first = catalog(page=1, page_size=3, search="paged")
    assert first.total == 7 and first.pages == 3 and len(first.items) == 3
    seen: list[int] = []
    for number in (1, 2, 3):
        seen += [c.id for c in catalog(page=number, page_size=3, search="paged").items]
    assert sorted(seen) == sorted(c.id for c in courses) and len(set(seen)) == 7
    assert catalog(page=4, page_size=3, search="paged").items == []
    assert catalog(page=0, page_size=1000, search="paged").page_size == 100  # clamped
    empty = catalog(search="nothing-matches-this")
    assert empty.total == 0 and empty.pages == 1


# ---- review workflow ---------------------------------------------------------------------------
def test_review_workflow(ctx: None) -> None:
    teacher, admin = make_user("Instructor"), make_user("Admin")
    course = make_course(instructors=[teacher], status="draft", visibility="draft")
    with pytest.raises(Invalid):
        submit_for_review(course, teacher)  # needs a lesson
    make_lesson(make_section(course))
    with pytest.raises(Forbidden):
        submit_for_review(course, make_user("Instructor"))
    submit_for_review(course, teacher)
    assert course.review_status.code == "pending" and course.submitted_at is not None
    with pytest.raises(Conflict):
        submit_for_review(course, teacher)
    with pytest.raises(Forbidden):
        approve_course(course, teacher)
    with pytest.raises(Forbidden):
        reject_course(course, teacher, "no")
    with pytest.raises(Invalid):
        reject_course(course, admin, "   ")
    reject_course(course, admin, "Add captions to the videos.")
    assert course.review_status.code == "rejected" and course.review_reason == "Add captions to the videos."
    assert course.status.code == "draft"
    with pytest.raises(Conflict):
        approve_course(course, admin)  # not waiting any more
    submit_for_review(course, teacher)
    assert course.review_reason is None
    approve_course(course, admin)
    assert course.review_status.code == "approved" and course.reviewed_by_id == admin.id
    assert course.status.code == "published" and course.visibility.code == "public"
    assert course.published_at is not None
    assert course.id in _ids(catalog(page_size=100))


def test_approving_a_private_course_keeps_it_private(ctx: None) -> None:
    teacher, admin = make_user("Instructor"), make_user("Admin")
    course = make_course(instructors=[teacher], status="draft", visibility="private")
    make_lesson(make_section(course))
    submit_for_review(course, teacher)
    approve_course(course, admin)
    assert course.status.code == "published" and course.visibility.code == "private"
    assert course.id not in _ids(catalog(page_size=100))
