"""Shared pieces of the course back office: instructor scoping, relation choices, file uploads.

Instructors see and change only the rows of the courses they teach: a base filter (`MANAGED`, with the
rule courses register in `app.core.filters`) restricts every
list, show, edit, delete and action, and `pre_add` / `pre_update` / `pre_delete` check the course of the
object (old and new) with the service, so a forged form naming another course is refused.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import FileStorage
from wtforms import IntegerField
from wtforms.validators import Optional

from app.core.errors import Conflict, Forbidden, Invalid
from app.core.filters import MANAGED
from app.core.targets import is_admin
from app.core.views import BaseModelView, guarded
from app.courses.models import Course, Lesson, LessonContent
from app.courses.services.catalog import (
    require_manager,
)
from app.courses.services.media_links import MEDIA_FIELDS, check_media_choice, link_media
from app.courses.services.scope import (
    course_user_ids,
    instructor_choice_clause,
    prerequisite_choice_clause,
)
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import services as media_services
from app.media.validation import EXTENSION_FAMILY, IMAGE_FAMILIES, human_size, kind_rules

TRANSLATED_LABELS = {
    "title": _l("Title"),
    "subtitle": _l("Subtitle"),
    "description": _l("Description"),
    "summary": _l("Summary"),
    "body": _l("Body"),
}
COMMON_LABELS = {
    **TRANSLATED_LABELS,
    "id": _l("Id"),
    "course": _l("Course"),
    "section": _l("Section"),
    "lesson": _l("Lesson"),
    "position": _l("Position"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "media_id": _l("File from the library"),
    "media": _l("Media file"),
    "user": _l("User"),
}


class FilterInstructorChoices(BaseFilter):
    """Users a course may name as instructors: active Instructors (and Admins)."""

    name = "Instructor choices"
    arg_name = "instructor_choices"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the user query to active instructors and admins."""
        return query.filter(instructor_choice_clause())


class FilterPrerequisiteChoices(BaseFilter):
    """Courses a course may name as prerequisites: admins every one; others listed or taught ones."""

    name = "Prerequisite choices"
    arg_name = "prerequisite_choices"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the course query to listed and taught courses unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        return query.filter(prerequisite_choice_clause(getattr(user, "id", None)))


class FilterCourseUsers(BaseFilter):
    """Users in filter dropdowns: admins every one; others the people of the courses they teach."""

    name = "People of my courses"
    arg_name = "course_users"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the user query to learners, co-instructors and commenters of taught courses."""
        user = g.get("user")
        if is_admin(user):
            return query
        return query.filter(self.model.id.in_(course_user_ids(user)))


INSTRUCTOR_CHOICES = [["id", FilterInstructorChoices, None]]
PREREQUISITE_CHOICES = [["id", FilterPrerequisiteChoices, None]]
COURSE_USERS = [["id", FilterCourseUsers, None]]
# Relation choices of forms and list filters: only rows of the user's courses (admins: all).
MANAGED_RELATIONS = {"course": MANAGED, "section": MANAGED, "lesson": MANAGED}
COURSE_RELATIONS = {
    **MANAGED_RELATIONS,
    "instructors": INSTRUCTOR_CHOICES,
    "prerequisites": PREREQUISITE_CHOICES,
}
POSITION_FIELD = IntegerField(_l("Position"), validators=[Optional()], description=_l("Empty: at the end."))

# ---- file uploads ------------------------------------------------------------------------------
# Course files (covers, lesson videos and documents, resources) are uploaded as this media kind: its
# types, size limit and roles come from the media module (DEFAULT_KINDS, MEDIA_KINDS, MEDIA_KIND_ROLES).
UPLOAD_KIND = "course_material"


def upload_extensions(images_only: bool = False) -> list[str]:
    """The extensions the upload kind accepts now (only the images for a cover)."""
    extensions = kind_rules(current_app.config)[UPLOAD_KIND].extensions
    if images_only:
        extensions = frozenset(e for e in extensions if EXTENSION_FAMILY.get(e) in IMAGE_FAMILIES)
    return sorted(extensions)


def _upload_hint(images_only: bool) -> str:
    types = ", ".join(e.upper() for e in upload_extensions(images_only))
    size = human_size(kind_rules(current_app.config)[UPLOAD_KIND].max_bytes)
    return gettext("Accepted: %(types)s; at most %(size)s.", types=types, size=size)


def upload_field(label: Any, images_only: bool = False) -> FileField:
    """An optional file field; its help text lists the types and size the media kind accepts."""
    return FileField(
        label,
        validators=[Optional()],
        description=LazyString(_upload_hint, images_only),
        render_kw={"accept": "image/*"} if images_only else None,
    )


def pending_upload(item: Any, field: str | None) -> FileStorage | None:
    """The file sent in the form's upload field, if any (FAB put it on the object)."""
    value = item.__dict__.get(field) if field else None
    return value if isinstance(value, FileStorage) and value.filename else None


