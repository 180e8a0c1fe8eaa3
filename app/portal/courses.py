"""Portal course pages: catalog, course page, enrolment, My learning, and the helpers they share.

Routes only: every rule lives in `app.courses.services` (and `app.engagement.services` for comments).
Forms post back and redirect with a flashed message. The lesson player, its heartbeat, notes and
comments are in `app.portal.player`, which imports the shared helpers from here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.assessments.services.certificates import certificates_enabled
from app.core.errors import AppError
from app.core.formatters import format_user_datetime
from app.core.html import plain_text, sanitize_html
from app.core.money import money_html
from app.core.portal import flashed as _flashed
from app.core.portal import login_redirect as _login_redirect
from app.core.portal import signed_in_user as _user
from app.core.translations import LANGUAGES, current_language, translated
from app.courses.models import Course, Enrollment, Lesson
from app.courses.services import access, progress
from app.courses.services import enrollment as enrollment_service
from app.courses.services.catalog import catalog as catalog_page
from app.courses.services.catalog import ordered_lessons, outline, resolve_slug
from app.engagement.services.views import record_view
from app.extensions import db
from app.lookups.services import values_of
from app.media import services as media_services
from app.portal.engagement_figures import engagement_data
from app.portal.views import portal
from app.security.permissions import has_permission, requires_permission

PAGE_SIZE = 12
PRICE_FILTERS = ("free", "paid")
OG_LOCALES = {"en": "en_US", "ar": "ar_AR"}


# ---- helpers ---------------------------------------------------------------------------------
def _safe_url(url: str | None) -> str | None:
    """Only absolute https/http URLs make it into links and meta tags."""
    if not url:
        return None
    parts = urlsplit(str(url).strip())
    return str(url).strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _media_link(media: Any, user: Any, *, inline: bool) -> str | None:
    """A signed link to a file, or None when the user may not have it."""
    if media is None:
        return None
    try:
        return media_services.issue_link(media, user, inline=inline)
    except AppError:
        return None


def _cover_url(course: Course, user: Any) -> str | None:
    cover = course.cover
    if cover is None or not (cover.mime_type or "").startswith("image/"):
        return None
    return _media_link(cover, user, inline=True)


def _price_label(course: Course) -> str | Markup:
    if course.is_free:
        return _("Free")
    return money_html(course.price, course.currency)


def _course_for(slug: str, user: Any, suffix: Callable[[str], str] | None = None) -> Course | Response:
    """The course a slug names, a 301 to its current slug, or a 404 (also for courses the user may
    not see: a private course does not exist for outsiders)."""
    course, new_slug = resolve_slug(slug)
    if new_slug is not None:
        target = suffix(new_slug) if suffix else url_for("portal.course_page", slug=new_slug)
        query = request.query_string.decode()
        return redirect(f"{target}?{query}" if query else target, code=301)
    if course is None or not access.can_see_course(user, course):
        abort(404)
    return course


def _next_lesson_for(user: Any, course: Course) -> Lesson | None:
    """Where "Continue learning" goes: the first open lesson not completed yet, else the first."""
    lessons = ordered_lessons(course.id)
    if not lessons:
        return None
    if user is None:
        return lessons[0]
    done = progress.completed_lesson_ids(user.id, course.id)
    locked = progress.locked_lesson_ids(user, course, lessons)
    for lesson in lessons:
        if lesson.id not in done and lesson.id not in locked:
            return lesson
    return lessons[0]


@portal.app_template_filter("user_datetime")
def user_datetime(value: Any) -> str:
    """A datetime in the viewer's language and timezone (the back office's style too)."""
    return format_user_datetime(value)


@portal.app_template_filter("rich_text")
def rich_text(value: str | None) -> Any:
    """Stored rich text, sanitized again on the way out, marked safe for Jinja."""
    from markupsafe import Markup

    return Markup(sanitize_html(value))  # noqa: S704 - nh3 output: only allowed tags and schemes


@portal.app_template_filter("note_text")
def note_text(value: str | None) -> str:
    """A note's stored HTML as the plain text its author typed (for the edit box)."""
    return html.unescape(plain_text(value))


