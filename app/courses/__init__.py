"""Courses and learning: structure, resources, enrolment and access, progress, notes."""

from typing import Any

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _register_targets() -> None:
    from flask import url_for

    from app.core.targets import register_target
    from app.core.translations import translated
    from app.courses import services
    from app.courses.models import Course, CourseResource, CourseSection, Enrollment, Lesson, LessonContent
    from app.courses.services.progress import may_open_lesson

    def course_of(obj: Any) -> Any:
        return obj if isinstance(obj, Course) else obj.course

    def manage(user: Any, obj: Any) -> bool:
        return services.can_manage(user, course_of(obj))

    def course_url(user: Any, course: Course) -> str:
        # Its staff work on an unlisted course (a draft, one under review) in the back office.
        if services.can_manage(user, course) and not services.is_listed(course):
            return url_for("CourseModelView.show", pk=course.id)
        return url_for("portal.course_page", slug=course.slug)

    def in_course_url(user: Any, obj: Any) -> str:
        return url_for("portal.course_page", slug=obj.course.slug)

    def lesson_url(user: Any, lesson: Lesson) -> str:
        return url_for("portal.lesson_player", slug=lesson.course.slug, lesson_id=lesson.id)

    def title(obj: Any, language: str) -> str:
        return translated(obj.translations, "title", language)

    def own_enrollment(user: Any, enrollment: Enrollment) -> bool:
        return getattr(user, "id", None) == enrollment.user_id

    def enrollment_url(user: Any, enrollment: Enrollment) -> str:
        if own_enrollment(user, enrollment):
            return url_for("portal.course_page", slug=enrollment.course.slug)
        return url_for("EnrollmentModelView.show", pk=enrollment.id)

    register_target(
        "course",
        Course,
        can_view=services.can_see_course,
        can_edit=manage,
        can_moderate=manage,
        url=course_url,
        title=title,
    )

    def section_url(user: Any, section: CourseSection) -> str:
        # The section page: its lessons, discussion and notes.
        return url_for("portal.section_page", slug=section.course.slug, section_id=section.id)

    for code, model, link in (
        ("course_section", CourseSection, section_url),
        ("course_resource", CourseResource, in_course_url),
    ):
        register_target(
            code,
            model,
            can_view=lambda user, obj: services.can_access(user, obj.course),
            can_edit=manage,
            can_moderate=manage,
            url=link,
            title=title if code == "course_section" else None,
        )
    register_target(
        "lesson",
        Lesson,
        can_view=may_open_lesson,
        can_edit=manage,
        can_moderate=manage,
        url=lesson_url,
        title=title,
    )
    register_target(
        "lesson_content",
        LessonContent,
        can_view=lambda user, obj: may_open_lesson(user, obj.lesson),
        can_edit=lambda user, obj: services.can_manage(user, obj.lesson.course),
    )
    # The learner's own enrolment and those the course's staff manage (notifications link to it).
    register_target(
        "enrollment",
        Enrollment,
        can_view=lambda user, obj: own_enrollment(user, obj) or manage(user, obj),
        can_edit=lambda user, obj: False,
        url=enrollment_url,
    )


# Enrolments the learner chose (joining, a subscription, a purchase): those a share can have brought.
_OWN_ENROLMENT_SOURCES = frozenset({"self", "subscription", "purchase"})


def _referral_enrolment(enrollment: Any, source: str = "", **_extra: Any) -> None:
    """Receiver of `enrollment_created`: an enrolment the learner made after following share links is
    credited to them (not one granted by staff or imported)."""
    from app.engagement.services import record_conversion

    if source not in _OWN_ENROLMENT_SOURCES:
        return
    if enrollment.id is None:
        from app.extensions import db

        db.session.flush()
    record_conversion(
        enrollment.user_id,
        "enrollment",
        "course",
        enrollment.course_id,
        source_key=f"enrollment:{enrollment.id}",
    )


def _course_landing(args: dict[str, Any]) -> Any:
    """The course a course page shows (visits through share links name it)."""
    from sqlalchemy import select

    from app.courses.models import Course
    from app.extensions import db

    course_id = db.session.scalar(select(Course.id).where(Course.slug == args.get("slug")))
    return ("course", course_id) if course_id is not None else None


def _lesson_landing(args: dict[str, Any]) -> Any:
    """The lesson a lesson player page shows."""
    lesson_id = args.get("lesson_id")
    return ("lesson", lesson_id) if isinstance(lesson_id, int) else None


def _register_referrals() -> None:
    """Course and lesson pages are referral landings; enrolments are referral conversions."""
    from app.courses.signals import enrollment_created
    from app.engagement.services import register_landing

    register_landing("portal.course_page", _course_landing)
    register_landing("portal.lesson_player", _lesson_landing)
    enrollment_created.connect(_referral_enrolment)


def _register_managed_rows() -> None:
    """Instructors manage the rows of the courses they teach (lists and dropdowns of every module)."""
    from app.core.filters import register_managed_rows
    from app.courses.models import (
        Course,
        CourseResource,
        CourseSection,
        Enrollment,
        Lesson,
        LessonContent,
        Note,
    )
    from app.courses.services.scope import taught_clause

    register_managed_rows(
        (Course, CourseSection, Lesson, LessonContent, CourseResource, Enrollment, Note),
        lambda model, user: taught_clause(model, getattr(user, "id", None)),
    )


