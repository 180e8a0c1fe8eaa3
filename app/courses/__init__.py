"""Courses and learning: structure, resources, enrolment and access, progress, notes."""

from typing import Any

from flask_appbuilder import AppBuilder


def _register_targets() -> None:
    from app.core.targets import register_target
    from app.courses import services
    from app.courses.models import Course, CourseResource, CourseSection, Lesson, LessonContent

    def course_of(obj: Any) -> Any:
        return obj if isinstance(obj, Course) else obj.course

    def manage(user: Any, obj: Any) -> bool:
        return services.can_manage(user, course_of(obj))

    register_target("course", Course, can_view=services.can_see_course, can_edit=manage, can_moderate=manage)
    for code, model in (("course_section", CourseSection), ("course_resource", CourseResource)):
        register_target(
            code,
            model,
            can_view=lambda user, obj: services.can_access(user, obj.course),
            can_edit=manage,
            can_moderate=manage,
        )
    register_target("lesson", Lesson, can_view=services.can_open_lesson, can_edit=manage, can_moderate=manage)
    register_target(
        "lesson_content",
        LessonContent,
        can_view=lambda user, obj: services.can_open_lesson(user, obj.lesson),
        can_edit=lambda user, obj: services.can_manage(user, obj.lesson.course),
    )


def register(appbuilder: AppBuilder) -> None:
    """Add the course screens and APIs, and register courses, sections and lessons as targets."""
    from app.courses import listeners  # noqa: F401  (derived data kept on flush)

    _register_targets()