# ---- catalog ---------------------------------------------------------------------------------
@portal.route("/courses/")
def catalog() -> str:
    """The public catalog: search, filters, pagination."""
    user = _user()
    args = request.args
    search = (args.get("q") or "").strip()[:200]
    categories, levels = values_of("course_categories"), values_of("course_levels")
    category = args.get("category") if args.get("category") in {c.code for c in categories} else None
    level = args.get("level") if args.get("level") in {v.code for v in levels} else None
    price = args.get("price") if args.get("price") in PRICE_FILTERS else None
    in_my_plan = bool(user) and args.get("mine") == "1"
    try:
        page_number = max(1, int(args.get("page", 1)))
    except ValueError:
        page_number = 1
    result = catalog_page(
        page_number,
        PAGE_SIZE,
        search=search,
        category=category,
        level=level,
        price=price,
        in_my_plan=in_my_plan,
        user=user,
    )
    filters = {
        k: v
        for k, v in {
            "q": search,
            "category": category,
            "level": level,
            "price": price,
            "mine": "1" if in_my_plan else None,
        }.items()
        if v
    }
    cards = [
        {
            "course": course,
            "title": course.title,
            "subtitle": translated(course.translations, "subtitle"),
            "cover": _cover_url(course, user),
            "price": _price_label(course),
            "level": course.level.name if course.level else "",
            "category": course.category.name if course.category else "",
        }
        for course in result.items
    ]
    return render_template(
        "portal/course_catalog.html",
        result=result,
        cards=cards,
        filters=filters,
        search=search,
        categories=categories,
        levels=levels,
        page_url=lambda n: url_for("portal.catalog", **filters, page=n),
    )


# ---- course page -----------------------------------------------------------------------------
def _seo(course: Course, description: str, cover: str | None) -> dict[str, Any]:
    """Meta tags, alternates and JSON-LD of a course page (PRD 4.1.1-4.1.3)."""
    language = current_language()
    seo = (course.seo or {}).get(language) or {}
    if not isinstance(seo, dict):
        seo = {}
    title = course.title
    subtitle = translated(course.translations, "subtitle")
    base = url_for("portal.course_page", slug=course.slug, _external=True)
    meta_description = str(seo.get("meta_description") or subtitle or description)[:300]
    canonical = _safe_url(seo.get("canonical_url")) or f"{base}?_l_={language}"
    keywords = seo.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    image = _safe_url(seo.get("og_image"))
    instructors = [
        {"@type": "Person", "name": user.get_full_name() if hasattr(user, "get_full_name") else str(user)}
        for user in course.instructors
    ]
    jsonld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": title,
        "description": meta_description,
        "url": canonical,
        "inLanguage": language,
        "provider": {
            "@type": "Organization",
            "name": current_app.config.get("APP_NAME", ""),
            "sameAs": url_for("portal.home", _external=True),
        },
        "offers": {
            "@type": "Offer",
            "category": "Free" if course.is_free else "Paid",
            "price": f"{course.price:.2f}",
            "priceCurrency": course.currency,
            "url": canonical,
        },
        "hasCourseInstance": {
            "@type": "CourseInstance",
            "courseMode": "online",
            **({"instructor": instructors} if instructors else {}),
        },
    }
    if image:
        jsonld["image"] = image
    if isinstance(seo.get("schema_markup"), dict):
        jsonld.update(seo["schema_markup"])  # the editor's own structured data wins
    return {
        "title": str(seo.get("meta_title") or title),
        "description": meta_description,
        "keywords": ", ".join(str(k) for k in keywords if k),
        "canonical": canonical,
        "alternates": [(lang, f"{base}?_l_={lang}") for lang in LANGUAGES] + [("x-default", base)],
        "og_title": str(seo.get("og_title") or seo.get("meta_title") or title),
        "og_description": str(seo.get("og_description") or meta_description),
        "og_type": str(seo.get("og_type") or "website"),
        "og_image": image,
        "og_locale": OG_LOCALES.get(language, "en_US"),
        "og_locale_alternates": [OG_LOCALES[lang] for lang in LANGUAGES if lang != language],
        "jsonld": jsonld,
    }


