"""REST API of course structure: /api/v1/course_section, lesson, lesson_content, course_resource,
with their actions (reorder lessons, complete, heartbeat). Scoping and checks as in `app.courses.api`.
"""

from __future__ import annotations

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.core.api import SYSTEM, BaseModelRestApi, json_body, json_object, ordered_ids
from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.courses.api import CourseApiBase
from app.courses.models import CourseResource, CourseSection, Lesson, LessonContent
from app.courses.services import progress
from app.courses.services.access import enrollment_of
from app.courses.services.catalog import (
    next_position,
    reorder_lessons,
)
from app.lookups.services import require_lookup_id


class CourseSectionApi(CourseApiBase):
    """Sections of courses the user may open; staff write and reorder their own."""

    datamodel = SQLAInterface(CourseSection)
    class_permission_name = "CourseSection"
    optional_add_columns = ("position",)
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "reorder"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "reorder": "reorder"}
    list_columns = show_columns = [*SYSTEM, "course_id", "title", "translations", "position"]
    add_columns = edit_columns = ["course", "translations", "position"]
    search_columns = ["course"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseSection) -> None:
        """New sections go last unless a position is given."""
        if not item.position and item.course is not None:
            item.position = next_position(CourseSection, course_id=item.course.id)

    @expose("/<int:pk>/reorder", methods=["POST"])
    @protect()
    @safe
    @permission_name("reorder")
    def reorder(self, pk: int) -> Response:
        """Put the section's lessons in the order of {"lessons": [ids]}."""

        def act() -> Response:
            section = self.scoped(pk)
            lessons = reorder_lessons(section, ordered_ids(json_body(), "lessons"), g.user)
            return self.response(200, id=section.id, lessons=[lesson.id for lesson in lessons])

        return self.run(act)


class LessonApi(CourseApiBase):
    """Lessons the user may open (and free previews of listed courses); complete and heartbeat."""

    datamodel = SQLAInterface(Lesson)
    class_permission_name = "Lesson"
    optional_add_columns = ("content_type", "position", "is_free_preview", "is_premium", "is_required")
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "complete", "heartbeat"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "complete": "complete",
        "heartbeat": "heartbeat",
    }
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "section_id",
        "title",
        "translations",
        "content_type.code",
        "position",
        "is_free_preview",
        "is_premium",
        "is_required",
        "duration_minutes",
    ]
    add_columns = edit_columns = [
        "section",
        "translations",
        "content_type",
        "position",
        "is_free_preview",
        "is_premium",
        "is_required",
        "duration_minutes",
    ]
    search_columns = ["course", "section", "is_free_preview"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: Lesson) -> None:
        """The lesson's course is its section's; new lessons go last and are text unless told."""
        if item.content_type_id is None and item.content_type is None:
            item.content_type_id = require_lookup_id("content_types", "text")
        if item.section is not None:
            item.course = item.section.course
            if not item.position:
                item.position = next_position(Lesson, section_id=item.section.id)

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    @permission_name("complete")
    def complete(self, pk: int) -> Response:
        """Mark the lesson done."""

        def act() -> Response:
            lesson = self.scoped(pk)
            row = progress.complete_lesson(g.user, lesson)
            enrolment = enrollment_of(g.user.id, lesson.course_id)
            return self.response(
                200,
                id=lesson.id,
                completed_at=row.completed_at.isoformat() if row.completed_at else None,
                progress_percent=enrolment.progress_percent if enrolment else None,
            )

        return self.run(act)

    @expose("/<int:pk>/heartbeat", methods=["POST"])
    @protect()
    @safe
    @permission_name("heartbeat")
    def heartbeat(self, pk: int) -> Response:
        """Credit watching time: {"active", "position", "duration", "ended"}."""

        def act() -> Response:
            lesson = self.scoped(pk)
            result = progress.report_heartbeat(g.user, lesson, json_object())
            return self.response(200, id=lesson.id, **result.__dict__)

        return self.run(act)


class LessonContentApi(CourseApiBase):
    """Content items of lessons the user may open."""

    datamodel = SQLAInterface(LessonContent)
    class_permission_name = "LessonContent"
    optional_add_columns = ("kind", "position")
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}
    list_columns = show_columns = [
        *SYSTEM,
        "lesson_id",
        "kind.code",
        "translations",
        "media_id",
        "external_url",
        "position",
    ]
    add_columns = edit_columns = ["lesson", "kind", "translations", "media_id", "external_url", "position"]
    search_columns = ["lesson"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: LessonContent) -> None:
        """New items go last in their lesson and are rich text unless told."""
        if item.kind_id is None and item.kind is None:
            item.kind_id = require_lookup_id("content_types", "text")
        if not item.position and item.lesson is not None:
            item.position = next_position(LessonContent, lesson_id=item.lesson.id)


class CourseResourceApi(CourseApiBase):
    """Resources of courses the user may open."""

    datamodel = SQLAInterface(CourseResource)
    class_permission_name = "CourseResource"
    optional_add_columns = ("position",)
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "section_id",
        "lesson_id",
        "title",
        "translations",
        "resource_type.code",
        "media_id",
        "url",
        "position",
    ]
    add_columns = edit_columns = [
        "course",
        "section",
        "lesson",
        "resource_type",
        "translations",
        "media_id",
        "url",
        "position",
    ]
    search_columns = ["course", "section", "lesson"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseResource) -> None:
        """A section or lesson must belong to the resource's course; a file or a link is required."""
        for part in (item.section, item.lesson):
            if part is not None and item.course is not None and part.course_id != item.course.id:
                raise Invalid(_("The section and lesson must belong to the chosen course."))
        if not item.media_id and not item.url:
            raise Invalid(_("Give a media file id or a link."), {"url": [_("Required.")]})