def store_upload(item: Any, field: str | None, images_only: bool, user: Any) -> None:
    """Validate and store the form's file through the media module and make it the row's file.

    It stays temporary until `link_media` attaches it once the row is saved. Refused files raise the
    media module's AppError, so nothing is stored and the form is not saved.
    """
    upload = pending_upload(item, field)
    if field:
        item.__dict__.pop(field, None)
    if upload is None:
        return
    name = upload.filename or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = upload_extensions(images_only)
    if images_only and extension not in allowed:
        types = ", ".join(e.upper() for e in allowed)
        raise Invalid(
            gettext("The cover must be an image (%(types)s).", types=types), {field or "file": ["not_image"]}
        )
    _forget_backrefs(item)
    try:
        media = media_services.upload_files([(name, upload.read())], UPLOAD_KIND, user)[0]
    except SQLAlchemyError:
        # The upload's flush also writes an edited row's changes: a constraint error is the row's.
        db.session.rollback()
        raise Conflict(gettext("The record could not be saved: it conflicts with existing data.")) from None
    setattr(item, MEDIA_FIELDS[type(item)][0], media.id)


def _forget_backrefs(item: Any) -> None:
    """A new row is not in the session yet, but FAB's form put it in its parents' collections (a
    lesson's `contents`): drop those in-memory entries before the upload commits, so that the commit
    does not trip over it; the row still names its parent and is saved with it afterwards."""
    state = db.inspect(item)
    if not state.transient:
        return
    for rel in state.mapper.relationships:
        parent = state.dict.get(rel.key)
        if rel.back_populates and parent is not None and not rel.uselist and db.inspect(parent).persistent:
            db.session.expire(parent, [rel.back_populates])


def courses_of(item: Any) -> list[Course]:
    """The courses an object belongs to: the one it names now and the one it belonged to before."""
    found: list[Course | None] = []
    with db.session.no_autoflush:
        if isinstance(item, Course):
            return [item] if item.id else []
        if isinstance(item, Lesson):
            found.append(item.section.course if item.section is not None else None)
        elif isinstance(item, LessonContent):
            found.append(item.lesson.course if item.lesson is not None else None)
            old = db.session.get(Lesson, item.lesson_id) if item.lesson_id else None
            found.append(old.course if old is not None else None)
        else:
            found.append(getattr(item, "course", None))
        course_id = getattr(item, "course_id", None)
        if course_id:
            found.append(db.session.get(Course, course_id))
    unique: dict[int, Course] = {c.id: c for c in found if c is not None}
    return list(unique.values())


def check_item(item: Any, user: Any) -> None:
    """Forbidden unless the user manages every course the object touches; Invalid when it has none."""
    courses = courses_of(item)
    if not courses and not isinstance(item, Course):
        raise Invalid(gettext("Choose a course."), {"course": [gettext("Required.")]})
    for course in courses:
        require_manager(user, course)


class CourseScopedView(BaseModelView):
    """A back-office screen of rows that belong to a course, scoped to the user's courses."""

    base_filters = MANAGED
    label_columns = COMMON_LABELS
    # Empty position: the end of the parent (set in `prepare`).
    add_form_extra_fields = edit_form_extra_fields = {"position": POSITION_FIELD}
    add_form_query_rel_fields = edit_form_query_rel_fields = MANAGED_RELATIONS
    search_form_query_rel_fields = {**MANAGED_RELATIONS, "user": COURSE_USERS}
    # The form's file field (see `store_upload`), and whether it takes images only.
    upload_field_name: str | None = None
    upload_images_only = False

    def prepare(self, item: Any) -> None:
        """Derived fields before the object check (a lesson's course from its section...)."""

    def pre_add(self, item: Any) -> None:
        """Merge translations, derive fields, and refuse objects of courses the user does not teach."""
        super().pre_add(item)
        guarded(self.prepare, item)
        guarded(check_item, item, g.user)
        guarded(check_media_choice, item, g.user)
        guarded(self.store_upload, item)

    def pre_update(self, item: Any) -> None:
        """The same checks as when adding, on the old and the new course."""
        super().pre_update(item)
        guarded(self.prepare, item)
        guarded(check_item, item, g.user)
        guarded(check_media_choice, item, g.user)
        guarded(self.store_upload, item)

    def store_upload(self, item: Any) -> None:
        """Last, once every check passed: store the uploaded file and make it the row's file."""
        store_upload(item, self.upload_field_name, self.upload_images_only, g.user)

    def post_add(self, item: Any) -> None:
        """Attach the row's file (cover, lesson media, resource) to the row."""
        link_media(item, g.user)

    def post_update(self, item: Any) -> None:
        """Attach a newly chosen file to the row."""
        link_media(item, g.user)

    def pre_delete(self, item: Any) -> None:
        """Only the course's staff delete."""
        guarded(check_item, item, g.user)


# ---- courses ---------------------------------------------------------------------------------
def sync_lookup_ids(item: Any) -> None:
    """Copy lookups chosen through relationships into their id columns, so that the service's rules
    (which read `status_id`...) see the new values before the flush."""
    for rel in db.inspect(type(item)).relationships:
        if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
            continue
        column = next(iter(rel.local_columns))
        if column.key in ("status_id", "visibility_id", "review_status_id", "category_id", "level_id"):
            value = item.__dict__.get(rel.key)
            if value is not None and getattr(item, column.key) != value.id:
                setattr(item, column.key, value.id)


def remember_status(item: Course | None) -> None:
    """Keep the stored status before a form or JSON body is applied (FAB may flush it meanwhile)."""
    g.course_status_before = item.status_id if item is not None else None


def refuse_unreviewed_publishing(item: Course, user: Any) -> None:
    """Only admins publish: also when FAB flushed the new status before `prepare_course` ran."""
    published = lookup_id("course_status", "published")
    before = g.get("course_status_before")
    if item.id and item.status_id == published and before != published and not is_admin(user):
        raise Forbidden(gettext("An admin publishes a course after reviewing it."))