@portal.route("/courses/<slug>")
def course_page(slug: str) -> Any:
    """The public course page: texts, syllabus, instructors, prerequisites and the right action."""
    user = _user()
    found = _course_for(slug, user)
    if not isinstance(found, Course):
        return found
    course = found
    record_view("course", course.id, user, target=course)  # counted in Redis, no database write
    description_html = translated(course.translations, "description")
    description = plain_text(description_html)[:300]
    cover = _cover_url(course, user)
    enrollment = access.enrollment_of(user.id, course.id) if user else None
    has_access = bool(user) and access.can_access(user, course)
    enrolled = access.enrollment_grants_access(enrollment, course)
    sections = outline(course)
    lessons = [lesson for _section, items in sections for lesson in items]
    completed = progress.completed_lesson_ids(user.id, course.id) if user else set()
    locked = progress.locked_lesson_ids(user, course, lessons) if user else set()
    join_type = None
    missing: list[Course] = []
    if user and not has_access:
        join_type = enrollment_service.access_type_for(user.id, course)
        missing = enrollment_service.missing_prerequisites(user.id, course)
    elif user is None and course.is_free:
        join_type = "purchase"  # visitors are invited to sign in and join
    studying = enrolled and enrollment.completed_at is None
    from app.portal.discussions import course_discussion  # the same blueprint, imported after this module
    from app.portal.shares import share_state

    discussion = course_discussion(user, course, has_access, sections)
    # The course's reactions, favorites and shares come with its comments' figures (one statement).
    comments = discussion["comments"]
    engagement = comments["target"] if comments else engagement_data(user, course=[course.id])["course"]
    return render_template(
        "portal/course_detail.html",
        favorites=engagement["favorites"],
        course=course,
        subtitle=translated(course.translations, "subtitle"),
        description_html=description_html,
        cover=cover,
        seo=_seo(course, description, cover),
        price=_price_label(course),
        sections=sections,
        lesson_count=len(lessons),
        completed=completed,
        locked=locked,
        enrollment=enrollment,
        enrolled=enrolled,
        has_access=has_access,
        can_manage=bool(user) and access.can_manage(user, course),
        join_type=join_type,
        missing=missing,
        left=progress.what_is_left(user.id, course) if studying else [],
        certificate=studying and certificates_enabled(course.id),
        # The same matrix checks as the enrol and buy routes: no button that would answer 403.
        may_enroll=has_permission("can_enroll", "Course"),
        may_buy=has_permission("can_purchase", "Payment"),
        reactions=engagement["reactions"],
        shares=share_state(user, "course", course.id, course.title, engagement["shares"][course.id]),
        discussion=discussion,
    )


@portal.route("/courses/<slug>/enroll", methods=["POST"])
@requires_permission("can_enroll", "Course")
def enroll(slug: str) -> Response:
    """Join a course (free, bought, or included in the user's subscription)."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _course_for(slug, user)
    if not isinstance(found, Course):
        return found
    page = url_for("portal.course_page", slug=found.slug)
    return _flashed(
        page, _("You are enrolled. Enjoy the course!"), lambda: enrollment_service.enroll_student(user, found)
    )


@portal.route("/courses/<slug>/drop", methods=["POST"])
def drop(slug: str) -> Response:
    """Leave a course (progress is kept if the learner comes back)."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _course_for(slug, user)
    if not isinstance(found, Course):
        return found
    page = url_for("portal.course_page", slug=found.slug)
    enrollment = access.enrollment_of(user.id, found.id)
    if enrollment is None:
        flash(_("You are not enrolled in this course."), "danger")
        return redirect(page)
    return _flashed(
        page,
        _("You left the course. Your progress is kept if you come back."),
        lambda: enrollment_service.drop_enrollment(enrollment, user),
    )


@portal.route("/courses/<slug>/continue")
def continue_course(slug: str) -> Response:
    """Straight to the next lesson to study."""
    user = _user()
    found = _course_for(slug, user, lambda s: url_for("portal.continue_course", slug=s))
    if not isinstance(found, Course):
        return found
    lesson = _next_lesson_for(user, found)
    if lesson is None:
        flash(_("This course has no lessons yet."), "info")
        return redirect(url_for("portal.course_page", slug=found.slug))
    return redirect(url_for("portal.lesson_player", slug=found.slug, lesson_id=lesson.id))


# ---- my learning -----------------------------------------------------------------------------
@portal.route("/my/learning")
def my_learning() -> Any:
    """The signed-in learner's courses with their progress."""
    user = _user()
    if user is None:
        return _login_redirect()
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .join(Course, Enrollment.course_id == Course.id)
            .where(Enrollment.user_id == user.id)
            .order_by(
                Enrollment.last_accessed_at.desc().nullslast(),
                Enrollment.enrolled_at.desc(),
            )
            .options(selectinload(Enrollment.course))
        )
    )
    rows = []
    for enrollment in enrollments:
        is_open = access.enrollment_grants_access(enrollment, enrollment.course)
        studying = is_open and enrollment.completed_at is None
        rows.append(
            {
                "enrollment": enrollment,
                "course": enrollment.course,
                "open": is_open,
                "left": progress.what_is_left(user.id, enrollment.course) if studying else [],
                "certificate": studying and certificates_enabled(enrollment.course_id),
            }
        )
    return render_template("portal/my_learning.html", rows=rows)
