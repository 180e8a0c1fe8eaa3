"""Course back office: courses with their review workflow and outline ordering, scoped per instructor.

Instructors see and change only the rows of the courses they teach: a base filter restricts every
list, show, edit, delete and action, and `pre_add` / `pre_update` / `pre_delete` check the course of the
object (old and new) with the service, so a forged form naming another course is refused.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Optional

from app.core.errors import AppError, Conflict, Forbidden, Invalid
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.core.views import BaseModelView
from app.courses.models import Course, Lesson, LessonContent
from app.courses.services.access import can_manage
from app.courses.services.analytics import course_figures
from app.courses.services.catalog import (
    approve_course,
    outline,
    prepare_course,
    reject_course,
    reorder_lessons,
    reorder_sections,
    require_manager,
    submit_for_review,
)
from app.courses.services.media_links import MEDIA_FIELDS, check_media_choice, link_media
from app.courses.services.scope import (
    course_user_ids,
    instructor_choice_clause,
    prerequisite_choice_clause,
    taught_clause,
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
    "media_id": _l("Media file id"),
    "media": _l("Media file"),
    "user": _l("User"),
}


class FilterManagedCourses(BaseFilter):
    """Admins: every row; anyone else: rows of the courses they teach."""

    name = _l("Courses I teach")
    arg_name = "managed"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to taught courses unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        return query.filter(taught_clause(self.model, getattr(user, "id", None)))


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


MANAGED = [["id", FilterManagedCourses, None]]
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


def media_id_field(label: Any) -> IntegerField:
    """The id of a file already in the media library (the user's own upload)."""
    return IntegerField(
        label,
        validators=[Optional()],
        description=_l("Or choose a file you uploaded before, by its id. A new upload replaces it."),
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
        # The upload's commit also writes an edited row's changes: a constraint error is the row's.
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


def guarded(func: Any, *args: Any) -> None:
    """Run a check; on an AppError drop the half-applied form data before FAB flashes the message."""
    try:
        with db.session.no_autoflush:  # nothing half-filled reaches the database during checks
            func(*args)
    except AppError:
        db.session.rollback()
        raise


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


def _tags_text(item: Course) -> str:
    return ", ".join(item.tags or [])


class CourseModelView(CourseScopedView):
    """Courses: catalog facts, instructors, prerequisites, price, review workflow, outline order."""

    datamodel = SQLAInterface(Course)
    class_permission_name = "CourseAdmin"
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "reorder": "reorder",
        "reject_form": "moderate",
        "submit_review": "review",
        "approve": "moderate",
        "reject": "moderate",
    }
    show_template = "courses/course_show.html"
    list_title = _l("Courses")
    show_title = _l("Course")
    add_title = _l("Add course")
    edit_title = _l("Edit course")
    label_columns = {
        **COMMON_LABELS,
        "slug": _l("Address"),
        "category": _l("Category"),
        "level": _l("Level"),
        "language": _l("Language"),
        "tags": _l("Tags"),
        "tags_text": _l("Tags"),
        "address": _l("Address"),
        "duration_minutes": _l("Duration (minutes)"),
        "cover_media_id": _l("Cover image (media id)"),
        "cover_upload": _l("Cover image"),
        "price": _l("Price"),
        "currency": _l("Currency"),
        "included_in_subscription": _l("Included in subscriptions"),
        "sequential": _l("Sequential lessons"),
        "status": _l("Status"),
        "visibility": _l("Visibility"),
        "review_status": _l("Review"),
        "review_reason": _l("Review comment"),
        "submitted_at": _l("Submitted"),
        "reviewed_at": _l("Reviewed"),
        "reviewed_by": _l("Reviewed by"),
        "published_at": _l("Published"),
        "view_count": _l("Views"),
        "enrollment_count": _l("Enrolments"),
        "instructors": _l("Instructors"),
        "prerequisites": _l("Prerequisites"),
        "seo": _l("SEO"),
    }
    list_columns = [
        "title",
        "category",
        "level",
        "price",
        "status",
        "visibility",
        "review_status",
        "enrollment_count",
        "updated_at",
    ]
    show_columns = [
        "title",
        "slug",
        "translations",
        "category",
        "level",
        "language",
        "tags",
        "duration_minutes",
        "cover_media_id",
        "price",
        "currency",
        "included_in_subscription",
        "sequential",
        "status",
        "visibility",
        "review_status",
        "review_reason",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
        "published_at",
        "instructors",
        "prerequisites",
        "view_count",
        "enrollment_count",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "address",
        "category",
        "level",
        "language",
        "tags_text",
        "duration_minutes",
        "cover_upload",
        "cover_media_id",
        "price",
        "currency",
        "included_in_subscription",
        "sequential",
        "status",
        "visibility",
        "instructors",
        "prerequisites",
    ]
    add_form_extra_fields = edit_form_extra_fields = {
        "tags_text": StringField(
            _l("Tags"), validators=[Optional()], description=_l("Separate tags with commas.")
        ),
        "cover_upload": upload_field(_l("Cover image"), images_only=True),
        "cover_media_id": media_id_field(_l("Cover image (media id)")),
        # Not the `slug` column itself: FAB would write an empty value before the checks run.
        "address": StringField(
            _l("Address"), validators=[Optional()], description=_l("Empty: made from the title.")
        ),
        "included_in_subscription": BooleanField(_l("Included in subscriptions"), default=True),
        "sequential": BooleanField(_l("Sequential lessons")),
    }
    search_columns = ["slug", "search_text", "status", "review_status", "category", "level", "visibility"]
    order_columns = ["price", "enrollment_count", "updated_at", "published_at"]
    base_order = ("updated_at", "desc")
    formatters_columns = {"tags": lambda tags: ", ".join(tags or [])}
    add_form_query_rel_fields = edit_form_query_rel_fields = COURSE_RELATIONS
    upload_field_name = "cover_upload"
    upload_images_only = True

    def prepare(self, item: Course) -> None:
        """Tags from the comma-separated field, then the catalog's defaults and publishing rule."""
        address = (item.__dict__.pop("address", None) or "").strip()
        if address:
            item.slug = address
        sync_lookup_ids(item)
        text = item.__dict__.pop("tags_text", None)
        if text is not None:
            item.tags = [t.strip() for t in str(text).split(",") if t.strip()]
        prepare_course(item, g.user)
        refuse_unreviewed_publishing(item, g.user)

    def _edit(self, pk: Any) -> Any:
        remember_status(self.datamodel.get(pk, self._base_filters))
        return super()._edit(pk)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """Show the tags as comma-separated text."""
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.tags_text.data = _tags_text(item)
            form.address.data = item.slug

    # ---- review workflow ------------------------------------------------------------------
    def _each(self, items: Any, func: Any, done: str) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        for item in items:
            try:
                func(item, g.user)
                count += 1
            except AppError as exc:
                db.session.rollback()
                flash(f"{item}: {exc.message}", "danger")
        if count:
            flash(gettext(done, count=count), "success")
        return redirect(self.get_redirect())

    @action(
        "submit_review",
        _l("Submit for review"),
        _l("Submit the selected courses for review?"),
        "fa-paper-plane",
    )
    def submit_review(self, items: Any) -> Any:
        """An instructor asks an admin to publish the course."""
        return self._each(items, submit_for_review, "%(count)d course(s) submitted for review.")

    @action("approve", _l("Approve and publish"), _l("Publish the selected courses?"), "fa-check")
    def approve(self, items: Any) -> Any:
        """An admin publishes courses waiting for review."""
        return self._each(items, approve_course, "%(count)d course(s) published.")

    @action("reject", _l("Reject"), None, "fa-times", multiple=False)
    def reject(self, item: Any) -> Any:
        """Open the form that asks for the reason."""
        return redirect(url_for(".reject_form", pk=item.id))

    @expose("/reject/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reject_form(self, pk: int) -> Any:
        """An admin sends the course back with a reason."""
        course = self._get_scoped(pk)
        if course is None:
            abort(404)
        if request.method == "POST":
            try:
                reject_course(course, g.user, request.form.get("reason", ""))
            except AppError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash(gettext("The course was sent back to its instructors."), "success")
                return redirect(url_for(".show", pk=pk))
        return self.render_template("courses/reject.html", course=course)

    # ---- outline order --------------------------------------------------------------------
    @expose("/reorder/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reorder(self, pk: int) -> Any:
        """The course's sections and lessons with up / down buttons (posted to the reorder services)."""
        course = self._get_scoped(pk)
        if course is None:
            abort(404)
        if request.method == "POST":
            try:
                self._move(course)
            except AppError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            return redirect(url_for(".reorder", pk=pk))
        return self.render_template("courses/reorder.html", course=course, outline=outline(course))

    @staticmethod
    def _moved(ids: list[int], item_id: int, direction: str) -> list[int]:
        if item_id not in ids:
            raise Invalid(gettext("That item is not part of this course."))
        i = ids.index(item_id)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
        return ids

    def _move(self, course: Course) -> None:
        item_id = request.form.get("item_id", type=int)
        direction = request.form.get("direction", "")
        if direction not in ("up", "down") or item_id is None:
            raise Invalid(gettext("Choose an item and a direction."))
        parts = outline(course)
        if request.form.get("kind") == "lesson":
            for section, lessons in parts:
                ids = [lesson.id for lesson in lessons]
                if item_id in ids:
                    reorder_lessons(section, self._moved(ids, item_id, direction), g.user)
                    return
            raise Invalid(gettext("That item is not part of this course."))
        ids = [section.id for section, _lessons in parts]
        reorder_sections(course, self._moved(ids, item_id, direction), g.user)


class CourseAnalyticsView(BaseView):
    """Enrolment, completion, progress and time figures of one course, for its instructors."""

    route_base = "/courseanalytics"
    default_view = "index"
    class_permission_name = "CourseAnalytics"
    method_permission_name = {"index": "read", "course": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The courses the user manages, each linking to its figures."""
        query = db.select(Course).order_by(Course.updated_at.desc()).limit(500)
        if not is_admin(g.user):
            query = query.where(taught_clause(Course, g.user.id))
        courses = list(db.session.scalars(query))
        return self.render_template("courses/analytics_index.html", courses=courses)

    @expose("/<int:pk>")
    @has_access
    def course(self, pk: int) -> Any:
        """One course's figures; other instructors' courses do not exist here."""
        item = db.session.get(Course, pk)
        if item is None or not can_manage(g.user, item):
            abort(404)
        figures = course_figures(item, g.user)
        return self.render_template("courses/analytics.html", course=item, figures=figures)