def _register_moderation_scopes() -> None:
    """Which course targets an instructor moderates, as SQL (for the comment moderation list),
    that instructors hear of new comments on them, and the course column views are counted in."""
    from sqlalchemy import select

    from app.courses.models import Course, CourseResource, CourseSection, Lesson
    from app.courses.services.catalog import courses_taught_by
    from app.engagement.notices import register_comment_audience, register_owners
    from app.engagement.services import register_moderation_scope, register_view_counter

    def by_course(model: type) -> Any:
        return lambda user_id: select(model.id).where(model.course_id.in_(courses_taught_by(user_id)))

    def instructors(target: Any) -> Any:
        return (target if isinstance(target, Course) else target.course).instructors

    for code in ("course", "course_section", "lesson", "course_resource"):
        register_comment_audience(code, instructors)  # told of new comments on their courses
    for code in ("course", "lesson"):
        register_owners(code, instructors)  # told when someone favorites or shares them
    register_moderation_scope("course", courses_taught_by)
    register_moderation_scope("course_section", by_course(CourseSection))
    register_moderation_scope("lesson", by_course(Lesson))
    register_moderation_scope("course_resource", by_course(CourseResource))
    # The back office, the API and the catalog show Course.view_count: the view flush keeps it.
    register_view_counter("course", Course.view_count)


def register(appbuilder: AppBuilder) -> None:
    """Add the course screens and APIs; register courses, sections and lessons as targets, the rows
    instructors manage and the comments they moderate."""
    from app.core.dashboard import register_panel
    from app.core.display import register_labels
    from app.core.menus import add_link, add_views, register_menu_groups
    from app.courses import listeners, notices  # noqa: F401  (listeners: derived data kept on flush)
    from app.courses.api import CourseApi
    from app.courses.api_learning import (
        CoursePurchaseApi,
        EnrollmentApi,
        LessonProgressApi,
        NoteApi,
    )
    from app.courses.api_structure import CourseResourceApi, CourseSectionApi, LessonApi, LessonContentApi
    from app.courses.audit_scope import register_course_audit_scopes
    from app.courses.dashboard import courses_waiting_for_review, courses_you_teach, new_enrolments
    from app.courses.views import CourseAnalyticsView, CourseModelView
    from app.courses.views_learning import (
        CoursePurchaseModelView,
        EnrollmentModelView,
        NoteModelView,
    )
    from app.courses.views_outline import CourseOutlineView
    from app.courses.views_structure import (
        CourseResourceModelView,
        CourseSectionModelView,
        LessonContentModelView,
        LessonModelView,
    )

    _register_targets()
    notices.register_messages()
    _register_managed_rows()
    _register_moderation_scopes()
    _register_referrals()
    register_course_audit_scopes()
    register_labels("task", {"expire_subscription_enrollments": _l("expire subscription enrolments")})
    register_panel(courses_waiting_for_review, 10)
    register_panel(courses_you_teach, 30)
    register_panel(new_enrolments, 40)
    category = {"category": "Courses", "category_label": _l("Courses"), "category_icon": "fa-graduation-cap"}
    register_menu_groups(
        "Courses",
        ("content", _l("Course content")),
        ("learners", _l("Learners")),
        ("insights", _l("Sales and analytics")),
    )
    # (view class, menu name, label, icon[, menu group])
    screens = (
        (CourseModelView, "Courses", _l("Courses"), "fa-book", "content"),
        (CourseSectionModelView, "Course Sections", _l("Sections"), "fa-list-ol", "content"),
        (LessonModelView, "Lessons", _l("Lessons"), "fa-chalkboard-teacher", "content"),
        (LessonContentModelView, "Lesson Content", _l("Lesson content"), "fa-file-video", "content"),
        (CourseResourceModelView, "Course Resources", _l("Resources"), "fa-paperclip", "content"),
        (EnrollmentModelView, "Enrollments", _l("Enrolments"), "fa-user-graduate", "learners"),
        (NoteModelView, "Notes", _l("Notes"), "fa-sticky-note", "learners"),
        (CourseAnalyticsView, "Course Analytics", _l("Analytics"), "fa-chart-line", "insights"),
        (CoursePurchaseModelView, "Course Purchases", _l("Course purchases"), "fa-receipt", "insights"),
    )
    add_views(appbuilder, screens, **category)
    appbuilder.add_view_no_menu(CourseOutlineView)
    add_link(
        appbuilder,
        "Enrol students",
        label=_l("Enrol students"),
        href="/enrollmentmodelview/enroll/",
        icon="fa-user-plus",
        category="Courses",
        menu_group="learners",
    )
    for api in (
        CourseApi,
        CourseSectionApi,
        LessonApi,
        LessonContentApi,
        CourseResourceApi,
        EnrollmentApi,
        LessonProgressApi,
        NoteApi,
        CoursePurchaseApi,
    ):
        appbuilder.add_api(api)
