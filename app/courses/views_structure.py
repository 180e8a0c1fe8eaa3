"""Course structure back office: sections, lessons, content items and resources, per instructor."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.courses.models import CourseResource, CourseSection, Lesson, LessonContent
from app.courses.services.catalog import next_position
from app.courses.views_base import (
    COMMON_LABELS,
    POSITION_FIELD,
    CourseScopedView,
    pending_upload,
    upload_field,
)

# Lesson content and resources: upload a new file, or pick one from the media library (`media_id`
# gets the picker from BaseModelView).
FILE_FIELDS = {
    "position": POSITION_FIELD,
    "file_upload": upload_field(_l("File")),
}


# ---- sections, lessons, content, resources ---------------------------------------------------
class CourseSectionModelView(CourseScopedView):
    """Sections of the user's courses."""

    datamodel = SQLAInterface(CourseSection)
    class_permission_name = "CourseSectionAdmin"
    list_title = _l("Sections")
    show_title = _l("Section")
    add_title = _l("Add section")
    edit_title = _l("Edit section")
    list_columns = ["course", "position", "title", "updated_at"]
    show_columns = ["course", "position", "title", "translations", "created_at", "updated_at"]
    add_columns = edit_columns = ["course", "position"]
    search_columns = ["course", "position"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseSection) -> None:
        """New sections go last unless a position is given."""
        if not item.position and item.course is not None:
            item.position = next_position(CourseSection, course_id=item.course.id)


class LessonModelView(CourseScopedView):
    """Lessons of the user's courses."""

    datamodel = SQLAInterface(Lesson)
    add_form_extra_fields = edit_form_extra_fields = {
        "position": POSITION_FIELD,
        "is_free_preview": BooleanField(_l("Free preview")),
        "is_premium": BooleanField(_l("Premium")),
        "is_required": BooleanField(_l("Required"), default=True),
    }
    class_permission_name = "LessonAdmin"
    list_title = _l("Lessons")
    show_title = _l("Lesson")
    add_title = _l("Add lesson")
    edit_title = _l("Edit lesson")
    label_columns = {
        **COMMON_LABELS,
        "content_type": _l("Content type"),
        "is_free_preview": _l("Free preview"),
        "is_premium": _l("Premium"),
        "is_required": _l("Required"),
        "duration_minutes": _l("Duration (minutes)"),
    }
    list_columns = [
        "course",
        "section",
        "position",
        "title",
        "content_type",
        "is_free_preview",
        "is_premium",
        "is_required",
    ]
    show_columns = [
        "course",
        "section",
        "position",
        "title",
        "translations",
        "content_type",
        "is_free_preview",
        "is_premium",
        "is_required",
        "duration_minutes",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "section",
        "position",
        "content_type",
        "is_free_preview",
        "is_premium",
        "is_required",
        "duration_minutes",
    ]
    search_columns = ["course", "section", "content_type", "is_free_preview", "is_required"]
    base_order = ("position", "asc")

    def prepare(self, item: Lesson) -> None:
        """The lesson's course is its section's; new lessons go last unless a position is given."""
        if item.section is not None:
            item.course = item.section.course
            if not item.position:
                item.position = next_position(Lesson, section_id=item.section.id)


class LessonContentModelView(CourseScopedView):
    """Content items of lessons of the user's courses."""

    datamodel = SQLAInterface(LessonContent)
    class_permission_name = "LessonContentAdmin"
    list_title = _l("Lesson content")
    show_title = add_title = edit_title = _l("Content item")
    label_columns = {
        **COMMON_LABELS,
        "kind": _l("Kind"),
        "external_url": _l("External address"),
        "file_upload": _l("File"),
    }
    list_columns = ["lesson", "position", "kind", "media", "external_url"]
    show_columns = ["lesson", "position", "kind", "translations", "media", "external_url", "created_at"]
    add_columns = edit_columns = ["lesson", "position", "kind", "file_upload", "media_id", "external_url"]
    add_form_extra_fields = edit_form_extra_fields = FILE_FIELDS
    upload_field_name = "file_upload"
    search_columns = ["lesson", "kind"]
    base_order = ("position", "asc")

    def prepare(self, item: LessonContent) -> None:
        """New items go last in their lesson unless a position is given."""
        if not item.position and item.lesson is not None:
            item.position = next_position(LessonContent, lesson_id=item.lesson.id)


class CourseResourceModelView(CourseScopedView):
    """Resources of the user's courses, at course, section or lesson level."""

    datamodel = SQLAInterface(CourseResource)
    class_permission_name = "CourseResourceAdmin"
    list_title = _l("Resources")
    show_title = add_title = edit_title = _l("Resource")
    label_columns = {
        **COMMON_LABELS,
        "resource_type": _l("Type"),
        "url": _l("Link"),
        "file_upload": _l("File"),
    }
    list_columns = ["course", "section", "lesson", "title", "resource_type", "position"]
    show_columns = [
        "course",
        "section",
        "lesson",
        "title",
        "translations",
        "resource_type",
        "media",
        "url",
        "position",
        "created_at",
    ]
    add_columns = edit_columns = [
        "course",
        "section",
        "lesson",
        "resource_type",
        "file_upload",
        "media_id",
        "url",
        "position",
    ]
    add_form_extra_fields = edit_form_extra_fields = FILE_FIELDS
    upload_field_name = "file_upload"
    search_columns = ["course", "section", "lesson", "resource_type"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseResource) -> None:
        """A section or lesson must belong to the resource's course; a file or a link is required."""
        course = item.course
        for part in (item.section, item.lesson):
            if part is not None and course is not None and part.course_id != course.id:
                raise Invalid(gettext("The section and lesson must belong to the chosen course."))
        if not item.media_id and not item.url and pending_upload(item, self.upload_field_name) is None:
            raise Invalid(gettext("Upload a file, or give a media file id or a link."))
